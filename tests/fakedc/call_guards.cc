// The checks every call passes before its handler (Dispatcher::AddGuard): where the account
// lives, then how often it may call.
#include "absl/strings/match.h"
#include "tests/fakedc/methods.h"

namespace tgrpc::fakedc {
namespace {

// What a client sends to a DC other than its account's home: the authorization it imports there
// (auth.*), file transfers (upload.*) and the config (help.*). Anything else is USER_MIGRATE.
bool AllowedAwayFromHome(absl::string_view method) {
  return absl::StartsWith(method, "auth.") || absl::StartsWith(method, "upload.") ||
         absl::StartsWith(method, "help.");
}

}  // namespace

bool IsDcId(const MethodEnv& env, int dc_id) {
  for (const DcEndpoint& endpoint : env.endpoints) {
    if (endpoint.id == dc_id && !endpoint.media_only && !endpoint.cdn) return true;
  }
  return false;
}

void RegisterCallGuards(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.AddGuard([&world](absl::string_view method, const CallContext& context) -> absl::Status {
    if (context.user_id == 0 || AllowedAwayFromHome(method)) return absl::OkStatus();
    const UserRecord* user = world.FindUser(context.user_id);
    if (user != nullptr && user->home_dc != context.dc_id) return SeeOther("USER", user->home_dc);
    return absl::OkStatus();
  });
  d.AddGuard([&world](absl::string_view method, const CallContext& context) {
    FloodControl::Account account;
    account.user_id = context.user_id;
    if (context.user_id == 0) account.auth_key_id = context.auth_key_id;
    return world.flood().Check(method, account, world.Now());
  });
}

}  // namespace tgrpc::fakedc
