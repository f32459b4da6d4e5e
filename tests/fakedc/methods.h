// The emulated API methods, registered on a Dispatcher by area (one file each: methods_help.cc,
// methods_auth.cc, ...), and the helpers that turn World records into pinned-layer objects.
#ifndef TGRPC_TESTS_FAKEDC_METHODS_H_
#define TGRPC_TESTS_FAKEDC_METHODS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tests/fakedc/fakedc.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/world.h"
#include "tl/dynamic/translate.h"
#include "tl/dynamic/value.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {

// Builds pinned-layer objects by constructor name from the fields that matter, every other
// required field defaulted (0, "", false, empty, the simplest constructor) — for the many large
// objects (config, userFull, ...) whose other fields an emulator has no opinion on.
class ObjectBuilder {
 public:
  explicit ObjectBuilder(const tl::Schema* schema) : schema_(schema), defaults_(schema, schema) {}

  absl::StatusOr<tl::Value> Build(absl::string_view constructor,
                                  std::vector<std::pair<std::string, tl::Value>> fields) const;
  template <class T>
  absl::StatusOr<tl::Ptr<T>> Make(absl::string_view constructor,
                                  std::vector<std::pair<std::string, tl::Value>> fields) const {
    absl::StatusOr<tl::Value> value = Build(constructor, std::move(fields));
    if (!value.ok()) return value.status();
    absl::StatusOr<std::string> bytes = tl::DynamicCodec(schema_).EncodeBoxed(*value);
    if (!bytes.ok()) return bytes.status();
    return tl::Decode<T>(*bytes);
  }
  // A generated object as a Value (to nest it in Build's fields).
  absl::StatusOr<tl::Value> ToValue(const tl::Object& object) const;

 private:
  const tl::Schema* schema_;
  tl::LayerTranslator defaults_;
};

struct MethodEnv {
  World* world = nullptr;
  const ObjectBuilder* builder = nullptr;
  std::string address;
  std::vector<DcEndpoint> endpoints;
  std::string files_dir;
  // The DC uploaded documents are kept on (their dc_id); 0: the DC they were uploaded to.
  int files_dc = 0;
  // Not 0: the DC of the clients' network, where new accounts sign up: auth.sendCode / signIn for
  // a number without an account elsewhere is 303 NETWORK_MIGRATE_<network_dc>.
  int network_dc = 0;
  // Not 0: the CDN DC's id (help.getConfig lists it with the cdn flag), whose RSA public key
  // help.getCdnConfig gives; documents of at least cdn_min_size bytes (> 0) are redirected there
  // by upload.getFile with cdn_supported (methods_cdn.cc).
  int cdn_dc = 0;
  int64_t cdn_min_size = 0;
  std::string cdn_public_key_pem;
  // sendCode writes each code to <codes_dir>/<digits of the phone> for clients in other processes.
  std::string codes_dir;
  // Sends an Updates object (pinned-layer TL) to every session of `user_id` but the caller's.
  std::function<void(int64_t user_id, const tl::api::Updates& updates, uint64_t except_session)>
      push;
  // Sends an Updates object to the sessions of one auth key (e.g. updateLoginToken to the key
  // that exported a QR login token, before it is signed in).
  std::function<void(uint64_t auth_key_id, const tl::api::Updates& updates)> push_to_key;
  // Runs `run` on the server thread after `milliseconds` (a bot's answer timing out).
  std::function<void(int milliseconds, std::function<void()> run)> after;
};

void RegisterHelpMethods(Dispatcher& dispatcher, MethodEnv& env);
void RegisterAuthMethods(Dispatcher& dispatcher, MethodEnv& env);
void RegisterUserMethods(Dispatcher& dispatcher, MethodEnv& env);
// contacts.importContacts, getContacts, deleteContacts, deleteByPhones, block, unblock,
// getBlocked: methods_contacts.cc.
void RegisterContactMethods(Dispatcher& dispatcher, MethodEnv& env);
// Whether `sender_id` may write to user `recipient_id` in their private chat: 400 USER_IS_BLOCKED
// when the recipient blocked the sender, YOU_BLOCKED_USER when the sender blocked the recipient.
absl::Status CheckNotBlocked(World& world, int64_t sender_id, int64_t recipient_id);
void RegisterUpdateMethods(Dispatcher& dispatcher, MethodEnv& env);
void RegisterMessageMethods(Dispatcher& dispatcher, MethodEnv& env);
void RegisterChannelMethods(Dispatcher& dispatcher, MethodEnv& env);
// Basic groups (messages.createChat, addChatUser, ...) and channel membership (channels.
// createChannel, inviteToChannel, joinChannel, leaveChannel): methods_chats.cc. Registers the
// channel administration methods too.
void RegisterChatMethods(Dispatcher& dispatcher, MethodEnv& env);
// channels.editTitle and channels.editPhoto: methods_chats_admin.cc; it registers the ones below.
void RegisterChatAdminMethods(Dispatcher& dispatcher, MethodEnv& env);
// channels.editBanned, channels.editAdmin, messages.editChatAdmin: methods_chat_members.cc.
void RegisterChatMemberMethods(Dispatcher& dispatcher, MethodEnv& env);
// messages.editChatAbout, editChatDefaultBannedRights, channels.toggleSlowMode, toggleSignatures,
// toggleForum: methods_chat_settings.cc.
void RegisterChatSettingsMethods(Dispatcher& dispatcher, MethodEnv& env);
// Invite links and join requests: methods_chat_invites.cc.
void RegisterChatInviteMethods(Dispatcher& dispatcher, MethodEnv& env);
// The channel an admin call names, checked for a caller who holds admin right `right` (an
// admin_right:: bit of chat_rights.h): a member (of a private channel: 406 CHANNEL_PRIVATE) with
// that right (400 CHAT_ADMIN_REQUIRED, as Telegram answers these methods).
absl::StatusOr<ChannelRecord*> AdministeredChannel(const tl::api::InputChannel& input, World& world,
                                                   const CallContext& context, uint32_t right);

// The helpers of the chat methods (methods_chats.cc). A title as Telegram takes it: trimmed;
// CHAT_TITLE_EMPTY when nothing is left.
absl::StatusOr<std::string> CleanTitle(const std::string& title);
// Adds a service message to the channel's box, from `from_id` (posted in forum topic `topic_id`
// when not 0).
const MessageRecord& AddChannelService(World& world, ChannelRecord& channel, int64_t from_id,
                                       ServiceAction action, int32_t topic_id = 0);
// updates{updateChannel if asked, the service message if any} as `viewer` sees them, with the
// users the message names and the channel.
std::unique_ptr<tl::api::updates> ChannelUpdates(World& world, const ChannelRecord& channel,
                                                 const MessageRecord* service, int64_t viewer,
                                                 bool with_channel_update);
void RegisterUploadMethods(Dispatcher& dispatcher, MethodEnv& env);
// The CDN (methods_cdn.cc): help.getCdnConfig, upload.getCdnFile (on the CDN DC only, which
// answers nothing else), upload.reuploadCdnFile and upload.getCdnFileHashes.
void RegisterCdnMethods(Dispatcher& dispatcher, MethodEnv& env);
// upload.fileCdnRedirect for document `document_id` when the CDN serves it (env.cdn_min_size),
// else null.
absl::StatusOr<tl::Ptr<tl::api::upload_File>> CdnRedirect(MethodEnv& env, int64_t document_id);
// Bots: bots.* (commands, info, menu button), callback buttons (messages.getBotCallbackAnswer
// waits for the bot's messages.setBotCallbackAnswer), inline queries (getInlineBotResults waits
// for setInlineBotResults; sendInlineBotResult) and polls (messages.sendVote): methods_bots.cc.
void RegisterBotMethods(Dispatcher& dispatcher, MethodEnv& env);
// The checks before every handler: USER_MIGRATE for a signed-in user's calls away from the
// account's home DC, then the World's FLOOD_WAIT limits.
void RegisterCallGuards(Dispatcher& dispatcher, MethodEnv& env);

// 401 AUTH_KEY_UNREGISTERED unless the caller is signed in.
absl::Status RequireUser(const CallContext& context);
// Whether `dc_id` is one of the emulated DCs (1..N).
bool IsDcId(const MethodEnv& env, int dc_id);

// Input references checked against access_hash: USER_ID_INVALID / PEER_ID_INVALID /
// CHANNEL_INVALID when unknown or wrong.
absl::StatusOr<UserRecord*> ResolveInputUser(const tl::api::InputUser& input,
                                             const CallContext& context, World& world);
absl::StatusOr<PeerRef> ResolveInputPeer(const tl::api::InputPeer& input,
                                         const CallContext& context, World& world);
absl::StatusOr<ChannelRecord*> ResolveInputChannel(const tl::api::InputChannel& input,
                                                   World& world);

// Sends `record` (sender, date, text, document) to basic group `chat_id` for
// messages.sendMessage and the other sends: a copy in every member's box, pushed to the others;
// the sender's answer is updates{updateMessageID, updateNewMessage}. CHAT_WRITE_FORBIDDEN for a
// former member.
absl::StatusOr<tl::Ptr<tl::api::Updates>> DeliverToChat(MethodEnv& env, const CallContext& context,
                                                        int64_t chat_id, MessageRecord record,
                                                        int64_t random_id);

// Adds the caller to basic group `chat` through an invite link `inviter_id` made
// (messages.importChatInvite): a messageActionChatJoinedByLink to every member, the caller's
// copy in the answer; 400 USERS_TOO_MUCH when the group is full (help.getConfig's chat_size_max).
absl::StatusOr<tl::Ptr<tl::api::Updates>> JoinChatByLink(MethodEnv& env, const CallContext& context,
                                                         ChatRecord& chat, int64_t inviter_id);

// Pushes `make(viewer)` (unless it is null) to each signed-in member of `channel`, on every session
// but `except_session` (the caller's: its answer carries the same updates).
void PushToChannel(MethodEnv& env, const ChannelRecord& channel, uint64_t except_session,
                   const std::function<tl::Ptr<tl::api::Updates>(int64_t viewer)>& make);

// Logs updateDeleteChannelMessages of `deleted` (not empty) in the channel's box and pushes it to
// its members as PushToChannel does; the update, for the caller's answer.
tl::Ptr<tl::api::Update> PushChannelDeletion(MethodEnv& env, ChannelRecord& channel,
                                             const std::vector<int32_t>& deleted,
                                             uint64_t except_session);

// Pinned-layer objects from records, as `viewer_id` sees them.
tl::Ptr<tl::api::User> MakeUser(const UserRecord& user, int64_t viewer_id);
tl::Ptr<tl::api::Chat> MakeChannel(const ChannelRecord& channel, int64_t viewer_id);
// chat for members (left for those who left), chatForbidden for everyone else.
tl::Ptr<tl::api::Chat> MakeChat(const ChatRecord& chat, int64_t viewer_id);
tl::Ptr<tl::api::Peer> MakePeer(const PeerRef& peer);
tl::Ptr<tl::api::Message> MakeMessage(const MessageRecord& message, World& world);
// A poll as messageMediaPoll with its results now, `viewer_id`'s votes chosen (methods_bots.cc).
tl::Ptr<tl::api::MessageMedia> MakePollMedia(const PollRecord& poll, int64_t viewer_id);
// A message's reactions as `viewer_id` sees them (chosen_order for its own; 0: nobody's), or null
// when it has none (methods_messages_actions.cc).
tl::Ptr<tl::api::MessageReactions> MakeReactions(const MessageRecord& message, World& world,
                                                 int64_t viewer_id);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_METHODS_H_
