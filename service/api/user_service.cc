// UserService: the account's own user and any user it can see, with full info; the account's
// profile (UpdateProfile) and users' profile photos. Contacts and the blocklist:
// contact_service.cc.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mtproto/net/rpc_status.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

// users.getFullUser for `input`, answered as a v1.User with FullInfo.
void FetchFullUser(std::shared_ptr<Account> account, tl::Ptr<api::InputUser> input,
                   absl::Time deadline, v1::User* response, grpc::ServerUnaryReactor* reactor) {
  api::users_getFullUser request;
  request.id = std::move(input);
  account->invoker()->Call<api::users_getFullUser>(
      request, {deadline},
      [account, response, reactor](absl::StatusOr<tl::Ptr<api::users_UserFull>> result) {
        if (!result.ok()) return Finish(reactor, result.status());
        const auto* full = dynamic_cast<const api::users_userFull*>(result->get());
        const auto* info =
            full != nullptr ? dynamic_cast<const api::userFull*>(full->full_user.get()) : nullptr;
        if (info == nullptr) return Finish(reactor, absl::DataLossError("no full user"));
        account->peers().AddUsers(full->users);
        account->peers().AddChats(full->chats);
        for (const auto& user : full->users) {
          const auto* u = dynamic_cast<const api::user*>(user.get());
          if (u != nullptr && u->id == info->id) ToProto(*u, account->id(), response);
        }
        ToProto(*info, response);
        Finish(reactor, absl::OkStatus());
      });
}

// Telegram's username rules: 5-32 of a-z, A-Z, 0-9 and _, starting with a letter.
bool IsValidUsername(absl::string_view name) {
  if (name.size() < 5 || name.size() > 32) return false;
  if (!absl::ascii_isalpha(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// Telegram's answers to account.updateUsername on the gRPC surface. A name someone else has is
// ALREADY_EXISTS; a name Telegram refuses is INVALID_ARGUMENT naming user.username (the general
// mapping makes USERNAME_INVALID NOT_FOUND, which fits resolving a name, not choosing one). Each
// keeps Telegram's error type as its ErrorInfo reason.
absl::Status UsernameError(const absl::Status& status) {
  std::optional<mtproto::session::RpcError> rpc = mtproto::net::RpcErrorOf(status);
  if (!rpc.has_value()) return status;
  const std::string message = absl::StrCat(rpc->type, ": ", TelegramErrorDescription(rpc->type));
  if (rpc->type == "USERNAME_OCCUPIED") {
    return ServiceError(absl::StatusCode::kAlreadyExists, rpc->type, message);
  }
  if (rpc->type == "USERNAME_INVALID" || rpc->type == "USERNAME_PURCHASE_AVAILABLE") {
    absl::Status out = InvalidField("user.username", message);
    ServiceError(absl::StatusCode::kInvalidArgument, rpc->type, message)
        .ForEachPayload([&out](absl::string_view url, const absl::Cord& payload) {
          out.SetPayload(url, payload);
        });
    return out;
  }
  return status;
}

bool IsTelegramError(const absl::Status& status, absl::string_view type) {
  std::optional<mtproto::session::RpcError> rpc = mtproto::net::RpcErrorOf(status);
  return rpc.has_value() && rpc->type == type;
}

// The largest size of a profile photo.
void ToProto(const api::photo& photo, v1::ProfilePhoto* out) {
  out->set_id(photo.id);
  out->set_access_hash(photo.access_hash);
  out->set_file_reference(photo.file_reference);
  out->set_dc_id(photo.dc_id);
  out->mutable_date()->set_seconds(photo.date);
  out->set_has_video(photo.video_sizes.has_value() && !photo.video_sizes->empty());
  int64_t best_area = -1;
  for (const auto& size : photo.sizes) {
    std::string type;
    int32_t w = 0, h = 0;
    int64_t bytes = 0;
    if (const auto* s = dynamic_cast<const api::photoSize*>(size.get())) {
      type = s->type, w = s->w, h = s->h, bytes = s->size;
    } else if (const auto* s = dynamic_cast<const api::photoSizeProgressive*>(size.get())) {
      type = s->type, w = s->w, h = s->h;
      bytes = s->sizes.empty() ? 0 : *std::max_element(s->sizes.begin(), s->sizes.end());
    } else {
      continue;  // cached, stripped and path sizes are inline previews, not downloadable
    }
    if (int64_t{w} * h <= best_area) continue;
    best_area = int64_t{w} * h;
    out->set_thumb_size(type);
    out->set_width(w);
    out->set_height(h);
    out->set_size(bytes);
  }
}

}  // namespace

grpc::ServerUnaryReactor* UserServiceImpl::GetMe(grpc::CallbackServerContext* context,
                                                 const v1::GetMeRequest* request,
                                                 v1::User* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerSignedInAccount(*api_, *context, request->account(), "account");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  FetchFullUser(*account, std::make_unique<api::inputUserSelf>(), CallDeadline(*context, *api_),
                response, reactor);
  return reactor;
}

grpc::ServerUnaryReactor* UserServiceImpl::GetUser(grpc::CallbackServerContext* context,
                                                   const v1::GetUserRequest* request,
                                                   v1::User* response) {
  auto* reactor = context->DefaultReactor();
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(*api_, context, reactor, request->name(), "name", "users", "",
                 [deadline, response, reactor](std::shared_ptr<Account> account, ResolvedPeer peer,
                                               ChildName) {
                   if (MarkedType(peer.marked_id) != PeerType::kUser) {
                     return Finish(reactor, InvalidField("name", "names a chat, not a user"));
                   }
                   absl::StatusOr<tl::Ptr<api::InputUser>> input =
                       account->peers().InputUser(peer.marked_id, account->self_id());
                   if (!input.ok()) return Finish(reactor, input.status());
                   FetchFullUser(account, *std::move(input), deadline, response, reactor);
                 });
  return reactor;
}

grpc::ServerUnaryReactor* UserServiceImpl::UpdateProfile(grpc::CallbackServerContext* context,
                                                         const v1::UpdateProfileRequest* request,
                                                         v1::User* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<ChildName> name = ParseChildName(request->user().name(), "user.name", "users");
  if (!name.ok()) return Finish(reactor, name.status()), reactor;
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(*api_, *context, absl::StrCat("accounts/", name->account), "user.name");
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  std::shared_ptr<Account> account = *found;
  int64_t id = 0;
  if (name->child != "me" && name->child != "self" &&
      !(absl::SimpleAtoi(name->child, &id) && id == account->self_id())) {
    return Finish(reactor, InvalidField("user.name", "only the account's own profile (users/me)")),
           reactor;
  }
  if (request->update_mask().paths().empty()) {
    return Finish(reactor, InvalidField("update_mask", "required: the fields to change")), reactor;
  }
  static const std::set<std::string> kPaths = {"first_name", "last_name", "full.about", "username"};
  std::set<std::string> paths;
  for (const std::string& path : request->update_mask().paths()) {
    if (kPaths.count(path) == 0) {
      return Finish(reactor,
                    InvalidField("update_mask",
                                 absl::StrCat("\"", absl::CHexEscape(path.substr(0, 64)),
                                              "\" is not first_name, last_name, full.about or "
                                              "username"))),
             reactor;
    }
    paths.insert(path);
  }
  const v1::User& user = request->user();
  api::account_updateProfile profile;
  if (paths.count("first_name") != 0) {
    if (user.first_name().empty() || CodePoints(user.first_name()) > 64) {
      return Finish(reactor, InvalidField("user.first_name", "1-64 characters")), reactor;
    }
    profile.first_name = user.first_name();
  }
  if (paths.count("last_name") != 0) {
    if (CodePoints(user.last_name()) > 64) {
      return Finish(reactor, InvalidField("user.last_name", "at most 64 characters")), reactor;
    }
    profile.last_name = user.last_name();
  }
  if (paths.count("full.about") != 0) {
    // 70 without Telegram Premium: Telegram answers ABOUT_TOO_LONG over the account's limit.
    if (CodePoints(user.full().about()) > 140) {
      return Finish(reactor, InvalidField("user.full.about", "at most 140 characters")), reactor;
    }
    profile.about = user.full().about();
  }
  const bool change_username = paths.count("username") != 0;
  if (change_username && !user.username().empty() && !IsValidUsername(user.username())) {
    return Finish(reactor, InvalidField("user.username",
                                        "5-32 characters of a-z, A-Z, 0-9 and _, starting with a "
                                        "letter; \"\" removes the username")),
           reactor;
  }
  const bool change_profile = profile.first_name || profile.last_name || profile.about;
  const absl::Time deadline = CallDeadline(*context, *api_);
  // The profile, then the full user as it now is.
  auto update_profile = [account,
                         profile = std::make_shared<api::account_updateProfile>(std::move(profile)),
                         change_profile, deadline, response, reactor]() {
    auto answer = [account, deadline, response, reactor] {
      FetchFullUser(account, std::make_unique<api::inputUserSelf>(), deadline, response, reactor);
    };
    if (!change_profile) return answer();
    account->invoker()->Call<api::account_updateProfile>(
        *profile, {deadline}, [answer, reactor](absl::StatusOr<tl::Ptr<api::User>> user) {
          if (!user.ok()) return Finish(reactor, user.status());
          answer();
        });
  };
  if (!change_username) return update_profile(), reactor;
  // The username first: the change most likely refused (taken), before any other is made.
  api::account_updateUsername username;
  username.username = user.username();
  account->invoker()->Call<api::account_updateUsername>(
      username, {deadline}, [update_profile, reactor](absl::StatusOr<tl::Ptr<api::User>> result) {
        // USERNAME_NOT_MODIFIED: it already is the account's username, which is what was asked.
        if (!result.ok() && !IsTelegramError(result.status(), "USERNAME_NOT_MODIFIED")) {
          return Finish(reactor, UsernameError(result.status()));
        }
        update_profile();
      });
  return reactor;
}

grpc::ServerUnaryReactor* UserServiceImpl::ListProfilePhotos(
    grpc::CallbackServerContext* context, const v1::ListProfilePhotosRequest* request,
    v1::ListProfilePhotosResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->page_size() < 0 || request->page_size() > 100) {
    return Finish(reactor, InvalidField("page_size", "0-100")), reactor;
  }
  absl::StatusOr<int32_t> page = ParseOffsetPageToken(request->page_token(), "page_token");
  if (!page.ok()) return Finish(reactor, page.status()), reactor;
  const int32_t offset = *page;
  const int32_t limit = request->page_size() == 0 ? 50 : request->page_size();
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "users", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        if (MarkedType(peer.marked_id) != PeerType::kUser) {
          return Finish(reactor, InvalidField("parent", "names a chat, not a user"));
        }
        absl::StatusOr<tl::Ptr<api::InputUser>> input =
            account->peers().InputUser(peer.marked_id, account->self_id());
        if (!input.ok()) return Finish(reactor, input.status());
        api::photos_getUserPhotos get;
        get.user_id = *std::move(input);
        get.offset = offset;
        get.limit = limit;
        account->invoker()->Call<api::photos_getUserPhotos>(
            get, {deadline}, [=](absl::StatusOr<tl::Ptr<api::photos_Photos>> result) {
              if (!result.ok()) return Finish(reactor, result.status());
              const std::vector<tl::Ptr<api::Photo>>* photos = nullptr;
              int32_t total = 0;
              if (const auto* all = dynamic_cast<const api::photos_photos*>(result->get())) {
                account->peers().AddUsers(all->users);
                photos = &all->photos;
                total = offset + static_cast<int32_t>(all->photos.size());
              } else if (const auto* slice =
                             dynamic_cast<const api::photos_photosSlice*>(result->get())) {
                account->peers().AddUsers(slice->users);
                photos = &slice->photos;
                total = slice->count;
              } else {
                return Finish(reactor, absl::DataLossError("unexpected photos answer"));
              }
              for (const auto& p : *photos) {
                if (const auto* photo = dynamic_cast<const api::photo*>(p.get())) {
                  ToProto(*photo, response->add_photos());
                }
              }
              const int32_t next = offset + static_cast<int32_t>(photos->size());
              if (!photos->empty() && next < total) {
                response->set_next_page_token(MakePageToken({{"offset", absl::StrCat(next)}}));
              }
              response->set_total_size(total);
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

}  // namespace tgrpc::service
