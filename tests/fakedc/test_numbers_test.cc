// Telegram's test numbers in fakedc (core.telegram.org/api/auth, "Test accounts"): 99966XYYYY
// signs in, or up, on DC X only (PHONE_MIGRATE_X elsewhere) with the code XXXXX, so a newcomer
// needs no log; other numbers keep their random codes. Through a Dispatcher over a seeded World
// with three DCs.
#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "tests/fakedc/dispatcher_test_util.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/phones.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using testing::ErrorOf;

TEST(TestNumberTest, RecognizesTheTelegramPattern) {
  EXPECT_EQ(TestNumberDc("9996621234"), 2);
  EXPECT_EQ(TestNumberDc(PhoneDigits("+99966 1 0000")), 1);
  EXPECT_EQ(TestNumberDc("9996691234"), 9);
  EXPECT_EQ(TestNumberDc("9996601234"), std::nullopt);   // no DC 0
  EXPECT_EQ(TestNumberDc("99966212345"), std::nullopt);  // 11 digits
  EXPECT_EQ(TestNumberDc("999662123"), std::nullopt);    // 9 digits
  EXPECT_EQ(TestNumberDc(kSeedAlicePhone), std::nullopt);
  EXPECT_EQ(TestNumberCode(2), "22222");
  EXPECT_EQ(TestNumberCode(3), "33333");
}

TEST(TestNumberTest, OtherNumbersKeepTheCodesTheSeedGives) {
  // A fixed code still takes its draws: the codes after it are those of a random one.
  World fixed(1), random(1);
  fixed.IssueCode("9996621234", TestNumberCode(2));
  random.IssueCode("9996621234");
  EXPECT_EQ(fixed.LastCode("9996621234"), "22222");
  EXPECT_EQ(fixed.IssueCode(kSeedAlicePhone).code, random.IssueCode(kSeedAlicePhone).code);
}

class TestNumbersTest : public testing::DispatcherTest {
 protected:
  TestNumbersTest() {
    SeedWorld(world_, /*big_channel_members=*/0);
    for (int id : {1, 2, 3}) env_.endpoints.push_back({id, false, 0});
    env_.endpoints.push_back({2, true, 0});
    RegisterAuthMethods(dispatcher_, env_);
    RegisterCallGuards(dispatcher_, env_);
  }

  // A key on a DC, not signed in.
  CallContext On(int dc_id, uint64_t auth_key_id) {
    return testing::ContextOf(auth_key_id, /*user_id=*/0, dc_id);
  }

  absl::StatusOr<tl::Ptr<api::auth_SentCode>> SendCode(const std::string& phone,
                                                       CallContext& context) {
    api::auth_sendCode send;
    send.phone_number = phone;
    send.api_id = 1;
    send.api_hash = "hash";
    return Call(send, context);
  }

  // auth.signIn with `code` and the hash of the last code sent to `phone`.
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> SignIn(const std::string& phone,
                                                          const std::string& code,
                                                          CallContext& context) {
    api::auth_signIn sign_in;
    sign_in.phone_number = phone;
    const PendingCode* pending = world_.FindCode(PhoneDigits(phone));
    sign_in.phone_code_hash = pending != nullptr ? pending->hash : "";
    sign_in.phone_code = code;
    return Call(sign_in, context);
  }

  absl::StatusOr<tl::Ptr<api::auth_Authorization>> SignUp(const std::string& phone,
                                                          CallContext& context) {
    api::auth_signUp sign_up;
    sign_up.phone_number = phone;
    const PendingCode* pending = world_.FindCode(PhoneDigits(phone));
    sign_up.phone_code_hash = pending != nullptr ? pending->hash : "";
    sign_up.first_name = "Tess";
    return Call(sign_up, context);
  }
};

TEST_F(TestNumbersTest, ANewcomerSignsUpOnItsDcWithTheFixedCode) {
  const std::string phone = "+99966 2 1234";
  CallContext dc1 = On(1, 0x11);
  CallContext dc2 = On(2, 0x22);
  EXPECT_EQ(ErrorOf(SendCode(phone, dc1)), "303 PHONE_MIGRATE_2");
  absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent = SendCode(phone, dc2);
  ASSERT_TRUE(sent.ok()) << sent.status();
  EXPECT_EQ(static_cast<const api::auth_sentCodeTypeApp&>(
                *static_cast<const api::auth_sentCode&>(**sent).type)
                .length,
            5);
  EXPECT_EQ(ErrorOf(SignIn(phone, "12345", dc2)), "400 PHONE_CODE_INVALID");
  EXPECT_EQ(ErrorOf(SignIn(phone, "22222", dc1)), "303 PHONE_MIGRATE_2");
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> unknown = SignIn(phone, "22222", dc2);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_NE(dynamic_cast<const api::auth_authorizationSignUpRequired*>(unknown->get()), nullptr);
  EXPECT_EQ(ErrorOf(SignUp(phone, dc1)), "303 PHONE_MIGRATE_2");
  ASSERT_TRUE(SignUp(phone, dc2).ok());
  const UserRecord* user = world_.FindUserByPhone("9996621234");
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->home_dc, 2);
  EXPECT_EQ(world_.UserOfKey(0x22), user->id);

  // Signing in again, from another key: the same code, the same account.
  CallContext again = On(2, 0x23);
  ASSERT_TRUE(SendCode(phone, again).ok());
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> signed_in = SignIn(phone, "22222", again);
  ASSERT_TRUE(signed_in.ok()) << signed_in.status();
  const auto& authorization = dynamic_cast<const api::auth_authorization&>(**signed_in);
  EXPECT_EQ(static_cast<const api::user&>(*authorization.user).id, user->id);
  EXPECT_EQ(ErrorOf(SendCode(phone, dc1)), "303 PHONE_MIGRATE_2");
}

TEST_F(TestNumbersTest, EachDcHasItsOwnCode) {
  CallContext dc3 = On(3, 0x33);
  CallContext dc2 = On(2, 0x22);
  EXPECT_EQ(ErrorOf(SendCode("9996634567", dc2)), "303 PHONE_MIGRATE_3");
  ASSERT_TRUE(SendCode("9996634567", dc3).ok());
  EXPECT_EQ(world_.LastCode("9996634567"), "33333");
  ASSERT_TRUE(SignIn("9996634567", "33333", dc3).ok());
  ASSERT_TRUE(SignUp("9996634567", dc3).ok());
  EXPECT_EQ(world_.FindUserByPhone("9996634567")->home_dc, 3);
}

TEST_F(TestNumbersTest, TheirDcWinsOverTheNetworkDc) {
  env_.network_dc = 1;
  CallContext dc1 = On(1, 0x11);
  CallContext dc2 = On(2, 0x22);
  EXPECT_EQ(ErrorOf(SendCode("9996620000", dc1)), "303 PHONE_MIGRATE_2");
  EXPECT_TRUE(SendCode("9996620000", dc2).ok());
  // Other new numbers still go to the network's DC.
  EXPECT_EQ(ErrorOf(SendCode("15557770000", dc2)), "303 NETWORK_MIGRATE_1");
}

TEST_F(TestNumbersTest, ANumberNamingNoEmulatedDcIsAnOrdinaryOne) {
  CallContext dc2 = On(2, 0x22);
  ASSERT_TRUE(SendCode("9996651234", dc2).ok());
  EXPECT_NE(world_.LastCode("9996651234"), "55555");
  EXPECT_EQ(ErrorOf(SignIn("9996651234", "55555", dc2)), "400 PHONE_CODE_INVALID");
}

}  // namespace
}  // namespace tgrpc::fakedc
