// What every gRPC handler of tgrpc.v1 shares: the caller's tenant from its bearer token, the
// call's deadline, resource names parsed with errors that name the field, and chat references
// (marked ids, usernames, "me") resolved through the account's peer cache.
#ifndef TGRPC_SERVICE_API_COMMON_H_
#define TGRPC_SERVICE_API_COMMON_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "service/api/request_cache.h"
#include "service/telegram/account_manager.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

struct ApiContext {
  AccountManager* accounts = nullptr;
  // Bearer token -> tenant.
  std::map<std::string, std::string> tokens;
  // No token needed: every caller is the tenant "default" (local sandbox only).
  bool allow_unauthenticated = false;
  // Used when the caller sets no deadline.
  absl::Duration default_deadline = absl::Minutes(2);
  // Answers of mutations by request_id (a retry acts once).
  RequestCache* requests = nullptr;
};

// "<tenant>/<account>/<method>/<request_id>", or "" when the call has no request_id.
std::string RequestKey(const std::string& tenant, absl::string_view account,
                       absl::string_view method, const std::string& request_id);

// For a stream of an account this process stopped serving (Account::stopped(): it moved to
// another replica, or tgrpcd is stopping): UNAVAILABLE with reason ACCOUNT_NOT_HERE, so the caller
// resumes, wherever the account is served now.
absl::Status NoLongerServed(const Account& account);

// The tenant of the call's `authorization: Bearer <token>`; UNAUTHENTICATED otherwise.
absl::StatusOr<std::string> Authenticate(const grpc::CallbackServerContext& context,
                                         const ApiContext& api);
absl::Time CallDeadline(const grpc::CallbackServerContext& context, const ApiContext& api);

// accounts/{account}
absl::StatusOr<std::string> ParseAccountName(absl::string_view name, absl::string_view field);
struct ChildName {
  std::string account;
  std::string child;  // the {chat} or {user} segment
  std::string rest;   // what follows it: "" or e.g. the message id
};
// accounts/{account}/{collection}/{child}[/{sub_collection}/{rest}]
absl::StatusOr<ChildName> ParseChildName(absl::string_view name, absl::string_view field,
                                         absl::string_view collection,
                                         absl::string_view sub_collection = "");

// The preamble of a handler on an account: the caller's tenant (Authenticate), the account name
// `name` of request field `field`, and the tenant's account of that name. UNAUTHENTICATED,
// INVALID_ARGUMENT naming the field, or NOT_FOUND (ACCOUNT_NOT_FOUND).
absl::StatusOr<std::shared_ptr<Account>> CallerAccount(const ApiContext& api,
                                                       const grpc::CallbackServerContext& context,
                                                       absl::string_view name,
                                                       absl::string_view field);
// As CallerAccount, for handlers that talk to Telegram: FAILED_PRECONDITION with reason
// ACCOUNT_NOT_SIGNED_IN when the account is not signed in.
absl::StatusOr<std::shared_ptr<Account>> CallerSignedInAccount(
    const ApiContext& api, const grpc::CallbackServerContext& context, absl::string_view name,
    absl::string_view field);

struct ResolvedPeer {
  int64_t marked_id = 0;
  tl::Ptr<tl::api::InputPeer> input;
};
using ResolveCallback = std::function<void(absl::StatusOr<ResolvedPeer>)>;
// A chat reference: a marked id, "me"/"self", a username (with or without @) resolved with
// contacts.resolveUsername when the cache does not know it, or a +phone the cache knows.
void ResolveChat(std::shared_ptr<Account> account, const std::string& reference,
                 absl::string_view field, absl::Time deadline, ResolveCallback done);

using InputUsersCallback =
    std::function<void(absl::StatusOr<std::vector<tl::Ptr<tl::api::InputUser>>>)>;
// Resolves `references` (the {user} segments of user names in request field `field`) one after
// the other with ResolveChat into inputUsers; INVALID_ARGUMENT naming `field` for the first one
// that is a chat, not a user.
void ResolveUsers(std::shared_ptr<Account> account, std::vector<std::string> references,
                  std::string field, absl::Time deadline, InputUsersCallback done,
                  std::vector<tl::Ptr<tl::api::InputUser>> resolved = {});

// The preamble of a handler on a chat or user name,
// accounts/{account}/{collection}/{reference}[/{sub_collection}/{rest}] in request field `field`:
// CallerSignedInAccount for {account}, then ResolveChat for {reference}. Runs `body` with the
// account, the peer and the parsed name, or finishes `reactor` with the first error.
using ResolvedNameBody =
    std::function<void(std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name)>;
void OnResolvedName(const ApiContext& api, grpc::CallbackServerContext* context,
                    grpc::ServerUnaryReactor* reactor, absl::string_view name,
                    absl::string_view field, absl::string_view collection,
                    absl::string_view sub_collection, ResolvedNameBody body);

// Finishes a unary reactor with the status (mapped by errors.h).
void Finish(grpc::ServerUnaryReactor* reactor, const absl::Status& status);

// Page tokens: an opaque base64 of a small key=value map, checked on the way in.
std::string MakePageToken(const std::map<std::string, std::string>& values);
absl::StatusOr<std::map<std::string, std::string>> ParsePageToken(absl::string_view token,
                                                                  absl::string_view field);
// Resume tokens of UpdateService: the page-token encoding of {account id: position}, the
// position delivered last of each account the stream covers.
absl::StatusOr<std::map<std::string, int64_t>> ParseResumeToken(absl::string_view token,
                                                                absl::string_view field);
std::string MakeResumeToken(const std::map<std::string, int64_t>& positions);
// The offset of a token made by MakePageToken({{"offset", N}}): 0 for an empty token.
absl::StatusOr<int32_t> ParseOffsetPageToken(absl::string_view token, absl::string_view field);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_COMMON_H_
