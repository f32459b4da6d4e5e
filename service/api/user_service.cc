// UserService: the account's own user and any user it can see, with full info.
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/services.h"
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

}  // namespace tgrpc::service
