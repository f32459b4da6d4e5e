// ChatService's invite links (CreateInviteLink, ListInviteLinks, RevokeInviteLink, and JoinChat
// by a link: messages.exportChatInvite, getExportedChatInvites, editExportedChatInvite,
// importChatInvite) and join requests (ListJoinRequests, ApproveJoinRequest,
// DeclineJoinRequest: messages.getChatInviteImporters, hideChatJoinRequest,
// hideAllChatJoinRequests).
#include <algorithm>
#include <climits>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "service/api/chat_admin_common.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr size_t kMaxLinkTitleLength = 32;  // characters
constexpr int32_t kMaxUsageLimit = 99999;
constexpr int32_t kDefaultPageSize = 50;
constexpr int32_t kMaxPageSize = 100;

void ToProto(const api::ExportedChatInvite& exported, v1::InviteLink* out) {
  const auto* invite = dynamic_cast<const api::chatInviteExported*>(&exported);
  if (invite == nullptr) return;
  out->set_link(ValidUtf8(invite->link));
  out->set_title(ValidUtf8(invite->title.value_or("")));
  out->set_creator_id(invite->admin_id);
  if (invite->date != 0) out->mutable_create_time()->set_seconds(invite->date);
  if (invite->expire_date.value_or(0) != 0) {
    out->mutable_expire_time()->set_seconds(*invite->expire_date);
  }
  out->set_usage_limit(invite->usage_limit.value_or(0));
  out->set_usage_count(invite->usage.value_or(0));
  out->set_request_needed(invite->request_needed);
  out->set_pending_requests(invite->requested.value_or(0));
  out->set_revoked(invite->revoked);
  out->set_permanent(invite->permanent);
}

// The hash of an invite link: https://t.me/+HASH, t.me/joinchat/HASH, tg://join?invite=HASH, or
// the hash itself; INVALID_ARGUMENT naming `field` for anything else.
absl::StatusOr<std::string> InviteHash(absl::string_view link, absl::string_view field) {
  absl::string_view hash = absl::StripAsciiWhitespace(link);
  absl::ConsumePrefix(&hash, "https://");
  absl::ConsumePrefix(&hash, "http://");
  if (absl::ConsumePrefix(&hash, "t.me/+") || absl::ConsumePrefix(&hash, "t.me/joinchat/") ||
      absl::ConsumePrefix(&hash, "telegram.me/joinchat/") ||
      absl::ConsumePrefix(&hash, "tg://join?invite=")) {
    // the hash follows
  }
  if (hash.empty() || hash.size() > 64 || !std::all_of(hash.begin(), hash.end(), [](char c) {
        return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      })) {
    return InvalidField(field, "an invite link: https://t.me/+HASH, t.me/joinchat/HASH or HASH");
  }
  return std::string(hash);
}

absl::StatusOr<int32_t> PageSize(int32_t page_size) {
  if (page_size < 0 || page_size > kMaxPageSize) {
    return InvalidField("page_size", absl::StrCat("0-", kMaxPageSize));
  }
  return page_size == 0 ? kDefaultPageSize : page_size;
}

// Where a page of links or join requests starts: the date (and the link, for links) that
// the last page ended at, from the `page_token` this file made.
struct DatePage {
  int32_t offset_date = 0;
  std::string offset_link;
};
absl::StatusOr<DatePage> ParseDatePage(absl::string_view page_token) {
  absl::StatusOr<std::map<std::string, std::string>> token =
      ParsePageToken(page_token, "page_token");
  if (!token.ok()) return token.status();
  DatePage page;
  if (auto it = token->find("date"); it != token->end()) {
    if (!absl::SimpleAtoi(it->second, &page.offset_date)) {
      return InvalidField("page_token", "not a token this method made");
    }
  }
  if (auto it = token->find("link"); it != token->end()) page.offset_link = it->second;
  return page;
}

// The parent a handler on a chat's links names must be a group or channel.
absl::Status CheckGroup(int64_t marked, absl::string_view field) {
  if (MarkedType(marked) == PeerType::kUser) {
    return InvalidField(field, "names a user: a private chat has no invite links");
  }
  return absl::OkStatus();
}

// Approve or decline: one requester (`user`) or all of them (of `link` if set).
template <class Request>
void HideJoinRequests(const ApiContext& api, grpc::CallbackServerContext* context,
                      grpc::ServerUnaryReactor* reactor, const Request& request, bool approved,
                      absl::string_view method, const std::string& tenant) {
  if (absl::Status s = CheckRequestId(request.request_id()); !s.ok()) return Finish(reactor, s);
  if (request.user().empty() == !request.all()) {
    return Finish(reactor, InvalidField("user", "one of user and all is required"));
  }
  if (!request.invite_link().empty() && !request.all()) {
    return Finish(reactor, InvalidField("invite_link", "only with all"));
  }
  std::string link;
  if (!request.invite_link().empty()) {
    absl::StatusOr<std::string> hash = InviteHash(request.invite_link(), "invite_link");
    if (!hash.ok()) return Finish(reactor, hash.status());
    link = "https://t.me/+" + *hash;
  }
  const RetryRecord retry(api, tenant, request.parent(), method, request.request_id());
  google::protobuf::Empty replayed;
  if (retry.Replay(&replayed)) return Finish(reactor, absl::OkStatus());
  const absl::Time deadline = CallDeadline(*context, api);
  const std::string user_name = request.user();
  const bool all = request.all();
  OnResolvedName(
      api, context, reactor, request.parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName parent) {
        if (absl::Status s = CheckGroup(peer.marked_id, "parent"); !s.ok()) {
          return Finish(reactor, s);
        }
        auto answer = [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
          if (!result.ok()) return FinishAdmin(reactor, result.status());
          account->peers().AddFromUpdates(**result);
          retry.Store(google::protobuf::Empty());
          Finish(reactor, absl::OkStatus());
        };
        if (all) {
          api::messages_hideAllChatJoinRequests hide;
          hide.peer = std::move(peer.input);
          hide.approved = approved;
          if (!link.empty()) hide.link = link;
          account->invoker()->Call<api::messages_hideAllChatJoinRequests>(hide, {deadline}, answer);
          return;
        }
        absl::StatusOr<ChildName> user = ParseChildName(user_name, "user", "users");
        if (!user.ok()) return Finish(reactor, user.status());
        if (user->account != parent.account) {
          return Finish(reactor, InvalidField("user", absl::StrCat("must be a user of accounts/",
                                                                   parent.account)));
        }
        auto input = std::make_shared<tl::Ptr<api::InputPeer>>(std::move(peer.input));
        ResolveUsers(account, {user->child}, "user", deadline,
                     [=](absl::StatusOr<std::vector<tl::Ptr<api::InputUser>>> users) {
                       if (!users.ok()) return FinishAdmin(reactor, users.status());
                       api::messages_hideChatJoinRequest hide;
                       hide.peer = std::move(*input);
                       hide.user_id = std::move(users->front());
                       hide.approved = approved;
                       account->invoker()->Call<api::messages_hideChatJoinRequest>(hide, {deadline},
                                                                                   answer);
                     });
      });
}

}  // namespace

void JoinChatByInviteLink(const ApiContext& api, grpc::CallbackServerContext* context,
                          grpc::ServerUnaryReactor* reactor, const v1::JoinChatRequest& request,
                          const std::string& tenant, v1::Chat* response) {
  if (!request.name().empty()) {
    return Finish(reactor, InvalidField("name", "either name or account and invite_link"));
  }
  absl::StatusOr<std::string> hash = InviteHash(request.invite_link(), "invite_link");
  if (!hash.ok()) return Finish(reactor, hash.status());
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(api, *context, request.account(), "account");
  if (!found.ok()) return Finish(reactor, found.status());
  std::shared_ptr<Account> account = *found;
  const RetryRecord retry(api, tenant, request.account(), "JoinChat", request.request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus());
  const absl::Time deadline = CallDeadline(*context, api);
  api::messages_importChatInvite import;
  import.hash = *hash;
  account->invoker()->Call<api::messages_importChatInvite>(
      import, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_ChatInviteJoinResult>> result) {
        if (!result.ok()) return FinishAdmin(reactor, result.status());
        const auto* ok = dynamic_cast<const api::messages_chatInviteJoinResultOk*>(result->get());
        if (ok == nullptr || ok->updates == nullptr) {
          return Finish(reactor, absl::DataLossError("the answer names no chat"));
        }
        account->peers().AddFromUpdates(*ok->updates);
        std::optional<v1::Chat> chat = ChatIn(*ok->updates, account->id(), 0);
        if (!chat.has_value()) {
          return Finish(reactor, absl::DataLossError("the answer names no chat"));
        }
        AnswerChat(account, chat->id(), chat, deadline, response, retry, reactor);
      });
}

grpc::ServerUnaryReactor* ChatServiceImpl::CreateInviteLink(
    grpc::CallbackServerContext* context, const v1::CreateInviteLinkRequest* request,
    v1::InviteLink* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  absl::Status checked = CheckRequestId(request->request_id());
  if (checked.ok() && request->has_expire_time() &&
      request->expire_time().seconds() <= absl::ToUnixSeconds(absl::Now())) {
    checked = InvalidField("expire_time", "must be in the future");
  }
  if (checked.ok() && request->has_expire_time() && request->expire_time().seconds() > INT32_MAX) {
    checked = InvalidField("expire_time", "before 2038");
  }
  if (checked.ok() && (request->usage_limit() < 0 || request->usage_limit() > kMaxUsageLimit)) {
    checked = InvalidField("usage_limit", absl::StrCat("0 (none) to ", kMaxUsageLimit));
  }
  if (checked.ok() && request->usage_limit() != 0 && request->request_needed()) {
    checked = InvalidField("usage_limit", "not with request_needed: admins approve each join");
  }
  if (checked.ok() && CodePoints(request->title()) > kMaxLinkTitleLength) {
    checked = InvalidField("title", absl::StrCat("at most ", kMaxLinkTitleLength, " characters"));
  }
  if (!checked.ok()) return Finish(reactor, checked), reactor;
  const RetryRecord retry(*api_, *tenant, request->parent(), "CreateInviteLink",
                          request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  auto copy = std::make_shared<const v1::CreateInviteLinkRequest>(*request);
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   if (absl::Status s = CheckGroup(peer.marked_id, "parent"); !s.ok()) {
                     return Finish(reactor, s);
                   }
                   api::messages_exportChatInvite create;
                   create.peer = std::move(peer.input);
                   if (copy->has_expire_time()) {
                     create.expire_date = static_cast<int32_t>(copy->expire_time().seconds());
                   }
                   if (copy->usage_limit() != 0) create.usage_limit = copy->usage_limit();
                   create.request_needed = copy->request_needed();
                   if (!copy->title().empty()) create.title = copy->title();
                   account->invoker()->Call<api::messages_exportChatInvite>(
                       create, {deadline},
                       [=](absl::StatusOr<tl::Ptr<api::ExportedChatInvite>> result) {
                         if (!result.ok()) return FinishAdmin(reactor, result.status());
                         ToProto(**result, response);
                         retry.Store(*response);
                         Finish(reactor, absl::OkStatus());
                       });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::ListInviteLinks(
    grpc::CallbackServerContext* context, const v1::ListInviteLinksRequest* request,
    v1::ListInviteLinksResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<int32_t> limit = PageSize(request->page_size());
  if (!limit.ok()) return Finish(reactor, limit.status()), reactor;
  absl::StatusOr<DatePage> page = ParseDatePage(request->page_token());
  if (!page.ok()) return Finish(reactor, page.status()), reactor;
  const int32_t offset_date = page->offset_date;
  const std::string offset_link = page->offset_link;
  const absl::Time deadline = CallDeadline(*context, *api_);
  const bool revoked = request->revoked();
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        if (absl::Status s = CheckGroup(peer.marked_id, "parent"); !s.ok()) {
          return Finish(reactor, s);
        }
        api::messages_getExportedChatInvites list;
        list.peer = std::move(peer.input);
        list.admin_id = std::make_unique<api::inputUserSelf>();
        list.revoked = revoked;
        if (!offset_link.empty()) {
          list.offset_date = offset_date;
          list.offset_link = offset_link;
        }
        list.limit = *limit;
        account->invoker()->Call<api::messages_getExportedChatInvites>(
            list, {deadline},
            [=](absl::StatusOr<tl::Ptr<api::messages_ExportedChatInvites>> result) {
              if (!result.ok()) return FinishAdmin(reactor, result.status());
              const auto* invites =
                  dynamic_cast<const api::messages_exportedChatInvites*>(result->get());
              if (invites == nullptr) return Finish(reactor, absl::DataLossError("no invites"));
              account->peers().AddUsers(invites->users);
              response->set_total_size(invites->count);
              for (const auto& invite : invites->invites) {
                ToProto(*invite, response->add_links());
              }
              if (static_cast<int32_t>(invites->invites.size()) == *limit) {
                const v1::InviteLink& last = response->links(response->links_size() - 1);
                response->set_next_page_token(MakePageToken(
                    {{"date", absl::StrCat(last.create_time().seconds())}, {"link", last.link()}}));
              }
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::RevokeInviteLink(
    grpc::CallbackServerContext* context, const v1::RevokeInviteLinkRequest* request,
    v1::InviteLink* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  absl::Status checked = CheckRequestId(request->request_id());
  absl::StatusOr<std::string> hash = InviteHash(request->link(), "link");
  if (checked.ok()) checked = hash.status();
  if (!checked.ok()) return Finish(reactor, checked), reactor;
  const RetryRecord retry(*api_, *tenant, request->parent(), "RevokeInviteLink",
                          request->request_id());
  if (retry.Replay(response)) return Finish(reactor, absl::OkStatus()), reactor;
  const absl::Time deadline = CallDeadline(*context, *api_);
  const std::string link = "https://t.me/+" + *hash;
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        if (absl::Status s = CheckGroup(peer.marked_id, "parent"); !s.ok()) {
          return Finish(reactor, s);
        }
        api::messages_editExportedChatInvite revoke;
        revoke.peer = std::move(peer.input);
        revoke.link = link;
        revoke.revoked = true;
        account->invoker()->Call<api::messages_editExportedChatInvite>(
            revoke, {deadline},
            [=](absl::StatusOr<tl::Ptr<api::messages_ExportedChatInvite>> result) {
              if (!result.ok()) return FinishAdmin(reactor, result.status());
              if (const auto* one =
                      dynamic_cast<const api::messages_exportedChatInvite*>(result->get())) {
                if (one->invite != nullptr) ToProto(*one->invite, response);
              } else if (const auto* replaced =
                             dynamic_cast<const api::messages_exportedChatInviteReplaced*>(
                                 result->get())) {
                if (replaced->invite != nullptr) ToProto(*replaced->invite, response);
              }
              retry.Store(*response);
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::ListJoinRequests(
    grpc::CallbackServerContext* context, const v1::ListJoinRequestsRequest* request,
    v1::ListJoinRequestsResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<int32_t> limit = PageSize(request->page_size());
  if (!limit.ok()) return Finish(reactor, limit.status()), reactor;
  absl::StatusOr<DatePage> page = ParseDatePage(request->page_token());
  if (!page.ok()) return Finish(reactor, page.status()), reactor;
  const int32_t offset_date = page->offset_date;
  std::string link;
  if (!request->invite_link().empty()) {
    absl::StatusOr<std::string> hash = InviteHash(request->invite_link(), "invite_link");
    if (!hash.ok()) return Finish(reactor, hash.status()), reactor;
    link = "https://t.me/+" + *hash;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        if (absl::Status s = CheckGroup(peer.marked_id, "parent"); !s.ok()) {
          return Finish(reactor, s);
        }
        api::messages_getChatInviteImporters list;
        list.requested = true;
        list.peer = std::move(peer.input);
        if (!link.empty()) list.link = link;
        list.offset_date = offset_date;
        list.offset_user = std::make_unique<api::inputUserEmpty>();
        list.limit = *limit;
        account->invoker()->Call<api::messages_getChatInviteImporters>(
            list, {deadline},
            [=](absl::StatusOr<tl::Ptr<api::messages_ChatInviteImporters>> result) {
              if (!result.ok()) return FinishAdmin(reactor, result.status());
              const auto* importers =
                  dynamic_cast<const api::messages_chatInviteImporters*>(result->get());
              if (importers == nullptr) return Finish(reactor, absl::DataLossError("no list"));
              account->peers().AddUsers(importers->users);
              PeerIndex index;
              for (const auto& u : importers->users) index.users.push_back(u.get());
              response->set_total_size(importers->count);
              int32_t last_date = 0;
              for (const auto& item : importers->importers) {
                const auto* importer = dynamic_cast<const api::chatInviteImporter*>(item.get());
                if (importer == nullptr) continue;
                v1::JoinRequest* out = response->add_requests();
                if (const api::User* user = index.FindUser(importer->user_id)) {
                  ToProto(*user, account->id(), out->mutable_user());
                } else {
                  out->mutable_user()->set_id(importer->user_id);
                  out->mutable_user()->set_name(UserName(account->id(), importer->user_id));
                }
                out->mutable_request_time()->set_seconds(importer->date);
                out->set_about(ValidUtf8(importer->about.value_or("")));
                last_date = importer->date;
              }
              if (static_cast<int32_t>(importers->importers.size()) == *limit) {
                response->set_next_page_token(MakePageToken({{"date", absl::StrCat(last_date)}}));
              }
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::ApproveJoinRequest(
    grpc::CallbackServerContext* context, const v1::ApproveJoinRequestRequest* request,
    google::protobuf::Empty* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  HideJoinRequests(*api_, context, reactor, *request, true, "ApproveJoinRequest", *tenant);
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::DeclineJoinRequest(
    grpc::CallbackServerContext* context, const v1::DeclineJoinRequestRequest* request,
    google::protobuf::Empty* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  HideJoinRequests(*api_, context, reactor, *request, false, "DeclineJoinRequest", *tenant);
  return reactor;
}

}  // namespace tgrpc::service
