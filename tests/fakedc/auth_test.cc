// The 2FA login of tests/fakedc (account.getPassword, auth.checkPassword) driven through a
// Dispatcher over a seeded World, with the client side of SRP from mtproto/crypto/srp.h.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/bytes.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/dh.h"
#include "mtproto/crypto/srp.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ErrorOf;
using ::tgrpc::base::AsBytes;
namespace crypto = mtproto::crypto;
using SrpAlgo = api::passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow;

constexpr uint64_t kKey = 0x1111;
constexpr uint64_t kOtherKey = 0x2222;

class AuthPasswordTest : public testing::DispatcherTest {
 protected:
  AuthPasswordTest() { Init(world_, dispatcher_, env_); }

  static void Init(World& world, Dispatcher& dispatcher, MethodEnv& env) {
    SeedWorld(world, /*big_channel_members=*/0);
    env.world = &world;
    RegisterAuthMethods(dispatcher, env);
  }

  static CallContext Context(uint64_t auth_key_id) {
    CallContext context;
    context.dc_id = 2;
    context.auth_key_id = auth_key_id;
    return context;
  }

  absl::StatusOr<std::unique_ptr<api::account_password>> GetPassword(CallContext& context) {
    absl::StatusOr<tl::Ptr<api::account_Password>> result =
        Call(api::account_getPassword(), context);
    if (!result.ok()) return result.status();
    if (dynamic_cast<api::account_password*>(result->get()) == nullptr) {
      return absl::InternalError("not account.password");
    }
    return std::unique_ptr<api::account_password>(
        static_cast<api::account_password*>(result->release()));
  }

  // What a client sends for `password` against getPassword's answer.
  std::unique_ptr<api::inputCheckPasswordSRP> Answer(const api::account_password& state,
                                                     const std::string& password) {
    const auto& algo = dynamic_cast<const SrpAlgo&>(*state.current_algo);
    crypto::SrpParams params;
    params.salt1.assign(algo.salt1.begin(), algo.salt1.end());
    params.salt2.assign(algo.salt2.begin(), algo.salt2.end());
    params.g = algo.g;
    params.p.assign(algo.p.begin(), algo.p.end());
    const crypto::Sha256Digest x = crypto::SrpPasswordHash(password, params.salt1, params.salt2);
    absl::StatusOr<crypto::SrpProof> proof =
        crypto::SrpClientProof(params, AsBytes(*state.srp_B), x, [this](absl::Span<uint8_t> out) {
          for (uint8_t& byte : out) byte = static_cast<uint8_t>(client_random_());
        });
    EXPECT_TRUE(proof.ok()) << proof.status();
    auto input = std::make_unique<api::inputCheckPasswordSRP>();
    input->srp_id = *state.srp_id;
    if (proof.ok()) {
      input->A.assign(proof->a.begin(), proof->a.end());
      input->M1.assign(proof->m1.begin(), proof->m1.end());
    }
    return input;
  }

  absl::StatusOr<tl::Ptr<api::auth_Authorization>> CheckPassword(
      std::unique_ptr<api::InputCheckPasswordSRP> input, CallContext& context) {
    api::auth_checkPassword check;
    check.password = std::move(input);
    return Call(check, context);
  }

  const UserRecord& Carol() { return *world_.FindUserByPhone(kSeedCarolPhone); }

  std::mt19937_64 client_random_{42};
};

TEST_F(AuthPasswordTest, CarolLogsInWithHerPassword) {
  CallContext context = Context(kKey);
  EXPECT_EQ(ErrorOf(SignInWithCode(kSeedCarolPhone, context)), "401 SESSION_PASSWORD_NEEDED");
  EXPECT_EQ(context.user_id, 0);

  absl::StatusOr<std::unique_ptr<api::account_password>> state = GetPassword(context);
  ASSERT_TRUE(state.ok()) << state.status();
  const api::account_password& password = **state;
  EXPECT_TRUE(password.has_password);
  const auto* algo = dynamic_cast<const SrpAlgo*>(password.current_algo.get());
  ASSERT_NE(algo, nullptr);
  EXPECT_EQ(algo->g, 3);
  EXPECT_EQ(AsBytes(algo->p), absl::MakeConstSpan(crypto::TelegramDhPrime()));
  EXPECT_EQ(algo->salt1.size(), 40u);
  EXPECT_EQ(algo->salt2.size(), 16u);
  ASSERT_TRUE(password.srp_B.has_value() && password.srp_id.has_value());
  EXPECT_EQ(password.srp_B->size(), 256u);
  EXPECT_TRUE(crypto::CheckDhPublicValue(AsBytes(*password.srp_B), crypto::TelegramDhPrime()).ok());
  EXPECT_EQ(password.hint, "horse");
  const auto* new_algo = dynamic_cast<const SrpAlgo*>(password.new_algo.get());
  ASSERT_NE(new_algo, nullptr);
  EXPECT_EQ(new_algo->salt1.size(), 8u);
  EXPECT_EQ(new_algo->salt2.size(), 16u);
  const auto* secure = dynamic_cast<const api::securePasswordKdfAlgoPBKDF2HMACSHA512iter100000*>(
      password.new_secure_algo.get());
  ASSERT_NE(secure, nullptr);
  EXPECT_FALSE(secure->salt.empty());
  EXPECT_EQ(password.secure_random.size(), 32u);

  absl::StatusOr<tl::Ptr<api::auth_Authorization>> authorization =
      CheckPassword(Answer(password, kSeedCarolPassword), context);
  ASSERT_TRUE(authorization.ok()) << authorization.status();
  const auto* signed_in = dynamic_cast<const api::auth_authorization*>(authorization->get());
  ASSERT_NE(signed_in, nullptr);
  const auto& user = dynamic_cast<const api::user&>(*signed_in->user);
  EXPECT_EQ(user.id, Carol().id);
  EXPECT_TRUE(user.self);
  EXPECT_EQ(context.user_id, Carol().id);
  EXPECT_EQ(world_.UserOfKey(kKey), Carol().id);
  EXPECT_EQ(world_.PendingPasswordUser(kKey), 0);
}

TEST_F(AuthPasswordTest, WrongPasswordThenRetry) {
  CallContext context = Context(kKey);
  ASSERT_EQ(ErrorOf(SignInWithCode(kSeedCarolPhone, context)), "401 SESSION_PASSWORD_NEEDED");
  absl::StatusOr<std::unique_ptr<api::account_password>> state = GetPassword(context);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(ErrorOf(CheckPassword(Answer(**state, "wrong horse"), context)),
            "400 PASSWORD_HASH_INVALID");
  EXPECT_EQ(world_.UserOfKey(kKey), 0);
  EXPECT_EQ(context.user_id, 0);
  // The challenge is spent, even on a right answer now.
  EXPECT_EQ(ErrorOf(CheckPassword(Answer(**state, kSeedCarolPassword), context)),
            "400 SRP_ID_INVALID");
  // A new one works.
  state = GetPassword(context);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_TRUE(CheckPassword(Answer(**state, kSeedCarolPassword), context).ok());
  EXPECT_EQ(world_.UserOfKey(kKey), Carol().id);
}

TEST_F(AuthPasswordTest, TamperedProofOrBadAIsPasswordHashInvalid) {
  CallContext context = Context(kKey);
  ASSERT_EQ(ErrorOf(SignInWithCode(kSeedCarolPhone, context)), "401 SESSION_PASSWORD_NEEDED");

  absl::StatusOr<std::unique_ptr<api::account_password>> state = GetPassword(context);
  ASSERT_TRUE(state.ok());
  std::unique_ptr<api::inputCheckPasswordSRP> tampered = Answer(**state, kSeedCarolPassword);
  tampered->M1[0] ^= 0x01;
  EXPECT_EQ(ErrorOf(CheckPassword(std::move(tampered), context)), "400 PASSWORD_HASH_INVALID");

  state = GetPassword(context);
  ASSERT_TRUE(state.ok());
  std::unique_ptr<api::inputCheckPasswordSRP> zero_a = Answer(**state, kSeedCarolPassword);
  zero_a->A.assign(256, '\0');
  EXPECT_EQ(ErrorOf(CheckPassword(std::move(zero_a), context)), "400 PASSWORD_HASH_INVALID");

  EXPECT_EQ(ErrorOf(CheckPassword(std::make_unique<api::inputCheckPasswordEmpty>(), context)),
            "400 PASSWORD_HASH_INVALID");
  EXPECT_EQ(world_.UserOfKey(kKey), 0);
}

TEST_F(AuthPasswordTest, UnknownSrpIdOrAnotherKeysLogin) {
  CallContext context = Context(kKey);
  ASSERT_EQ(ErrorOf(SignInWithCode(kSeedCarolPhone, context)), "401 SESSION_PASSWORD_NEEDED");
  absl::StatusOr<std::unique_ptr<api::account_password>> state = GetPassword(context);
  ASSERT_TRUE(state.ok());

  std::unique_ptr<api::inputCheckPasswordSRP> unknown = Answer(**state, kSeedCarolPassword);
  unknown->srp_id ^= 1;
  EXPECT_EQ(ErrorOf(CheckPassword(std::move(unknown), context)), "400 SRP_ID_INVALID");

  // A key that never passed the code step cannot use carol's challenge, even with her password.
  CallContext other = Context(kOtherKey);
  EXPECT_EQ(ErrorOf(CheckPassword(Answer(**state, kSeedCarolPassword), other)),
            "400 SRP_ID_INVALID");
  EXPECT_EQ(world_.UserOfKey(kOtherKey), 0);
}

TEST_F(AuthPasswordTest, PasswordChangedAfterGetPassword) {
  CallContext context = Context(kKey);
  ASSERT_EQ(ErrorOf(SignInWithCode(kSeedCarolPhone, context)), "401 SESSION_PASSWORD_NEEDED");
  absl::StatusOr<std::unique_ptr<api::account_password>> state = GetPassword(context);
  ASSERT_TRUE(state.ok());
  world_.FindUser(Carol().id)->password = "battery staple";
  EXPECT_EQ(ErrorOf(CheckPassword(Answer(**state, kSeedCarolPassword), context)),
            "400 SRP_PASSWORD_CHANGED");
  // The new password has new salts and verifier.
  state = GetPassword(context);
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(ErrorOf(CheckPassword(Answer(**state, kSeedCarolPassword), context)),
            "400 PASSWORD_HASH_INVALID");
  state = GetPassword(context);
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(CheckPassword(Answer(**state, "battery staple"), context).ok());
}

TEST_F(AuthPasswordTest, UserWithoutPassword) {
  CallContext context = Context(kKey);
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> alice = SignInWithCode(kSeedAlicePhone, context);
  ASSERT_TRUE(alice.ok()) << alice.status();
  absl::StatusOr<std::unique_ptr<api::account_password>> state = GetPassword(context);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_FALSE((*state)->has_password);
  EXPECT_EQ((*state)->current_algo, nullptr);
  EXPECT_FALSE((*state)->srp_B.has_value());
  EXPECT_FALSE((*state)->srp_id.has_value());
  EXPECT_FALSE((*state)->hint.has_value());
  ASSERT_NE(dynamic_cast<const SrpAlgo*>((*state)->new_algo.get()), nullptr);
  EXPECT_EQ((*state)->secure_random.size(), 32u);
}

TEST_F(AuthPasswordTest, GetPasswordNeedsASignInInProgress) {
  CallContext context = Context(kKey);
  EXPECT_EQ(ErrorOf(GetPassword(context)), "401 AUTH_KEY_UNREGISTERED");
}

TEST_F(AuthPasswordTest, VerifierIsComputedOnceAndChallengesAreFresh) {
  CallContext context = Context(kKey);
  ASSERT_EQ(ErrorOf(SignInWithCode(kSeedCarolPhone, context)), "401 SESSION_PASSWORD_NEEDED");
  absl::StatusOr<const PasswordRecord*> record = world_.PasswordOf(Carol().id);
  ASSERT_TRUE(record.ok());
  const crypto::DhValue verifier = (*record)->verifier;
  absl::StatusOr<std::unique_ptr<api::account_password>> first = GetPassword(context);
  absl::StatusOr<std::unique_ptr<api::account_password>> second = GetPassword(context);
  ASSERT_TRUE(first.ok() && second.ok());
  // Same record, same salts: no new PBKDF2.
  EXPECT_EQ(*world_.PasswordOf(Carol().id), *record);
  EXPECT_EQ((*record)->verifier, verifier);
  const auto& algo1 = dynamic_cast<const SrpAlgo&>(*(*first)->current_algo);
  const auto& algo2 = dynamic_cast<const SrpAlgo&>(*(*second)->current_algo);
  EXPECT_EQ(algo1.salt1, algo2.salt1);
  EXPECT_EQ(algo1.salt2, algo2.salt2);
  EXPECT_NE((*first)->srp_id, (*second)->srp_id);
  EXPECT_NE((*first)->srp_B, (*second)->srp_B);
  // Both stay answerable until used.
  EXPECT_TRUE(CheckPassword(Answer(**first, kSeedCarolPassword), context).ok());
}

TEST_F(AuthPasswordTest, SameSeedSameAnswers) {
  World other_world(1);
  Dispatcher other_dispatcher;
  MethodEnv other_env;
  Init(other_world, other_dispatcher, other_env);
  for (World* world : {&world_, &other_world}) {
    world->SetPendingPassword(kKey, world->FindUserByPhone(kSeedCarolPhone)->id);
  }
  CallContext context = Context(kKey);
  absl::StatusOr<std::unique_ptr<api::account_password>> mine = GetPassword(context);
  dispatcher_ = std::move(other_dispatcher);  // now calls go to other_world
  absl::StatusOr<std::unique_ptr<api::account_password>> theirs = GetPassword(context);
  ASSERT_TRUE(mine.ok() && theirs.ok());
  EXPECT_EQ(tl::Serialize(**mine).value(), tl::Serialize(**theirs).value());
}

// QR login: a key exports a token, a signed-in user accepts it (the exporter is told with
// updateLoginToken), and the exporter's next export signs it in.
TEST_F(AuthPasswordTest, QrLoginSignsTheExporterIn) {
  int32_t now = 1000;
  world_.SetClock([&now] { return now; });
  std::vector<uint64_t> told;
  env_.push_to_key = [&told](uint64_t key, const api::Updates&) { told.push_back(key); };
  const uint64_t kExporter = 0x3333;
  CallContext exporter = Context(kExporter);
  api::auth_exportLoginToken request;
  request.api_id = 1;
  request.api_hash = "hash";
  absl::StatusOr<tl::Ptr<api::auth_LoginToken>> token = Call(request, exporter);
  ASSERT_TRUE(token.ok()) << token.status();
  const auto* fresh = dynamic_cast<const api::auth_loginToken*>(token->get());
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->expires, 1030);

  // Alice, signed in on another key, scans it.
  CallContext phone = Context(kKey);
  ASSERT_TRUE(SignInWithCode(kSeedAlicePhone, phone).ok());
  phone.user_id = world_.UserOfKey(kKey);
  api::auth_acceptLoginToken accept;
  accept.token = fresh->token;
  ASSERT_TRUE(Call(accept, phone).ok());
  EXPECT_EQ(told, std::vector<uint64_t>{kExporter});
  EXPECT_EQ(ErrorOf(Call(accept, phone)), "400 AUTH_TOKEN_ALREADY_ACCEPTED");

  absl::StatusOr<tl::Ptr<api::auth_LoginToken>> done = Call(request, exporter);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_NE(dynamic_cast<const api::auth_loginTokenSuccess*>(done->get()), nullptr);
  EXPECT_EQ(world_.UserOfKey(kExporter), phone.user_id);
  EXPECT_EQ(exporter.user_id, phone.user_id);
  // The token is spent.
  EXPECT_EQ(ErrorOf(Call(accept, phone)), "400 AUTH_TOKEN_INVALID");
}

TEST_F(AuthPasswordTest, QrLoginTokensExpireAndTwoFactorStillAsksForThePassword) {
  int32_t now = 1000;
  world_.SetClock([&now] { return now; });
  CallContext exporter = Context(0x4444);
  api::auth_exportLoginToken request;
  request.api_id = 1;
  request.api_hash = "hash";
  absl::StatusOr<tl::Ptr<api::auth_LoginToken>> token = Call(request, exporter);
  ASSERT_TRUE(token.ok());
  api::auth_acceptLoginToken accept;
  accept.token = static_cast<const api::auth_loginToken&>(**token).token;

  CallContext carol = Context(kOtherKey);
  world_.SignIn(kOtherKey, Carol().id);
  carol.user_id = Carol().id;
  now += 31;
  EXPECT_EQ(ErrorOf(Call(accept, carol)), "400 AUTH_TOKEN_EXPIRED");

  token = Call(request, exporter);
  ASSERT_TRUE(token.ok());
  accept.token = static_cast<const api::auth_loginToken&>(**token).token;
  ASSERT_TRUE(Call(accept, carol).ok());
  EXPECT_EQ(ErrorOf(Call(request, exporter)), "401 SESSION_PASSWORD_NEEDED");
  EXPECT_EQ(world_.UserOfKey(0x4444), 0);
}

// The account lives on another DC than the exporter's: the exporter gets loginTokenMigrateTo, and
// a key of the home DC imports that token to sign in (not the exporting key on its DC).
TEST_F(AuthPasswordTest, QrLoginMovesToTheAccountsHomeDc) {
  world_.SetClock([] { return 1000; });
  CallContext exporter = Context(0x5555);  // on DC 2
  api::auth_exportLoginToken request;
  request.api_id = 1;
  request.api_hash = "hash";
  absl::StatusOr<tl::Ptr<api::auth_LoginToken>> token = Call(request, exporter);
  ASSERT_TRUE(token.ok()) << token.status();
  UserRecord* dave = world_.FindUserByPhone(kSeedDavePhone);
  ASSERT_EQ(dave->home_dc, 1);
  CallContext scanner = Context(0x6666);
  scanner.dc_id = 1;
  world_.SignIn(0x6666, dave->id);
  scanner.user_id = dave->id;
  api::auth_acceptLoginToken accept;
  accept.token = static_cast<const api::auth_loginToken&>(**token).token;
  ASSERT_TRUE(Call(accept, scanner).ok());

  absl::StatusOr<tl::Ptr<api::auth_LoginToken>> moved = Call(request, exporter);
  ASSERT_TRUE(moved.ok()) << moved.status();
  const auto* migrate = dynamic_cast<const api::auth_loginTokenMigrateTo*>(moved->get());
  ASSERT_NE(migrate, nullptr);
  EXPECT_EQ(migrate->dc_id, 1);
  EXPECT_EQ(world_.UserOfKey(0x5555), 0);  // not signed in on DC 2

  api::auth_importLoginToken import;
  import.token = migrate->token;
  CallContext wrong_dc = Context(0x7777);  // DC 2
  EXPECT_EQ(ErrorOf(Call(import, wrong_dc)), "400 AUTH_TOKEN_INVALID");
  CallContext home = Context(0x7777);
  home.dc_id = 1;
  absl::StatusOr<tl::Ptr<api::auth_LoginToken>> done = Call(import, home);
  ASSERT_TRUE(done.ok()) << done.status();
  ASSERT_NE(dynamic_cast<const api::auth_loginTokenSuccess*>(done->get()), nullptr);
  EXPECT_EQ(world_.UserOfKey(0x7777), dave->id);
  // A migration token signs one key in, once; it cannot be accepted like a fresh one.
  EXPECT_EQ(ErrorOf(Call(import, home)), "400 AUTH_TOKEN_INVALID");
  accept.token = migrate->token;
  EXPECT_EQ(ErrorOf(Call(accept, scanner)), "400 AUTH_TOKEN_INVALID");
}

}  // namespace
}  // namespace tgrpc::fakedc
