// ChatService.ListAdminLog: channels.getAdminLog, paged by event id (max_id), with its filters.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/api/chat_admin_common.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/api/tl_json.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr int32_t kDefaultPageSize = 50;
constexpr int32_t kMaxPageSize = 100;
constexpr size_t kMaxQueryLength = 128;
constexpr int kMaxAdmins = 100;

using Filter = v1::ListAdminLogRequest::Filter;

tl::Ptr<api::ChannelAdminLogEventsFilter> EventsFilter(
    const google::protobuf::RepeatedField<int>& filters) {
  auto out = std::make_unique<api::channelAdminLogEventsFilter>();
  for (int f : filters) {
    switch (static_cast<Filter>(f)) {
      case v1::ListAdminLogRequest::JOIN:
        out->join = true;
        break;
      case v1::ListAdminLogRequest::LEAVE:
        out->leave = true;
        break;
      case v1::ListAdminLogRequest::INVITE:
        out->invite = true;
        break;
      case v1::ListAdminLogRequest::BAN:
        out->ban = true;
        break;
      case v1::ListAdminLogRequest::UNBAN:
        out->unban = true;
        break;
      case v1::ListAdminLogRequest::KICK:
        out->kick = true;
        break;
      case v1::ListAdminLogRequest::UNKICK:
        out->unkick = true;
        break;
      case v1::ListAdminLogRequest::PROMOTE:
        out->promote = true;
        break;
      case v1::ListAdminLogRequest::DEMOTE:
        out->demote = true;
        break;
      case v1::ListAdminLogRequest::INFO:
        out->info = true;
        break;
      case v1::ListAdminLogRequest::SETTINGS:
        out->settings = true;
        break;
      case v1::ListAdminLogRequest::PINNED:
        out->pinned = true;
        break;
      case v1::ListAdminLogRequest::EDIT:
        out->edit = true;
        break;
      case v1::ListAdminLogRequest::DELETE:
        out->delete_ = true;
        break;
      case v1::ListAdminLogRequest::GROUP_CALL:
        out->group_call = true;
        break;
      case v1::ListAdminLogRequest::INVITES:
        out->invites = true;
        break;
      case v1::ListAdminLogRequest::SEND:
        out->send = true;
        break;
      case v1::ListAdminLogRequest::FORUMS:
        out->forums = true;
        break;
      default:
        break;
    }
  }
  return out;
}

// "channelAdminLogEventActionChangeTitle" -> "ChangeTitle".
std::string ActionName(const tl::Object& action) {
  absl::string_view name = action.tl_name();
  absl::ConsumePrefix(&name, "channelAdminLogEventAction");
  return std::string(name);
}

}  // namespace

grpc::ServerUnaryReactor* ChatServiceImpl::ListAdminLog(grpc::CallbackServerContext* context,
                                                        const v1::ListAdminLogRequest* request,
                                                        v1::ListAdminLogResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::Status checked = absl::OkStatus();
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    checked = InvalidField("page_size", absl::StrCat("0-", kMaxPageSize));
  }
  for (int i = 0; checked.ok() && i < request->filters_size(); ++i) {
    if (request->filters(i) == v1::ListAdminLogRequest::FILTER_UNSPECIFIED ||
        !v1::ListAdminLogRequest::Filter_IsValid(request->filters(i))) {
      checked = InvalidField(absl::StrCat("filters[", i, "]"), "not a known kind of event");
    }
  }
  if (checked.ok() && CodePoints(request->query()) > kMaxQueryLength) {
    checked = InvalidField("query", absl::StrCat("at most ", kMaxQueryLength, " characters"));
  }
  if (checked.ok() && request->admins_size() > kMaxAdmins) {
    checked = InvalidField("admins", absl::StrCat("at most ", kMaxAdmins));
  }
  int64_t max_id = 0;
  absl::StatusOr<std::map<std::string, std::string>> token =
      ParsePageToken(request->page_token(), "page_token");
  if (checked.ok()) checked = token.status();
  if (checked.ok()) {
    if (auto it = token->find("max");
        it != token->end() && !absl::SimpleAtoi(it->second, &max_id)) {
      checked = InvalidField("page_token", "not a token this method made");
    }
  }
  if (!checked.ok()) return Finish(reactor, checked), reactor;
  const int32_t limit = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  const absl::Time deadline = CallDeadline(*context, *api_);
  auto copy = std::make_shared<const v1::ListAdminLogRequest>(*request);
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName parent) {
        if (MarkedType(peer.marked_id) != PeerType::kChannel) {
          return Finish(reactor, InvalidField("parent",
                                              "a supergroup or channel: only they keep an admin "
                                              "log"));
        }
        std::vector<std::string> admins;
        for (int i = 0; i < copy->admins_size(); ++i) {
          const std::string field = absl::StrCat("admins[", i, "]");
          absl::StatusOr<ChildName> admin = ParseChildName(copy->admins(i), field, "users");
          if (!admin.ok()) return Finish(reactor, admin.status());
          if (admin->account != parent.account) {
            return Finish(reactor, InvalidField(field, absl::StrCat("must be a user of accounts/",
                                                                    parent.account)));
          }
          admins.push_back(admin->child);
        }
        const int64_t marked = peer.marked_id;
        ResolveUsers(account, std::move(admins), "admins", deadline,
                     [=](absl::StatusOr<std::vector<tl::Ptr<api::InputUser>>> users) {
                       if (!users.ok()) return FinishAdmin(reactor, users.status());
                       absl::StatusOr<tl::Ptr<api::InputChannel>> channel =
                           account->peers().InputChannel(marked);
                       if (!channel.ok()) return FinishAdmin(reactor, channel.status());
                       api::channels_getAdminLog get;
                       get.channel = *std::move(channel);
                       get.q = copy->query();
                       if (copy->filters_size() > 0)
                         get.events_filter = EventsFilter(copy->filters());
                       if (!users->empty()) get.admins = *std::move(users);
                       get.max_id = max_id;
                       get.limit = limit;
                       account->invoker()->Call<api::channels_getAdminLog>(
                           get, {deadline},
                           [=](absl::StatusOr<tl::Ptr<api::channels_AdminLogResults>> result) {
                             if (!result.ok()) return FinishAdmin(reactor, result.status());
                             const auto* log =
                                 dynamic_cast<const api::channels_adminLogResults*>(result->get());
                             if (log == nullptr)
                               return Finish(reactor, absl::DataLossError("no log"));
                             account->peers().AddUsers(log->users);
                             for (const auto& item : log->events) {
                               const auto* event =
                                   dynamic_cast<const api::channelAdminLogEvent*>(item.get());
                               if (event == nullptr || event->action == nullptr) continue;
                               v1::AdminLogEvent* out = response->add_events();
                               out->set_id(event->id);
                               out->mutable_time()->set_seconds(event->date);
                               out->set_user_id(event->user_id);
                               out->set_action(ActionName(*event->action));
                               absl::StatusOr<std::string> boxed = tl::Serialize(*event->action);
                               absl::StatusOr<std::string> json =
                                   boxed.ok() ? TlToJson(*boxed, "ChannelAdminLogEventAction")
                                              : boxed.status();
                               if (json.ok()) out->set_action_json(*std::move(json));
                             }
                             if (response->events_size() == limit) {
                               response->set_next_page_token(MakePageToken(
                                   {{"max", absl::StrCat(response->events(limit - 1).id())}}));
                             }
                             Finish(reactor, absl::OkStatus());
                           });
                     });
      });
  return reactor;
}

}  // namespace tgrpc::service
