// ChatService's UpdateChatMember (ban, unban, kick, restrict, promote, demote: one member, one
// change) and DeleteChatHistory. A basic group has members and all-or-nothing admins only
// (messages.deleteChatUser, messages.editChatAdmin); a supergroup or channel has bans,
// restrictions and admins with rights (channels.editBanned, channels.editAdmin).
#include <climits>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/api/chat_admin_common.h"
#include "service/api/chat_rights.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr size_t kMaxCustomTitleLength = 16;  // characters, Telegram's limit for an admin's rank

using Request = v1::UpdateChatMemberRequest;

// A timestamp field as Telegram's until_date: 0 when unset; INVALID_ARGUMENT naming `field` for
// one before 1970 or past 2038.
absl::StatusOr<int32_t> UntilDate(bool has, const google::protobuf::Timestamp& until,
                                  absl::string_view field) {
  if (!has) return 0;
  if (until.seconds() <= 0 || until.seconds() > INT32_MAX) {
    return InvalidField(field, "a time after 1970 and before 2038, or unset for good");
  }
  return static_cast<int32_t>(until.seconds());
}

// The request's own checks, before anything is resolved.
absl::Status CheckChange(const Request& request) {
  switch (request.change_case()) {
    case Request::CHANGE_NOT_SET:
      return InvalidField("change",
                          "required: one of ban, unban, kick, restrict, promote or demote");
    case Request::kPromote:
      if (!AnyRight(request.promote().rights())) {
        return InvalidField("promote.rights", "at least one right (demote removes them all)");
      }
      if (CodePoints(request.promote().custom_title()) > kMaxCustomTitleLength) {
        return InvalidField("promote.custom_title",
                            absl::StrCat("at most ", kMaxCustomTitleLength, " characters"));
      }
      return ValidUtf8(request.promote().custom_title()) == request.promote().custom_title()
                 ? absl::OkStatus()
                 : InvalidField("promote.custom_title", "not valid UTF-8");
    case Request::kBan:
      return UntilDate(request.ban().has_until_time(), request.ban().until_time(), "ban.until_time")
          .status();
    case Request::kRestrict:
      return UntilDate(request.restrict().has_until_time(), request.restrict().until_time(),
                       "restrict.until_time")
          .status();
    default:
      return absl::OkStatus();
  }
}

// The member as the change leaves them (what the request says; GetChatMember and
// ListChatMembers read it back from Telegram).
void DescribeMember(const Request& request, PeerType chat_type, v1::ChatMember* out) {
  switch (request.change_case()) {
    case Request::kBan:
      out->set_status(chat_type == PeerType::kChat ? v1::ChatMember::LEFT : v1::ChatMember::BANNED);
      if (request.ban().has_until_time()) *out->mutable_until_time() = request.ban().until_time();
      break;
    case Request::kKick:
      out->set_status(v1::ChatMember::LEFT);
      break;
    case Request::kUnban:
      out->set_status(v1::ChatMember::MEMBER);
      break;
    case Request::kRestrict:
      out->set_status(v1::ChatMember::RESTRICTED);
      *out->mutable_permissions() = request.restrict().permissions();
      if (request.restrict().has_until_time()) {
        *out->mutable_until_time() = request.restrict().until_time();
      }
      break;
    case Request::kPromote:
      out->set_status(v1::ChatMember::ADMINISTRATOR);
      *out->mutable_admin_rights() = request.promote().rights();
      out->set_rank(request.promote().custom_title());
      break;
    case Request::kDemote:
      out->set_status(v1::ChatMember::MEMBER);
      break;
    case Request::CHANGE_NOT_SET:
      break;
  }
}

using UpdatesCallback = std::function<void(absl::StatusOr<tl::Ptr<api::Updates>>)>;

// A basic group's change: deleteChatUser for ban and kick, editChatAdmin for promote and demote.
void ChangeBasicGroupMember(std::shared_ptr<Account> account, int64_t marked, int64_t user_id,
                            const Request& request, absl::Time deadline,
                            std::function<void(absl::Status)> done) {
  absl::StatusOr<tl::Ptr<api::InputUser>> user =
      account->peers().InputUser(user_id, account->self_id());
  if (!user.ok()) return done(user.status());
  switch (request.change_case()) {
    case Request::kBan:
    case Request::kKick: {
      api::messages_deleteChatUser remove;
      remove.chat_id = Unmark(marked);
      remove.user_id = *std::move(user);
      account->invoker()->Call<api::messages_deleteChatUser>(
          remove, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
            if (!result.ok()) return done(result.status());
            account->peers().AddFromUpdates(**result);
            done(absl::OkStatus());
          });
      return;
    }
    case Request::kPromote:
    case Request::kDemote: {
      api::messages_editChatAdmin edit;
      edit.chat_id = Unmark(marked);
      edit.user_id = *std::move(user);
      edit.is_admin = request.change_case() == Request::kPromote;
      account->invoker()->Call<api::messages_editChatAdmin>(
          edit, {deadline}, [=](absl::StatusOr<bool> result) { done(result.status()); });
      return;
    }
    default:
      return done(InvalidField("change",
                               "a basic group has no bans to lift or restrictions: ban, kick, "
                               "promote or demote"));
  }
}

// A supergroup's or channel's change: editBanned (ban, unban, restrict; kick is a ban lifted at
// once), editAdmin (promote, demote).
void ChangeChannelMember(std::shared_ptr<Account> account, int64_t marked, int64_t user_id,
                         std::shared_ptr<const Request> request, absl::Time deadline,
                         std::function<void(absl::Status)> done) {
  absl::StatusOr<tl::Ptr<api::InputChannel>> channel = account->peers().InputChannel(marked);
  if (!channel.ok()) return done(channel.status());
  auto applied = [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
    if (!result.ok()) return done(result.status());
    account->peers().AddFromUpdates(**result);
    done(absl::OkStatus());
  };
  if (request->change_case() == Request::kPromote || request->change_case() == Request::kDemote) {
    absl::StatusOr<tl::Ptr<api::InputUser>> user =
        account->peers().InputUser(user_id, account->self_id());
    if (!user.ok()) return done(user.status());
    api::channels_editAdmin edit;
    edit.channel = *std::move(channel);
    edit.user_id = *std::move(user);
    if (request->change_case() == Request::kPromote) {
      edit.admin_rights = ToTl(request->promote().rights());
      if (!request->promote().custom_title().empty()) edit.rank = request->promote().custom_title();
    } else {
      edit.admin_rights = ToTl(v1::ChatAdminRights());
    }
    account->invoker()->Call<api::channels_editAdmin>(edit, {deadline}, applied);
    return;
  }
  auto edit_banned = [account, user_id, deadline](tl::Ptr<api::InputChannel> channel,
                                                  tl::Ptr<api::ChatBannedRights> rights,
                                                  UpdatesCallback then) {
    absl::StatusOr<tl::Ptr<api::InputPeer>> user =
        account->peers().InputPeer(user_id, account->self_id());
    if (!user.ok()) return then(user.status());
    api::channels_editBanned ban;
    ban.channel = std::move(channel);
    ban.participant = *std::move(user);
    ban.banned_rights = std::move(rights);
    account->invoker()->Call<api::channels_editBanned>(ban, {deadline}, then);
  };
  const v1::ChatPermissions nothing;
  v1::ChatPermissions everything;
  everything.set_send_messages(true), everything.set_send_media(true);
  everything.set_send_stickers(true), everything.set_send_polls(true);
  everything.set_send_inline(true), everything.set_embed_links(true);
  everything.set_change_info(true), everything.set_invite_users(true);
  everything.set_pin_messages(true), everything.set_manage_topics(true);
  switch (request->change_case()) {
    case Request::kBan: {
      const int32_t until = request->ban().has_until_time()
                                ? static_cast<int32_t>(request->ban().until_time().seconds())
                                : 0;
      return edit_banned(*std::move(channel), BannedRightsOf(nothing, until, true), applied);
    }
    case Request::kUnban:
      return edit_banned(*std::move(channel), BannedRightsOf(everything, 0), applied);
    case Request::kRestrict: {
      const int32_t until = request->restrict().has_until_time()
                                ? static_cast<int32_t>(request->restrict().until_time().seconds())
                                : 0;
      return edit_banned(*std::move(channel),
                         BannedRightsOf(request->restrict().permissions(), until), applied);
    }
    case Request::kKick: {
      // Telegram has no kick: its apps ban, then lift the ban, so the user may come back.
      auto again = std::make_shared<tl::Ptr<api::InputChannel>>(*std::move(channel));
      absl::StatusOr<tl::Ptr<api::InputChannel>> second = account->peers().InputChannel(marked);
      if (!second.ok()) return done(second.status());
      auto lift = std::make_shared<tl::Ptr<api::InputChannel>>(*std::move(second));
      return edit_banned(std::move(*again), BannedRightsOf(nothing, 0, true),
                         [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                           if (!result.ok()) return done(result.status());
                           account->peers().AddFromUpdates(**result);
                           edit_banned(std::move(*lift), BannedRightsOf(everything, 0), applied);
                         });
    }
    default:
      return done(absl::InternalError("unhandled change"));
  }
}

// messages.deleteHistory of a private chat or basic group, again while Telegram answers that
// more is left (a non-zero offset: it deletes in batches).
void DeleteHistoryPages(std::shared_ptr<Account> account, int64_t marked, bool revoke,
                        int32_t max_id, absl::Time deadline,
                        std::function<void(absl::Status)> done) {
  absl::StatusOr<tl::Ptr<api::InputPeer>> peer =
      account->peers().InputPeer(marked, account->self_id());
  if (!peer.ok()) return done(peer.status());
  api::messages_deleteHistory clear;
  clear.peer = *std::move(peer);
  clear.revoke = revoke;
  clear.max_id = max_id;
  account->invoker()->Call<api::messages_deleteHistory>(
      clear, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_AffectedHistory>> result) {
        if (!result.ok()) return done(result.status());
        const auto* affected = dynamic_cast<const api::messages_affectedHistory*>(result->get());
        if (affected != nullptr && affected->offset > 0) {
          return DeleteHistoryPages(account, marked, revoke, max_id, deadline, done);
        }
        done(absl::OkStatus());
      });
}

}  // namespace

grpc::ServerUnaryReactor* ChatServiceImpl::UpdateChatMember(
    grpc::CallbackServerContext* context, const v1::UpdateChatMemberRequest* request,
    v1::ChatMember* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  absl::Status checked = CheckRequestId(request->request_id());
  if (checked.ok()) checked = CheckChange(*request);
  if (!checked.ok()) return Finish(reactor, checked), reactor;
  const RetryRecord retry(*api_, *tenant, request->name(), "UpdateChatMember",
                          request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  auto copy = std::make_shared<const Request>(*request);
  OnResolvedName(
      *api_, context, reactor, request->name(), "name", "chats", "members",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name) {
        const int64_t marked = peer.marked_id;
        const PeerType chat_type = MarkedType(marked);
        if (chat_type == PeerType::kUser) {
          return Finish(reactor, InvalidField("name", "a private chat has no members to change"));
        }
        if (name.rest.empty()) {
          return Finish(reactor, InvalidField("name", "the member: a user id or username"));
        }
        if (chat_type == PeerType::kChat && copy->change_case() == Request::kPromote &&
            !copy->promote().custom_title().empty()) {
          return Finish(reactor, InvalidField("promote.custom_title",
                                              "a basic group's admins have no title"));
        }
        ResolveChat(account, name.rest, "name", deadline, [=](absl::StatusOr<ResolvedPeer> member) {
          if (!member.ok()) return FinishAdmin(reactor, member.status());
          if (MarkedType(member->marked_id) != PeerType::kUser) {
            return Finish(reactor, InvalidField("name", "the member must be a user"));
          }
          const int64_t user_id = member->marked_id;
          if (user_id == account->self_id()) {
            return Finish(reactor, InvalidField("name", "names the account itself: use LeaveChat"));
          }
          auto done = [=](absl::Status status) {
            if (!status.ok()) return FinishAdmin(reactor, status);
            response->set_name(absl::StrCat(ChatName(account->id(), marked), "/members/", user_id));
            response->mutable_user()->set_id(user_id);
            response->mutable_user()->set_name(UserName(account->id(), user_id));
            DescribeMember(*copy, chat_type, response);
            retry.Store(*response);
            Finish(reactor, absl::OkStatus());
          };
          if (chat_type == PeerType::kChat) {
            return ChangeBasicGroupMember(account, marked, user_id, *copy, deadline, done);
          }
          ChangeChannelMember(account, marked, user_id, copy, deadline, done);
        });
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::DeleteChatHistory(
    grpc::CallbackServerContext* context, const v1::DeleteChatHistoryRequest* request,
    google::protobuf::Empty* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  absl::Status checked = CheckRequestId(request->request_id());
  if (checked.ok() && request->max_message_id() < 0) {
    checked = InvalidField("max_message_id", "a message id, or 0 for all");
  }
  if (!checked.ok()) return Finish(reactor, checked), reactor;
  const RetryRecord retry(*api_, *tenant, request->name(), "DeleteChatHistory",
                          request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  const bool revoke = request->revoke();
  const int32_t max_id = request->max_message_id();
  OnResolvedName(*api_, context, reactor, request->name(), "name", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   const int64_t marked = peer.marked_id;
                   auto answer = [=](absl::Status status) {
                     if (!status.ok()) return FinishAdmin(reactor, status);
                     retry.Store(*response);
                     Finish(reactor, absl::OkStatus());
                   };
                   if (MarkedType(marked) == PeerType::kChannel) {
                     absl::StatusOr<tl::Ptr<api::InputChannel>> channel =
                         account->peers().InputChannel(marked);
                     if (!channel.ok()) return FinishAdmin(reactor, channel.status());
                     api::channels_deleteHistory clear;
                     clear.channel = *std::move(channel);
                     clear.for_everyone = revoke;
                     clear.max_id = max_id == 0 ? INT32_MAX : max_id;
                     account->invoker()->Call<api::channels_deleteHistory>(
                         clear, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                           if (result.ok()) account->peers().AddFromUpdates(**result);
                           answer(result.status());
                         });
                     return;
                   }
                   DeleteHistoryPages(account, marked, revoke, max_id, deadline, answer);
                 });
  return reactor;
}

}  // namespace tgrpc::service
