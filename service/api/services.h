// The tgrpc.v1 services on gRPC's callback API: no thread per call, and no handler blocks on
// MTProto (each answers from the Invoker's callback).
#ifndef TGRPC_SERVICE_API_SERVICES_H_
#define TGRPC_SERVICE_API_SERVICES_H_

#include "service/api/common.h"
#include "tgrpc/v1/account.grpc.pb.h"
#include "tgrpc/v1/bot.grpc.pb.h"
#include "tgrpc/v1/chat.grpc.pb.h"
#include "tgrpc/v1/file.grpc.pb.h"
#include "tgrpc/v1/message.grpc.pb.h"
#include "tgrpc/v1/update.grpc.pb.h"
#include "tgrpc/v1/user.grpc.pb.h"

namespace tgrpc::service {

class AccountServiceImpl final : public v1::AccountService::CallbackService {
 public:
  explicit AccountServiceImpl(const ApiContext* api) : api_(api) {}
  grpc::ServerUnaryReactor* CreateAccount(grpc::CallbackServerContext* context,
                                          const v1::CreateAccountRequest* request,
                                          v1::Account* response) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* context,
                                       const v1::GetAccountRequest* request,
                                       v1::Account* response) override;
  grpc::ServerUnaryReactor* ListAccounts(grpc::CallbackServerContext* context,
                                         const v1::ListAccountsRequest* request,
                                         v1::ListAccountsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteAccount(grpc::CallbackServerContext* context,
                                          const v1::DeleteAccountRequest* request,
                                          google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* StartLogin(grpc::CallbackServerContext* context,
                                       const v1::StartLoginRequest* request,
                                       v1::LoginState* response) override;
  grpc::ServerWriteReactor<v1::LoginState>* WatchLogin(
      grpc::CallbackServerContext* context, const v1::WatchLoginRequest* request) override;
  grpc::ServerUnaryReactor* SubmitCode(grpc::CallbackServerContext* context,
                                       const v1::SubmitCodeRequest* request,
                                       v1::LoginState* response) override;
  grpc::ServerUnaryReactor* SubmitPassword(grpc::CallbackServerContext* context,
                                           const v1::SubmitPasswordRequest* request,
                                           v1::LoginState* response) override;
  grpc::ServerUnaryReactor* SignUp(grpc::CallbackServerContext* context,
                                   const v1::SignUpRequest* request,
                                   v1::LoginState* response) override;
  grpc::ServerUnaryReactor* CancelLogin(grpc::CallbackServerContext* context,
                                        const v1::CancelLoginRequest* request,
                                        v1::LoginState* response) override;
  grpc::ServerUnaryReactor* LogOut(grpc::CallbackServerContext* context,
                                   const v1::LogOutRequest* request,
                                   v1::Account* response) override;
  grpc::ServerUnaryReactor* GetAccountStatus(grpc::CallbackServerContext* context,
                                             const v1::GetAccountStatusRequest* request,
                                             v1::AccountStatus* response) override;
  grpc::ServerWriteReactor<v1::AccountStatus>* WatchAccountStatus(
      grpc::CallbackServerContext* context, const v1::GetAccountStatusRequest* request) override;
  grpc::ServerUnaryReactor* ImportSession(grpc::CallbackServerContext* context,
                                          const v1::ImportSessionRequest* request,
                                          v1::Account* response) override;
  grpc::ServerUnaryReactor* ExportSession(grpc::CallbackServerContext* context,
                                          const v1::ExportSessionRequest* request,
                                          v1::ExportSessionResponse* response) override;

 private:
  const ApiContext* api_;
};

class UserServiceImpl final : public v1::UserService::CallbackService {
 public:
  explicit UserServiceImpl(const ApiContext* api) : api_(api) {}
  grpc::ServerUnaryReactor* GetMe(grpc::CallbackServerContext* context,
                                  const v1::GetMeRequest* request, v1::User* response) override;
  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context,
                                    const v1::GetUserRequest* request, v1::User* response) override;
  grpc::ServerUnaryReactor* UpdateProfile(grpc::CallbackServerContext* context,
                                          const v1::UpdateProfileRequest* request,
                                          v1::User* response) override;
  grpc::ServerUnaryReactor* ListProfilePhotos(grpc::CallbackServerContext* context,
                                              const v1::ListProfilePhotosRequest* request,
                                              v1::ListProfilePhotosResponse* response) override;
  // contact_service.cc
  grpc::ServerUnaryReactor* ListContacts(grpc::CallbackServerContext* context,
                                         const v1::ListContactsRequest* request,
                                         v1::ListContactsResponse* response) override;
  grpc::ServerUnaryReactor* ImportContacts(grpc::CallbackServerContext* context,
                                           const v1::ImportContactsRequest* request,
                                           v1::ImportContactsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteContacts(grpc::CallbackServerContext* context,
                                           const v1::DeleteContactsRequest* request,
                                           v1::DeleteContactsResponse* response) override;
  grpc::ServerUnaryReactor* BlockUser(grpc::CallbackServerContext* context,
                                      const v1::BlockUserRequest* request,
                                      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* UnblockUser(grpc::CallbackServerContext* context,
                                        const v1::UnblockUserRequest* request,
                                        google::protobuf::Empty* response) override;

 private:
  const ApiContext* api_;
};

// The chat `peer` names, with full info (users.getFullUser, messages.getFullChat or
// channels.getFullChannel), as GetChat answers it: chat_service.cc.
using ChatCallback = std::function<void(absl::StatusOr<v1::Chat>)>;
void FetchChat(std::shared_ptr<Account> account, const ResolvedPeer& peer, absl::Time deadline,
               ChatCallback done);

class ChatServiceImpl final : public v1::ChatService::CallbackService {
 public:
  explicit ChatServiceImpl(const ApiContext* api) : api_(api) {}
  grpc::ServerUnaryReactor* ResolvePeer(grpc::CallbackServerContext* context,
                                        const v1::ResolvePeerRequest* request,
                                        v1::ResolvePeerResponse* response) override;
  grpc::ServerUnaryReactor* GetChat(grpc::CallbackServerContext* context,
                                    const v1::GetChatRequest* request, v1::Chat* response) override;
  grpc::ServerUnaryReactor* ListChats(grpc::CallbackServerContext* context,
                                      const v1::ListChatsRequest* request,
                                      v1::ListChatsResponse* response) override;
  grpc::ServerUnaryReactor* ListChatMembers(grpc::CallbackServerContext* context,
                                            const v1::ListChatMembersRequest* request,
                                            v1::ListChatMembersResponse* response) override;
  grpc::ServerUnaryReactor* GetChatMember(grpc::CallbackServerContext* context,
                                          const v1::GetChatMemberRequest* request,
                                          v1::ChatMember* response) override;
  // chat_admin.cc
  grpc::ServerUnaryReactor* CreateChat(grpc::CallbackServerContext* context,
                                       const v1::CreateChatRequest* request,
                                       v1::Chat* response) override;
  grpc::ServerUnaryReactor* JoinChat(grpc::CallbackServerContext* context,
                                     const v1::JoinChatRequest* request,
                                     v1::Chat* response) override;
  grpc::ServerUnaryReactor* LeaveChat(grpc::CallbackServerContext* context,
                                      const v1::LeaveChatRequest* request,
                                      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* UpdateChat(grpc::CallbackServerContext* context,
                                       const v1::UpdateChatRequest* request,
                                       v1::Chat* response) override;
  grpc::ServerUnaryReactor* AddChatMembers(grpc::CallbackServerContext* context,
                                           const v1::AddChatMembersRequest* request,
                                           v1::AddChatMembersResponse* response) override;
  // chat_members.cc
  grpc::ServerUnaryReactor* UpdateChatMember(grpc::CallbackServerContext* context,
                                             const v1::UpdateChatMemberRequest* request,
                                             v1::ChatMember* response) override;
  grpc::ServerUnaryReactor* DeleteChatHistory(grpc::CallbackServerContext* context,
                                              const v1::DeleteChatHistoryRequest* request,
                                              google::protobuf::Empty* response) override;
  // chat_invites.cc
  grpc::ServerUnaryReactor* CreateInviteLink(grpc::CallbackServerContext* context,
                                             const v1::CreateInviteLinkRequest* request,
                                             v1::InviteLink* response) override;
  grpc::ServerUnaryReactor* ListInviteLinks(grpc::CallbackServerContext* context,
                                            const v1::ListInviteLinksRequest* request,
                                            v1::ListInviteLinksResponse* response) override;
  grpc::ServerUnaryReactor* RevokeInviteLink(grpc::CallbackServerContext* context,
                                             const v1::RevokeInviteLinkRequest* request,
                                             v1::InviteLink* response) override;
  grpc::ServerUnaryReactor* ListJoinRequests(grpc::CallbackServerContext* context,
                                             const v1::ListJoinRequestsRequest* request,
                                             v1::ListJoinRequestsResponse* response) override;
  grpc::ServerUnaryReactor* ApproveJoinRequest(grpc::CallbackServerContext* context,
                                               const v1::ApproveJoinRequestRequest* request,
                                               google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* DeclineJoinRequest(grpc::CallbackServerContext* context,
                                               const v1::DeclineJoinRequestRequest* request,
                                               google::protobuf::Empty* response) override;
  // chat_admin_log.cc
  grpc::ServerUnaryReactor* ListAdminLog(grpc::CallbackServerContext* context,
                                         const v1::ListAdminLogRequest* request,
                                         v1::ListAdminLogResponse* response) override;
  // Forum topics: chat_topics.cc.
  grpc::ServerUnaryReactor* CreateForumTopic(grpc::CallbackServerContext* context,
                                             const v1::CreateForumTopicRequest* request,
                                             v1::ForumTopic* response) override;
  grpc::ServerUnaryReactor* UpdateForumTopic(grpc::CallbackServerContext* context,
                                             const v1::UpdateForumTopicRequest* request,
                                             v1::ForumTopic* response) override;
  grpc::ServerUnaryReactor* DeleteForumTopic(grpc::CallbackServerContext* context,
                                             const v1::DeleteForumTopicRequest* request,
                                             google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ListForumTopics(grpc::CallbackServerContext* context,
                                            const v1::ListForumTopicsRequest* request,
                                            v1::ListForumTopicsResponse* response) override;

 private:
  const ApiContext* api_;
};

class MessageServiceImpl final : public v1::MessageService::CallbackService {
 public:
  explicit MessageServiceImpl(const ApiContext* api) : api_(api) {}
  grpc::ServerUnaryReactor* SendMessage(grpc::CallbackServerContext* context,
                                        const v1::SendMessageRequest* request,
                                        v1::Message* response) override;
  // media_service.cc
  grpc::ServerUnaryReactor* SendMedia(grpc::CallbackServerContext* context,
                                      const v1::SendMediaRequest* request,
                                      v1::Message* response) override;
  // media_album.cc
  grpc::ServerUnaryReactor* SendAlbum(grpc::CallbackServerContext* context,
                                      const v1::SendAlbumRequest* request,
                                      v1::SendAlbumResponse* response) override;
  grpc::ServerUnaryReactor* GetMessages(grpc::CallbackServerContext* context,
                                        const v1::GetMessagesRequest* request,
                                        v1::GetMessagesResponse* response) override;
  grpc::ServerUnaryReactor* ListMessages(grpc::CallbackServerContext* context,
                                         const v1::ListMessagesRequest* request,
                                         v1::ListMessagesResponse* response) override;
  grpc::ServerUnaryReactor* SearchMessages(grpc::CallbackServerContext* context,
                                           const v1::SearchMessagesRequest* request,
                                           v1::SearchMessagesResponse* response) override;
  grpc::ServerUnaryReactor* EditMessage(grpc::CallbackServerContext* context,
                                        const v1::EditMessageRequest* request,
                                        v1::Message* response) override;
  grpc::ServerUnaryReactor* DeleteMessages(grpc::CallbackServerContext* context,
                                           const v1::DeleteMessagesRequest* request,
                                           v1::DeleteMessagesResponse* response) override;
  grpc::ServerUnaryReactor* ForwardMessages(grpc::CallbackServerContext* context,
                                            const v1::ForwardMessagesRequest* request,
                                            v1::ForwardMessagesResponse* response) override;
  // message_actions.cc
  grpc::ServerUnaryReactor* PinMessage(grpc::CallbackServerContext* context,
                                       const v1::PinMessageRequest* request,
                                       google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* UnpinMessage(grpc::CallbackServerContext* context,
                                         const v1::UnpinMessageRequest* request,
                                         v1::UnpinMessageResponse* response) override;
  grpc::ServerUnaryReactor* MarkRead(grpc::CallbackServerContext* context,
                                     const v1::MarkReadRequest* request,
                                     v1::MarkReadResponse* response) override;
  grpc::ServerUnaryReactor* SendChatAction(grpc::CallbackServerContext* context,
                                           const v1::SendChatActionRequest* request,
                                           v1::SendChatActionResponse* response) override;
  grpc::ServerUnaryReactor* SetReaction(grpc::CallbackServerContext* context,
                                        const v1::SetReactionRequest* request,
                                        v1::SetReactionResponse* response) override;
  grpc::ServerUnaryReactor* ListReactions(grpc::CallbackServerContext* context,
                                          const v1::ListReactionsRequest* request,
                                          v1::ListReactionsResponse* response) override;
  // message_actions_send.cc
  grpc::ServerUnaryReactor* SendLocation(grpc::CallbackServerContext* context,
                                         const v1::SendLocationRequest* request,
                                         v1::Message* response) override;
  grpc::ServerUnaryReactor* SendContact(grpc::CallbackServerContext* context,
                                        const v1::SendContactRequest* request,
                                        v1::Message* response) override;
  grpc::ServerUnaryReactor* SendDice(grpc::CallbackServerContext* context,
                                     const v1::SendDiceRequest* request,
                                     v1::Message* response) override;
  grpc::ServerUnaryReactor* SendPoll(grpc::CallbackServerContext* context,
                                     const v1::SendPollRequest* request,
                                     v1::Message* response) override;
  // message_bot.cc
  grpc::ServerUnaryReactor* PressButton(grpc::CallbackServerContext* context,
                                        const v1::PressButtonRequest* request,
                                        v1::PressButtonResponse* response) override;
  grpc::ServerUnaryReactor* SendBotCommand(grpc::CallbackServerContext* context,
                                           const v1::SendBotCommandRequest* request,
                                           v1::Message* response) override;
  grpc::ServerUnaryReactor* VotePoll(grpc::CallbackServerContext* context,
                                     const v1::VotePollRequest* request,
                                     v1::Poll* response) override;
  grpc::ServerUnaryReactor* QueryInlineBot(grpc::CallbackServerContext* context,
                                           const v1::QueryInlineBotRequest* request,
                                           v1::QueryInlineBotResponse* response) override;
  grpc::ServerUnaryReactor* SendInlineResult(grpc::CallbackServerContext* context,
                                             const v1::SendInlineResultRequest* request,
                                             v1::Message* response) override;

 private:
  const ApiContext* api_;
};

// bot_service.cc: bot accounts only (FAILED_PRECONDITION / BOT_ACCOUNT_REQUIRED otherwise).
class BotServiceImpl final : public v1::BotService::CallbackService {
 public:
  explicit BotServiceImpl(const ApiContext* api) : api_(api) {}
  grpc::ServerUnaryReactor* AnswerCallbackQuery(grpc::CallbackServerContext* context,
                                                const v1::AnswerCallbackQueryRequest* request,
                                                google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* SetCommands(grpc::CallbackServerContext* context,
                                        const v1::SetCommandsRequest* request,
                                        google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* GetCommands(grpc::CallbackServerContext* context,
                                        const v1::GetCommandsRequest* request,
                                        v1::GetCommandsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteCommands(grpc::CallbackServerContext* context,
                                           const v1::DeleteCommandsRequest* request,
                                           google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* SetBotInfo(grpc::CallbackServerContext* context,
                                       const v1::SetBotInfoRequest* request,
                                       v1::BotInfo* response) override;
  grpc::ServerUnaryReactor* GetBotInfo(grpc::CallbackServerContext* context,
                                       const v1::GetBotInfoRequest* request,
                                       v1::BotInfo* response) override;
  grpc::ServerUnaryReactor* SetMenuButton(grpc::CallbackServerContext* context,
                                          const v1::SetMenuButtonRequest* request,
                                          google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* AnswerInlineQuery(grpc::CallbackServerContext* context,
                                              const v1::AnswerInlineQueryRequest* request,
                                              google::protobuf::Empty* response) override;

 private:
  const ApiContext* api_;
};

// Uploads (client streaming) and downloads (server streaming) in 512 KiB parts: file_upload.h,
// file_download.h. UploadFile is a raw method: its chunks are read from gRPC's slices without
// protobuf's copy (upload_message.h). The wire format is UploadFileRequest in, UploadedFile out,
// as declared.
class FileServiceImpl final
    : public v1::FileService::WithRawCallbackMethod_UploadFile<v1::FileService::CallbackService> {
 public:
  explicit FileServiceImpl(const ApiContext* api) : api_(api) {}
  grpc::ServerReadReactor<grpc::ByteBuffer>* UploadFile(grpc::CallbackServerContext* context,
                                                        grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<v1::DownloadFileResponse>* DownloadFile(
      grpc::CallbackServerContext* context, const v1::DownloadFileRequest* request) override;

 private:
  const ApiContext* api_;
};

// Request metadata (any value) that makes StreamUpdates start with a checkpoint carrying the
// stream's starting position, before any event: cluster mode's merger of streams from several
// replicas learns each one's position from it (service/cluster/update_merger.h).
inline constexpr char kInitialCheckpointMetadataKey[] = "tgrpc-initial-checkpoint";

// StreamUpdates is a raw method: an account's event is serialized once and its bytes are shared
// by every stream that writes it (a fan-out to many consumers would otherwise serialize it once
// per consumer). The wire format is StreamUpdatesRequest in, UpdateEvent out, as declared.
class UpdateServiceImpl final : public v1::UpdateService::WithRawCallbackMethod_StreamUpdates<
                                    v1::UpdateService::CallbackService> {
 public:
  explicit UpdateServiceImpl(const ApiContext* api) : api_(api) {}
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StreamUpdates(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* AckUpdates(grpc::CallbackServerContext* context,
                                       const v1::AckUpdatesRequest* request,
                                       v1::AckUpdatesResponse* response) override;
  grpc::ServerUnaryReactor* GetUpdateState(grpc::CallbackServerContext* context,
                                           const v1::GetUpdateStateRequest* request,
                                           v1::UpdateLogState* response) override;

 private:
  const ApiContext* api_;
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_SERVICES_H_
