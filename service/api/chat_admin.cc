// ChatService's administration: CreateChat (a basic group, supergroup, forum or broadcast
// channel), JoinChat, LeaveChat, UpdateChat (the title and photo; its other settings are
// chat_settings.cc's) and AddChatMembers. Basic groups and channels are different objects in
// MTProto (messages.* vs channels.* methods); each RPC picks the method by the chat's marked id.
// Every one keeps its answer for retries of the same request_id, so a retried call acts once.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "google/rpc/status.pb.h"
#include "mtproto/net/rpc_status.h"
#include "service/api/chat_admin_common.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/file_parts.h"
#include "service/api/media_input.h"
#include "service/api/services.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr size_t kMaxTitleLength = 128;  // characters, Telegram's limit for a chat's title
constexpr size_t kMaxAboutLength = 255;  // characters, channels.createChannel's about
constexpr int kMaxUsersPerCall = 100;
// messages.addChatUser's fwd_limit: how much history a new basic-group member sees, as
// Telegram's own apps ask (the most Telegram gives).
constexpr int32_t kHistoryForNewMembers = 100;

absl::Status CheckTitle(const std::string& title, absl::string_view field) {
  if (absl::StripAsciiWhitespace(title).empty()) {
    return InvalidField(
        field, absl::StrCat("required: 1-", kMaxTitleLength, " characters, not only spaces"));
  }
  if (CodePoints(title) > kMaxTitleLength) {
    return InvalidField(field, absl::StrCat("at most ", kMaxTitleLength, " characters"));
  }
  return absl::OkStatus();
}

// The {user} segments of user names (accounts/{account}/users/{user}), each of `account`;
// INVALID_ARGUMENT naming field[i] for the first that is not.
absl::StatusOr<std::vector<std::string>> UserReferences(
    const google::protobuf::RepeatedPtrField<std::string>& names, absl::string_view field,
    absl::string_view account) {
  std::vector<std::string> out;
  for (int i = 0; i < names.size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    absl::StatusOr<ChildName> parsed = ParseChildName(names[i], item, "users");
    if (!parsed.ok()) return parsed.status();
    if (parsed->account != account) {
      return InvalidField(item, absl::StrCat("must be a user of accounts/", account));
    }
    out.push_back(parsed->child);
  }
  return out;
}

// The updates of an Updates answer (updates / updatesCombined; null for the short forms).
const std::vector<tl::Ptr<api::Update>>* UpdateListOf(const api::Updates& updates) {
  if (const auto* u = dynamic_cast<const api::updates*>(&updates)) return &u->updates_;
  if (const auto* u = dynamic_cast<const api::updatesCombined*>(&updates)) return &u->updates;
  return nullptr;
}

// The marked id of the chat a messages.createChat / channels.createChannel answer made: the chat
// of its messageActionChatCreate / ChannelCreate, else the answer's first chat; 0 if none.
int64_t CreatedChatId(const api::Updates& updates, absl::string_view account) {
  if (const std::vector<tl::Ptr<api::Update>>* list = UpdateListOf(updates)) {
    for (const auto& update : *list) {
      const api::Message* message = nullptr;
      if (const auto* u = dynamic_cast<const api::updateNewMessage*>(update.get())) {
        message = u->message.get();
      } else if (const auto* u = dynamic_cast<const api::updateNewChannelMessage*>(update.get())) {
        message = u->message.get();
      }
      const auto* service = dynamic_cast<const api::messageService*>(message);
      if (service == nullptr) continue;
      if (dynamic_cast<const api::messageActionChatCreate*>(service->action.get()) != nullptr ||
          dynamic_cast<const api::messageActionChannelCreate*>(service->action.get()) != nullptr) {
        return MarkedPeerId(service->peer_id.get());
      }
    }
  }
  std::optional<v1::Chat> first = ChatIn(updates, account, 0);
  return first.has_value() ? first->id() : 0;
}

// The users a messages.InvitedUsers answer says Telegram did not add, into `missing`.
void AddMissing(const api::messages_InvitedUsers& invited, absl::string_view account,
                google::protobuf::RepeatedPtrField<std::string>* missing) {
  const auto* result = dynamic_cast<const api::messages_invitedUsers*>(&invited);
  if (result == nullptr) return;
  for (const auto& m : result->missing_invitees) {
    if (const auto* invitee = dynamic_cast<const api::missingInvitee*>(m.get())) {
      *missing->Add() = UserName(account, invitee->user_id);
    }
  }
}

// The Updates a messages.InvitedUsers answer wraps, into the account's peer cache.
void AddInvitedPeers(Account& account, const api::messages_InvitedUsers& invited) {
  const auto* result = dynamic_cast<const api::messages_invitedUsers*>(&invited);
  if (result != nullptr && result->updates != nullptr) {
    account.peers().AddFromUpdates(*result->updates);
  }
}

using StatusCallback = std::function<void(absl::Status)>;

// messages.addChatUser for users[next], then the ones after it, one call each (the method takes
// one user). A user already in the group is skipped, as channels.inviteToChannel skips members.
void AddToBasicGroup(std::shared_ptr<Account> account, int64_t chat_id,
                     std::shared_ptr<std::vector<tl::Ptr<api::InputUser>>> users, size_t next,
                     absl::Time deadline, v1::AddChatMembersResponse* response,
                     StatusCallback done) {
  if (next == users->size()) return done(absl::OkStatus());
  api::messages_addChatUser add;
  add.chat_id = chat_id;
  add.user_id = std::move((*users)[next]);
  add.fwd_limit = kHistoryForNewMembers;
  account->invoker()->Call<api::messages_addChatUser>(
      add, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> result) {
        if (!result.ok() && !IsTelegramError(result.status(), "USER_ALREADY_PARTICIPANT")) {
          return done(result.status());
        }
        if (result.ok()) {
          AddInvitedPeers(*account, **result);
          AddMissing(**result, account->id(), response->mutable_missing_users());
        }
        AddToBasicGroup(account, chat_id, users, next + 1, deadline, response, done);
      });
}

// UpdateChat's photo: an UploadFile answer of the chat's account that can be a photo.
absl::Status CheckChatPhoto(const v1::UploadedFile& photo, const std::string& chat_name) {
  absl::StatusOr<std::string> owner = ParseAccountName(photo.account(), "photo.account");
  if (!owner.ok()) return owner.status();
  absl::StatusOr<ChildName> chat = ParseChildName(chat_name, "chat.name", "chats");
  if (!chat.ok()) return chat.status();
  if (*owner != chat->account) {
    return InvalidField("photo.account", "the file was uploaded by another account than chat's");
  }
  if (photo.file_id() == 0) return InvalidField("photo.file_id", "required");
  if (photo.size() <= 0 || photo.size() > files::kMaxPhotoSize) {
    return InvalidField("photo.size", "a photo is 1 byte to 10 MiB");
  }
  if (photo.parts() != files::PartCount(photo.size()) ||
      photo.big() != files::IsBigFile(photo.size())) {
    return InvalidField("photo.parts", "does not match photo.size: pass UploadFile's answer");
  }
  return absl::OkStatus();
}

// Sets (`photo`) or removes (null) the photo of the group or channel `marked`; answers the chat
// the Updates show, nullopt when there was nothing to change (CHAT_NOT_MODIFIED).
void ChangeChatPhoto(std::shared_ptr<Account> account, int64_t marked,
                     const v1::UploadedFile* photo, absl::Time deadline,
                     std::function<void(absl::StatusOr<std::optional<v1::Chat>>)> done) {
  tl::Ptr<api::InputChatPhoto> input;
  if (photo != nullptr) {
    auto uploaded = std::make_unique<api::inputChatUploadedPhoto>();
    uploaded->file = InputFileOf(*photo);
    input = std::move(uploaded);
  } else {
    input = std::make_unique<api::inputChatPhotoEmpty>();
  }
  auto changed = [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
    if (!result.ok()) {
      if (IsTelegramError(result.status(), "CHAT_NOT_MODIFIED")) {
        return done(std::optional<v1::Chat>());
      }
      return done(result.status());
    }
    account->peers().AddFromUpdates(**result);
    done(ChatIn(**result, account->id(), marked));
  };
  if (MarkedType(marked) == PeerType::kChat) {
    api::messages_editChatPhoto edit;
    edit.chat_id = Unmark(marked);
    edit.photo = std::move(input);
    account->invoker()->Call<api::messages_editChatPhoto>(edit, {deadline}, changed);
    return;
  }
  absl::StatusOr<tl::Ptr<api::InputChannel>> channel = account->peers().InputChannel(marked);
  if (!channel.ok()) return done(channel.status());
  api::channels_editPhoto edit;
  edit.channel = *std::move(channel);
  edit.photo = std::move(input);
  account->invoker()->Call<api::channels_editPhoto>(edit, {deadline}, changed);
}

}  // namespace

grpc::ServerUnaryReactor* ChatServiceImpl::CreateChat(grpc::CallbackServerContext* context,
                                                      const v1::CreateChatRequest* request,
                                                      v1::Chat* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(*api_, *context, request->account(), "account");
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  std::shared_ptr<Account> account = *found;
  const v1::Chat::Type type = request->type();
  if (type != v1::Chat::BASIC_GROUP && type != v1::Chat::SUPERGROUP && type != v1::Chat::CHANNEL) {
    return Finish(reactor, InvalidField("type", "BASIC_GROUP, SUPERGROUP or CHANNEL")), reactor;
  }
  absl::Status checked = CheckTitle(request->title(), "title");
  if (checked.ok() && type == v1::Chat::BASIC_GROUP && !request->about().empty()) {
    checked = InvalidField("about", "a basic group has none: SUPERGROUP and CHANNEL only");
  }
  if (checked.ok() && CodePoints(request->about()) > kMaxAboutLength) {
    checked = InvalidField("about", absl::StrCat("at most ", kMaxAboutLength, " characters"));
  }
  if (checked.ok() && request->forum() && type != v1::Chat::SUPERGROUP) {
    checked = InvalidField("forum", "a forum is a SUPERGROUP");
  }
  if (checked.ok() && type == v1::Chat::BASIC_GROUP && request->users().empty()) {
    checked = InvalidField("users", "a basic group needs at least one user besides the account");
  }
  if (checked.ok() && request->users_size() > kMaxUsersPerCall) {
    checked = InvalidField("users", absl::StrCat("at most ", kMaxUsersPerCall, " users"));
  }
  if (checked.ok()) checked = CheckRequestId(request->request_id());
  if (!checked.ok()) return Finish(reactor, checked), reactor;
  absl::StatusOr<std::vector<std::string>> references =
      UserReferences(request->users(), "users", account->id());
  if (!references.ok()) return Finish(reactor, references.status()), reactor;
  const RetryRecord retry(*api_, *tenant, request->account(), "CreateChat", request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  const std::string title = request->title();
  const std::string about = request->about();
  const bool forum = request->forum();
  // The users first: a bad one fails the call before anything is made.
  ResolveUsers(
      account, *std::move(references), "users", deadline,
      [=](absl::StatusOr<std::vector<tl::Ptr<api::InputUser>>> users) {
        if (!users.ok()) return FinishAdmin(reactor, users.status());
        auto created = [=](const api::Updates& updates) -> std::optional<v1::Chat> {
          account->peers().AddFromUpdates(updates);
          return ChatIn(updates, account->id(), CreatedChatId(updates, account->id()));
        };
        if (type == v1::Chat::BASIC_GROUP) {
          api::messages_createChat create;
          create.users = *std::move(users);
          create.title = title;
          account->invoker()->Call<api::messages_createChat>(
              create, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> result) {
                if (!result.ok()) return FinishAdmin(reactor, result.status());
                const auto* invited =
                    dynamic_cast<const api::messages_invitedUsers*>(result->get());
                if (invited == nullptr || invited->updates == nullptr) {
                  return Finish(reactor, absl::DataLossError("no updates in the answer"));
                }
                std::optional<v1::Chat> chat = created(*invited->updates);
                if (!chat.has_value()) {
                  return Finish(reactor, absl::DataLossError("the answer names no chat"));
                }
                AnswerChat(account, chat->id(), chat, deadline, response, retry, reactor);
              });
          return;
        }
        api::channels_createChannel create;
        create.broadcast = type == v1::Chat::CHANNEL;
        create.megagroup = type == v1::Chat::SUPERGROUP;
        create.forum = forum;  // layer 228's createChannel makes it a forum: no toggleForum
        create.title = title;
        create.about = about;
        auto invitees = std::make_shared<std::vector<tl::Ptr<api::InputUser>>>(*std::move(users));
        account->invoker()->Call<api::channels_createChannel>(
            create, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
              if (!result.ok()) return FinishAdmin(reactor, result.status());
              std::optional<v1::Chat> chat = created(**result);
              if (!chat.has_value()) {
                return Finish(reactor, absl::DataLossError("the answer names no chat"));
              }
              if (invitees->empty()) {
                return AnswerChat(account, chat->id(), chat, deadline, response, retry, reactor);
              }
              // From here on a failure still leaves the chat made: a retry answers it rather
              // than make a second one.
              auto fail = [=](const absl::Status& status) {
                retry.Store(*chat);
                FinishAdmin(reactor, status);
              };
              absl::StatusOr<tl::Ptr<api::InputChannel>> channel =
                  account->peers().InputChannel(chat->id());
              if (!channel.ok()) return fail(channel.status());
              api::channels_inviteToChannel invite;
              invite.channel = *std::move(channel);
              invite.users = std::move(*invitees);
              account->invoker()->Call<api::channels_inviteToChannel>(
                  invite, {deadline},
                  [=](absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> invited) {
                    if (!invited.ok()) return fail(invited.status());
                    AddInvitedPeers(*account, **invited);
                    AnswerChat(account, chat->id(), chat, deadline, response, retry, reactor);
                  });
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::JoinChat(grpc::CallbackServerContext* context,
                                                    const v1::JoinChatRequest* request,
                                                    v1::Chat* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) {
    return Finish(reactor, s), reactor;
  }
  if (!request->invite_link().empty() || !request->account().empty()) {
    JoinChatByInviteLink(*api_, context, reactor, *request, *tenant, response);
    return reactor;
  }
  const RetryRecord retry(*api_, *tenant, request->name(), "JoinChat", request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(
      *api_, context, reactor, request->name(), "name", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        const int64_t marked = peer.marked_id;
        if (MarkedType(marked) == PeerType::kUser) {
          return Finish(reactor,
                        InvalidField("name", "names a user: a private chat is not joined"));
        }
        if (MarkedType(marked) == PeerType::kChat) {
          return Finish(reactor, InvalidField("name",
                                              "a basic group is joined only when a member adds "
                                              "the account (AddChatMembers)"));
        }
        absl::StatusOr<tl::Ptr<api::InputChannel>> channel = account->peers().InputChannel(marked);
        if (!channel.ok()) return FinishAdmin(reactor, channel.status());
        api::channels_joinChannel join;
        join.channel = *std::move(channel);
        account->invoker()->Call<api::channels_joinChannel>(
            join, {deadline},
            [=](absl::StatusOr<tl::Ptr<api::messages_ChatInviteJoinResult>> result) {
              if (!result.ok()) return FinishAdmin(reactor, result.status());
              std::optional<v1::Chat> chat;
              if (const auto* ok =
                      dynamic_cast<const api::messages_chatInviteJoinResultOk*>(result->get());
                  ok != nullptr && ok->updates != nullptr) {
                account->peers().AddFromUpdates(*ok->updates);
                chat = ChatIn(*ok->updates, account->id(), marked);
              }
              AnswerChat(account, marked, chat, deadline, response, retry, reactor);
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::LeaveChat(grpc::CallbackServerContext* context,
                                                     const v1::LeaveChatRequest* request,
                                                     google::protobuf::Empty* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) {
    return Finish(reactor, s), reactor;
  }
  const RetryRecord retry(*api_, *tenant, request->name(), "LeaveChat", request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(
      *api_, context, reactor, request->name(), "name", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        auto done = [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
          if (!result.ok()) return FinishAdmin(reactor, result.status());
          account->peers().AddFromUpdates(**result);
          retry.Store(*response);
          Finish(reactor, absl::OkStatus());
        };
        const int64_t marked = peer.marked_id;
        switch (MarkedType(marked)) {
          case PeerType::kUser:
            return Finish(reactor,
                          InvalidField("name", "names a user: a private chat is not left"));
          case PeerType::kChat: {
            api::messages_deleteChatUser leave;
            leave.chat_id = Unmark(marked);
            leave.user_id = std::make_unique<api::inputUserSelf>();
            account->invoker()->Call<api::messages_deleteChatUser>(leave, {deadline}, done);
            return;
          }
          case PeerType::kChannel: {
            absl::StatusOr<tl::Ptr<api::InputChannel>> channel =
                account->peers().InputChannel(marked);
            if (!channel.ok()) return FinishAdmin(reactor, channel.status());
            api::channels_leaveChannel leave;
            leave.channel = *std::move(channel);
            account->invoker()->Call<api::channels_leaveChannel>(leave, {deadline}, done);
            return;
          }
        }
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::UpdateChat(grpc::CallbackServerContext* context,
                                                      const v1::UpdateChatRequest* request,
                                                      v1::Chat* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (request->update_mask().paths().empty()) {
    return Finish(reactor, InvalidField("update_mask", "required: the fields to change")), reactor;
  }
  bool change_title = false;
  bool change_photo = false;
  ChatSettingsMask settings;
  for (const std::string& path : request->update_mask().paths()) {
    if (path == "title") {
      change_title = true;
    } else if (path == "photo") {
      change_photo = true;
    } else if (!AddSettingsPath(path, &settings)) {
      return Finish(reactor,
                    InvalidField("update_mask",
                                 absl::StrCat("\"", absl::CHexEscape(path.substr(0, 64)),
                                              "\" is none of title, photo, about, "
                                              "default_permissions, slow_mode, signatures, "
                                              "topics: the fields UpdateChat changes"))),
             reactor;
    }
  }
  absl::Status checked =
      change_title ? CheckTitle(request->chat().title(), "chat.title") : absl::OkStatus();
  if (checked.ok()) checked = CheckRequestId(request->request_id());
  if (checked.ok()) checked = CheckChatSettings(*request, settings);
  if (checked.ok() && change_photo && request->has_photo()) {
    checked = CheckChatPhoto(request->photo(), request->chat().name());
  }
  if (!checked.ok()) return Finish(reactor, checked), reactor;
  const std::string& name = request->chat().name();
  const RetryRecord retry(*api_, *tenant, name, "UpdateChat", request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  auto copy = std::make_shared<const v1::UpdateChatRequest>(*request);
  OnResolvedName(
      *api_, context, reactor, name, "chat.name", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        const int64_t marked = peer.marked_id;
        if (MarkedType(marked) == PeerType::kUser) {
          return Finish(
              reactor,
              InvalidField("chat.name", "names a user: a private chat has no title or settings"));
        }
        // The title first, then the photo, then the settings; the answer is the chat as it is
        // after all of them.
        auto answer = [=](std::optional<v1::Chat> chat) {
          if (!settings.any()) {
            return AnswerChat(account, marked, chat, deadline, response, retry, reactor);
          }
          ChangeChatSettings(account, marked, copy, settings, deadline, [=](absl::Status status) {
            if (!status.ok()) return FinishAdmin(reactor, status);
            AnswerChat(account, marked, chat, deadline, response, retry, reactor);
          });
        };
        auto photo_then_answer = [=](std::optional<v1::Chat> chat) {
          if (!change_photo) return answer(chat);
          ChangeChatPhoto(account, marked, copy->has_photo() ? &copy->photo() : nullptr, deadline,
                          [=](absl::StatusOr<std::optional<v1::Chat>> changed) {
                            if (!changed.ok()) return FinishAdmin(reactor, changed.status());
                            answer(changed->has_value() ? *changed : chat);
                          });
        };
        if (!change_title) return photo_then_answer(std::nullopt);
        auto done = [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
          // CHAT_NOT_MODIFIED: the title already is the one asked for.
          if (!result.ok() && !IsTelegramError(result.status(), "CHAT_NOT_MODIFIED")) {
            return FinishAdmin(reactor, result.status());
          }
          std::optional<v1::Chat> chat;
          if (result.ok()) {
            account->peers().AddFromUpdates(**result);
            chat = ChatIn(**result, account->id(), marked);
          }
          photo_then_answer(chat);
        };
        if (MarkedType(marked) == PeerType::kChat) {
          api::messages_editChatTitle edit;
          edit.chat_id = Unmark(marked);
          edit.title = copy->chat().title();
          account->invoker()->Call<api::messages_editChatTitle>(edit, {deadline}, done);
          return;
        }
        absl::StatusOr<tl::Ptr<api::InputChannel>> channel = account->peers().InputChannel(marked);
        if (!channel.ok()) return FinishAdmin(reactor, channel.status());
        api::channels_editTitle edit;
        edit.channel = *std::move(channel);
        edit.title = copy->chat().title();
        account->invoker()->Call<api::channels_editTitle>(edit, {deadline}, done);
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::AddChatMembers(grpc::CallbackServerContext* context,
                                                          const v1::AddChatMembersRequest* request,
                                                          v1::AddChatMembersResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (request->users().empty() || request->users_size() > kMaxUsersPerCall) {
    return Finish(reactor,
                  InvalidField("users", absl::StrCat("required: 1-", kMaxUsersPerCall, " users"))),
           reactor;
  }
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) {
    return Finish(reactor, s), reactor;
  }
  const RetryRecord retry(*api_, *tenant, request->parent(), "AddChatMembers",
                          request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  auto names =
      std::make_shared<const google::protobuf::RepeatedPtrField<std::string>>(request->users());
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        const int64_t marked = peer.marked_id;
        if (MarkedType(marked) == PeerType::kUser) {
          return Finish(reactor, InvalidField("parent",
                                              "names a user: a private chat has no "
                                              "members to add"));
        }
        absl::StatusOr<std::vector<std::string>> references =
            UserReferences(*names, "users", account->id());
        if (!references.ok()) return Finish(reactor, references.status());
        auto answer = [=](absl::Status status) {
          if (!status.ok()) return FinishAdmin(reactor, status);
          retry.Store(*response);
          Finish(reactor, absl::OkStatus());
        };
        ResolveUsers(
            account, *std::move(references), "users", deadline,
            [=](absl::StatusOr<std::vector<tl::Ptr<api::InputUser>>> users) {
              if (!users.ok()) return FinishAdmin(reactor, users.status());
              if (MarkedType(marked) == PeerType::kChat) {
                return AddToBasicGroup(
                    account, Unmark(marked),
                    std::make_shared<std::vector<tl::Ptr<api::InputUser>>>(*std::move(users)), 0,
                    deadline, response, answer);
              }
              absl::StatusOr<tl::Ptr<api::InputChannel>> channel =
                  account->peers().InputChannel(marked);
              if (!channel.ok()) return FinishAdmin(reactor, channel.status());
              api::channels_inviteToChannel invite;
              invite.channel = *std::move(channel);
              invite.users = *std::move(users);
              account->invoker()->Call<api::channels_inviteToChannel>(
                  invite, {deadline},
                  [=](absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> result) {
                    if (!result.ok()) return answer(result.status());
                    AddInvitedPeers(*account, **result);
                    AddMissing(**result, account->id(), response->mutable_missing_users());
                    answer(absl::OkStatus());
                  });
            });
      });
  return reactor;
}

}  // namespace tgrpc::service
