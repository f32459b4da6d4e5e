// auth.*: sign-in with a code the test reads from the World (and the log), 2FA with SRP
// (account.getPassword, auth.checkPassword), sign-up, bots by token, log-out, and moving an
// authorization to another DC (auth.exportAuthorization / importAuthorization). Accounts sign in
// on their home DC only: elsewhere the answer is 303 PHONE_MIGRATE_X (USER_MIGRATE_X for bots).
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "base/bytes.h"
#include "mtproto/crypto/srp.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/phones.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

tl::Ptr<api::auth_Authorization> Authorization(const UserRecord& user) {
  auto out = std::make_unique<api::auth_authorization>();
  out->user = MakeUser(user, user.id);
  return out;
}

// The DC a test number (phones.h) belongs to, if it is one of the emulated DCs.
std::optional<int> TestDcOf(const MethodEnv& env, const std::string& phone) {
  std::optional<int> dc_id = TestNumberDc(phone);
  if (!dc_id.has_value() || !IsDcId(env, *dc_id)) return std::nullopt;
  return dc_id;
}

// Where a phone signs in: its account's home DC (PHONE_MIGRATE elsewhere). A test number without
// an account signs up on its DC (PHONE_MIGRATE elsewhere, as Telegram's test numbers do); any other
// number without one on the DC of the client's network (MethodEnv::network_dc: NETWORK_MIGRATE
// elsewhere), or anywhere when that is not set. Accounts live where they signed up.
absl::Status CheckPhoneHome(World& world, const MethodEnv& env, const std::string& phone,
                            const CallContext& context) {
  const UserRecord* user = world.FindUserByPhone(phone);
  if (user != nullptr && user->home_dc != context.dc_id) return SeeOther("PHONE", user->home_dc);
  if (user != nullptr) return absl::OkStatus();
  if (std::optional<int> test_dc = TestDcOf(env, phone)) {
    if (*test_dc != context.dc_id) return SeeOther("PHONE", *test_dc);
    return absl::OkStatus();
  }
  if (env.network_dc != 0 && env.network_dc != context.dc_id) {
    return SeeOther("NETWORK", env.network_dc);
  }
  return absl::OkStatus();
}

absl::Status CheckCode(const World& world, const std::string& phone, const std::string& hash,
                       const std::optional<std::string>& code) {
  const PendingCode* pending = world.FindCode(phone);
  if (pending == nullptr) return BadRequest("PHONE_CODE_EXPIRED");
  if (pending->hash != hash) return BadRequest("PHONE_CODE_HASH_EMPTY");
  if (!code.has_value() || code->empty()) return BadRequest("PHONE_CODE_EMPTY");
  if (*code != pending->code) return BadRequest("PHONE_CODE_INVALID");
  return absl::OkStatus();
}

tl::Ptr<api::PasswordKdfAlgo> KdfAlgo(const mtproto::crypto::SrpParams& params) {
  auto algo =
      std::make_unique<api::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow>();
  algo->salt1.assign(params.salt1.begin(), params.salt1.end());
  algo->salt2.assign(params.salt2.begin(), params.salt2.end());
  algo->g = params.g;
  algo->p.assign(params.p.begin(), params.p.end());
  return algo;
}

absl::StatusOr<tl::Ptr<api::account_Password>> GetPassword(World& world,
                                                           const CallContext& context) {
  // The signed-in user, or the one whose sign-in on this key waits for the password.
  const int64_t user_id =
      context.user_id != 0 ? context.user_id : world.PendingPasswordUser(context.auth_key_id);
  const UserRecord* user = world.FindUser(user_id);
  if (user == nullptr) return Unauthorized("AUTH_KEY_UNREGISTERED");
  auto out = std::make_unique<api::account_password>();
  if (!user->password.empty()) {
    absl::StatusOr<const PasswordRecord*> password = world.PasswordOf(user->id);
    if (!password.ok()) return password.status();
    // Each call gets a fresh srp_B, as Telegram's do: a challenge answers one checkPassword.
    absl::StatusOr<const SrpChallengeRecord*> challenge = world.IssueSrpChallenge(user->id);
    if (!challenge.ok()) return challenge.status();
    const mtproto::crypto::DhValue& srp_b = (*challenge)->challenge.srp_b;
    out->has_password = true;
    out->current_algo = KdfAlgo((*password)->params);
    out->srp_B = std::string(srp_b.begin(), srp_b.end());
    out->srp_id = (*challenge)->challenge.srp_id;
    if (!user->password_hint.empty()) out->hint = user->password_hint;
  }
  // For setting a password: salt1 is a prefix the client extends with 32 random bytes.
  mtproto::crypto::SrpParams fresh;
  fresh.salt1.resize(8);
  fresh.salt2.resize(16);
  world.RandomBytes(absl::MakeSpan(fresh.salt1));
  world.RandomBytes(absl::MakeSpan(fresh.salt2));
  out->new_algo = KdfAlgo(fresh);
  auto secure = std::make_unique<api::securePasswordKdfAlgoPBKDF2HMACSHA512iter100000>();
  secure->salt = world.RandomString(8);
  out->new_secure_algo = std::move(secure);
  out->secure_random = world.RandomString(32);
  return tl::Ptr<api::account_Password>(std::move(out));
}

absl::StatusOr<tl::Ptr<api::auth_Authorization>> CheckPassword(
    World& world, const api::auth_checkPassword& request, CallContext& context) {
  const auto* input = dynamic_cast<const api::inputCheckPasswordSRP*>(request.password.get());
  if (input == nullptr) return BadRequest("PASSWORD_HASH_INVALID");  // inputCheckPasswordEmpty
  // Taken whatever the outcome: a challenge answers one attempt, right or wrong.
  std::optional<SrpChallengeRecord> challenge = world.TakeSrpChallenge(input->srp_id);
  const int64_t user_id = world.PendingPasswordUser(context.auth_key_id);
  // Only a key whose sign-in waits for this user's password may use the user's challenge.
  if (!challenge.has_value() || user_id == 0 || challenge->user_id != user_id) {
    return BadRequest("SRP_ID_INVALID");
  }
  const UserRecord* user = world.FindUser(user_id);
  if (user == nullptr) return BadRequest("SRP_ID_INVALID");
  absl::StatusOr<const PasswordRecord*> password = world.PasswordOf(user_id);
  if (!password.ok() || (*password)->password != challenge->password) {
    return BadRequest("SRP_PASSWORD_CHANGED");
  }
  absl::Status check = mtproto::crypto::CheckSrpProof((*password)->params, (*password)->verifier,
                                                      challenge->challenge, base::AsBytes(input->A),
                                                      base::AsBytes(input->M1));
  if (check.code() == absl::StatusCode::kInternal) return check;
  // A malformed A gets the same answer as a wrong M1: either way the password is not proven.
  if (!check.ok()) return BadRequest("PASSWORD_HASH_INVALID");
  world.ClearPendingPassword(context.auth_key_id);
  world.SignIn(context.auth_key_id, user_id);
  context.user_id = user_id;
  return Authorization(*user);
}

}  // namespace

namespace {

// QR login (core.telegram.org/api/qr-login): a key that is not signed in exports a token, a
// signed-in session accepts it (the exporter gets updateLoginToken), and the exporter's next
// exportLoginToken returns auth.loginTokenSuccess (or SESSION_PASSWORD_NEEDED with 2FA). When
// the account lives on another DC, that answer is auth.loginTokenMigrateTo(home DC, a new token)
// instead, and auth.importLoginToken of that token on the home DC signs its key in.
struct LoginToken {
  uint64_t exporter = 0;  // auth key; 0 for a migration token, which any key of its DC imports
  int32_t expires = 0;
  int64_t accepted_by = 0;  // user id, 0 until accepted
  int migrate_to_dc = 0;    // a migration token: the DC it is imported on
};
constexpr int32_t kLoginTokenLifetime = 30;

void RegisterQrLogin(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  auto tokens = std::make_shared<std::map<std::string, LoginToken>>();
  // The exporter's state: a fresh token, or the result once its token was accepted.
  // Signs the caller's key in as the user an accepted token names (2FA first, if set).
  auto sign_in = [&world](int64_t user_id,
                          CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_LoginToken>> {
    UserRecord* user = world.FindUser(user_id);
    if (user == nullptr) return BadRequest("AUTH_TOKEN_INVALID");
    if (!user->password.empty()) {
      world.SetPendingPassword(context.auth_key_id, user->id);
      return Unauthorized("SESSION_PASSWORD_NEEDED");
    }
    world.SignIn(context.auth_key_id, user->id);
    context.user_id = user->id;
    auto success = std::make_unique<api::auth_loginTokenSuccess>();
    success->authorization = Authorization(*user);
    return tl::Ptr<api::auth_LoginToken>(std::move(success));
  };
  auto export_token = [&world, tokens, sign_in](
                          CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_LoginToken>> {
    const int32_t now = world.Now();
    for (auto it = tokens->begin(); it != tokens->end();) {
      if (it->second.exporter == context.auth_key_id && it->second.accepted_by != 0) {
        const int64_t user_id = it->second.accepted_by;
        tokens->erase(it);
        const UserRecord* user = world.FindUser(user_id);
        if (user != nullptr && user->home_dc != context.dc_id) {
          // The account lives elsewhere: the client imports a new token there.
          std::string token = absl::StrCat("fakedc-migrate-", world.RandomString(24));
          (*tokens)[token] = {0, now + kLoginTokenLifetime, user_id, user->home_dc};
          auto migrate = std::make_unique<api::auth_loginTokenMigrateTo>();
          migrate->dc_id = user->home_dc;
          migrate->token = token;
          return tl::Ptr<api::auth_LoginToken>(std::move(migrate));
        }
        return sign_in(user_id, context);
      }
      // Expired tokens go.
      if (it->second.expires < now) {
        it = tokens->erase(it);
      } else {
        ++it;
      }
    }
    if (tokens->size() >= 4096) return TelegramError(420, "FLOOD_WAIT_30");
    std::string token = absl::StrCat("fakedc-login-", world.RandomString(24));
    (*tokens)[token] = {context.auth_key_id, now + kLoginTokenLifetime, 0};
    auto out = std::make_unique<api::auth_loginToken>();
    out->expires = now + kLoginTokenLifetime;
    out->token = token;
    return tl::Ptr<api::auth_LoginToken>(std::move(out));
  };
  d.On<api::auth_exportLoginToken>(
      [export_token](const api::auth_exportLoginToken& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_LoginToken>> {
        if (request.api_id <= 0 || request.api_hash.empty()) return BadRequest("API_ID_INVALID");
        return export_token(context);
      });
  // The exporter asking again with its token (as exportLoginToken), or any key of the home DC
  // importing the token of a loginTokenMigrateTo.
  d.On<api::auth_importLoginToken>(
      [&world, export_token, sign_in, tokens](
          const api::auth_importLoginToken& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_LoginToken>> {
        auto it = tokens->find(request.token);
        if (it == tokens->end()) return BadRequest("AUTH_TOKEN_INVALID");
        if (it->second.migrate_to_dc != 0) {
          if (it->second.migrate_to_dc != context.dc_id) return BadRequest("AUTH_TOKEN_INVALID");
          const bool expired = it->second.expires < world.Now();
          const int64_t user_id = it->second.accepted_by;
          tokens->erase(it);
          if (expired) return BadRequest("AUTH_TOKEN_EXPIRED");
          return sign_in(user_id, context);
        }
        if (it->second.exporter != context.auth_key_id) return BadRequest("AUTH_TOKEN_INVALID");
        return export_token(context);
      });
  d.On<api::auth_acceptLoginToken>(
      [&env, &world, tokens](const api::auth_acceptLoginToken& request,
                             CallContext& context) -> absl::StatusOr<tl::Ptr<api::Authorization>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        auto it = tokens->find(request.token);
        if (it == tokens->end()) return BadRequest("AUTH_TOKEN_INVALID");
        if (it->second.expires < world.Now()) {
          tokens->erase(it);
          return BadRequest("AUTH_TOKEN_EXPIRED");
        }
        if (it->second.accepted_by != 0 || it->second.migrate_to_dc != 0) {
          return BadRequest("AUTH_TOKEN_ALREADY_ACCEPTED");
        }
        it->second.accepted_by = context.user_id;
        if (env.push_to_key) {
          auto push = std::make_unique<api::updateShort>();
          push->update = std::make_unique<api::updateLoginToken>();
          push->date = world.Now();
          env.push_to_key(it->second.exporter, *push);
        }
        // The new session, as account.getAuthorizations would list it.
        auto out = std::make_unique<api::authorization>();
        out->hash = static_cast<int64_t>(it->second.exporter);
        out->device_model = "fakedc";
        out->platform = "fakedc";
        out->system_version = "1";
        out->api_id = 1;
        out->app_name = "fakedc";
        out->app_version = "1";
        out->date_created = out->date_active = world.Now();
        out->ip = "127.0.0.1";
        out->country = "Local";
        out->region = "Local";
        return tl::Ptr<api::Authorization>(std::move(out));
      });
}

}  // namespace

void RegisterAuthMethods(Dispatcher& d, MethodEnv& env) {
  RegisterQrLogin(d, env);
  World& world = *env.world;
  const std::string codes_dir = env.codes_dir;
  d.On<api::auth_sendCode>(
      [&world, codes_dir, &env](
          const api::auth_sendCode& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_SentCode>> {
        const std::string phone = PhoneDigits(request.phone_number);
        if (phone.size() < 5 || phone.size() > 15) return BadRequest("PHONE_NUMBER_INVALID");
        if (request.api_id <= 0 || request.api_hash.empty()) return BadRequest("API_ID_INVALID");
        if (absl::Status s = CheckPhoneHome(world, env, phone, context); !s.ok()) return s;
        std::optional<std::string> fixed_code;
        if (std::optional<int> test_dc = TestDcOf(env, phone)) {
          fixed_code = TestNumberCode(*test_dc);
        }
        const PendingCode& code = world.IssueCode(phone, fixed_code);
        std::cerr << "fakedc: sign-in code for +" << phone << ": " << code.code << "\n";
        if (!codes_dir.empty()) {
          // Written whole under a temporary name, then renamed: a reader never sees half a code.
          const std::string path = codes_dir + "/" + phone;
          {
            std::ofstream out(path + ".tmp", std::ios::trunc);
            out << code.code << "\n";
          }
          std::rename((path + ".tmp").c_str(), path.c_str());
        }
        auto type = std::make_unique<api::auth_sentCodeTypeApp>();
        type->length = static_cast<int32_t>(code.code.size());
        auto out = std::make_unique<api::auth_sentCode>();
        out->type = std::move(type);
        out->phone_code_hash = code.hash;
        out->timeout = 120;
        return tl::Ptr<api::auth_SentCode>(std::move(out));
      });
  d.On<api::auth_signIn>(
      [&world, &env](const api::auth_signIn& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_Authorization>> {
        const std::string phone = PhoneDigits(request.phone_number);
        if (absl::Status s = CheckPhoneHome(world, env, phone, context); !s.ok()) return s;
        if (absl::Status s = CheckCode(world, phone, request.phone_code_hash, request.phone_code);
            !s.ok()) {
          return s;
        }
        UserRecord* user = world.FindUserByPhone(phone);
        if (user == nullptr) {
          // The code stays valid for auth.signUp.
          return tl::Ptr<api::auth_Authorization>(
              std::make_unique<api::auth_authorizationSignUpRequired>());
        }
        world.ConsumeCode(phone);
        if (!user->password.empty()) {
          world.SetPendingPassword(context.auth_key_id, user->id);
          return Unauthorized("SESSION_PASSWORD_NEEDED");
        }
        world.SignIn(context.auth_key_id, user->id);
        context.user_id = user->id;
        return Authorization(*user);
      });
  d.On<api::account_getPassword>([&world](const api::account_getPassword&, CallContext& context) {
    return GetPassword(world, context);
  });
  d.On<api::auth_checkPassword>(
      [&world](const api::auth_checkPassword& request, CallContext& context) {
        return CheckPassword(world, request, context);
      });
  d.On<api::auth_signUp>(
      [&world, &env](const api::auth_signUp& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_Authorization>> {
        const std::string phone = PhoneDigits(request.phone_number);
        if (world.FindUserByPhone(phone) != nullptr) return BadRequest("PHONE_NUMBER_OCCUPIED");
        // The account lives where it signs up: only where sendCode / signIn would have it.
        if (absl::Status s = CheckPhoneHome(world, env, phone, context); !s.ok()) return s;
        if (request.first_name.empty() || request.first_name.size() > 64) {
          return BadRequest("FIRSTNAME_INVALID");
        }
        if (absl::Status s = CheckCode(world, phone, request.phone_code_hash,
                                       world.FindCode(phone) != nullptr
                                           ? std::optional<std::string>(world.FindCode(phone)->code)
                                           : std::nullopt);
            !s.ok()) {
          return s;
        }
        world.ConsumeCode(phone);
        UserRecord& user = world.AddUser(phone, request.first_name, request.last_name);
        user.home_dc = context.dc_id;
        world.SignIn(context.auth_key_id, user.id);
        context.user_id = user.id;
        return Authorization(user);
      });
  d.On<api::auth_importBotAuthorization>(
      [&world](const api::auth_importBotAuthorization& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_Authorization>> {
        if (request.api_id <= 0 || request.api_hash.empty()) return BadRequest("API_ID_INVALID");
        UserRecord* bot = world.FindBotByToken(request.bot_auth_token);
        if (bot == nullptr) return BadRequest("ACCESS_TOKEN_INVALID");
        if (bot->home_dc != context.dc_id) return SeeOther("USER", bot->home_dc);
        world.SignIn(context.auth_key_id, bot->id);
        context.user_id = bot->id;
        return Authorization(*bot);
      });
  d.On<api::auth_exportAuthorization>(
      [&env, &world](
          const api::auth_exportAuthorization& request,
          CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_ExportedAuthorization>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        if (!IsDcId(env, request.dc_id)) return BadRequest("DC_ID_INVALID");
        auto out = std::make_unique<api::auth_exportedAuthorization>();
        out->id = context.user_id;
        out->bytes = world.ExportAuthorization(context.user_id, request.dc_id);
        return tl::Ptr<api::auth_ExportedAuthorization>(std::move(out));
      });
  d.On<api::auth_importAuthorization>(
      [&world](const api::auth_importAuthorization& request,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_Authorization>> {
        // Bytes exported for another DC do not sign in here.
        const ExportedAuthorizationRecord* exported =
            world.FindExportedAuthorization(request.bytes);
        if (exported == nullptr || exported->dc_id != context.dc_id) {
          return BadRequest("AUTH_BYTES_INVALID");
        }
        if (exported->user_id != request.id) return BadRequest("USER_ID_INVALID");
        const UserRecord* user = world.FindUser(exported->user_id);
        if (user == nullptr) return BadRequest("USER_ID_INVALID");
        world.ClearPendingPassword(context.auth_key_id);
        world.SignIn(context.auth_key_id, user->id);
        context.user_id = user->id;
        return Authorization(*user);
      });
  d.On<api::auth_logOut>(
      [&world](const api::auth_logOut&,
               CallContext& context) -> absl::StatusOr<tl::Ptr<api::auth_LoggedOut>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        world.SignOut(context.auth_key_id);
        context.user_id = 0;
        return tl::Ptr<api::auth_LoggedOut>(std::make_unique<api::auth_loggedOut>());
      });
}

}  // namespace tgrpc::fakedc
