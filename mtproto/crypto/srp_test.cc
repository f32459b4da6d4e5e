#include "mtproto/crypto/srp.h"

#include <openssl/bn.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/bignum.h"
#include "mtproto/crypto/crypto_test_util.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::NormalizedHex;
using ::tgrpc::mtproto::crypto::testing::SeededRandom;
using ::tgrpc::mtproto::crypto::testing::ToHex;

// The only published vector we found: gotd/td internal/crypto/srp/srp_test.go (TestSRP),
// parameters as a Telegram server sent them, with the client secret a = 1 (so A = g = 3).
constexpr char kKatPassword[] = "123123";
constexpr char kKatSalt1[] =
    "4D11FB6BEC38F9D2546BB0F61E4F1C99A1BC0DB8F0D5F35B1291B37B213123D7ED48F3C6794D495B";
constexpr char kKatSalt2[] = "A1B181AAFE88188680AE32860D60BB01";
constexpr char kKatSrpB[] =
    "9C52401A6A8084EC82F01C3725D3FB448BD2F0C909F9D97726EAC4B7A74172D9"
    "52F02466BE6734FA274D2B7429E27397F10372D66B400B80A5C5AE3F28B17BF3"
    "105D7A2D2A885998CDC2DEFC208AEC217AB58859A9ABC2374AD93DC285F4B3FB"
    "CAFF4143D7888F2425BD2FB711B25609CEB21757D935B1EF2F042173AD0CE2FE"
    "0E474DAC53914BD25A8A9AED4AEA8953D55CB88621DB37B871EA0D04393AC098"
    "7F68094CCC9DE8239251375D8FFFD263316CD528C097B7BC9FB919FBEDB76C52"
    "5DF3413C374EE076D97A1E6D352BB7CC80FD13651B04B32E2E48C5268150842C"
    "FD07CF855958B1B5EA9C36FDAD697FE3AEC8DCC6B1EFEC36874AF226204676CF";
constexpr char kKatM1[] = "999DF906BDA2C6CBB52F503406EBA2D0D0503ACE0CC302C38F13EE5010AD4051";

std::vector<uint8_t> ToBytes(const BIGNUM* bn) {
  std::vector<uint8_t> out(kDhSize);
  EXPECT_TRUE(BignumToBytes(bn, absl::MakeSpan(out)).ok());
  return out;
}

std::vector<uint8_t> RandomBytes(const RandomSource& random, size_t size) {
  std::vector<uint8_t> out(size);
  random(absl::MakeSpan(out));
  return out;
}

// One account on a server: salts as Telegram sizes them (salt1 = 8-byte server prefix + 32
// client bytes, salt2 = 16 bytes), and the verifier of "correct horse". PBKDF2 runs once for
// the whole suite.
class SrpExchangeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    RandomSource random = SeededRandom(7);
    params_ = new SrpParams;
    params_->salt1 = RandomBytes(random, 40);
    params_->salt2 = RandomBytes(random, 16);
    x_ = new Sha256Digest(SrpPasswordHash("correct horse", params_->salt1, params_->salt2));
    wrong_x_ = new Sha256Digest(SrpPasswordHash("correct horsf", params_->salt1, params_->salt2));
    absl::StatusOr<DhValue> verifier = SrpVerifier(*params_, *x_);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = new DhValue(*verifier);
  }
  static void TearDownTestSuite() {
    delete params_;
    delete x_;
    delete wrong_x_;
    delete verifier_;
  }

  static SrpParams* params_;
  static Sha256Digest* x_;
  static Sha256Digest* wrong_x_;
  static DhValue* verifier_;
};

SrpParams* SrpExchangeTest::params_ = nullptr;
Sha256Digest* SrpExchangeTest::x_ = nullptr;
Sha256Digest* SrpExchangeTest::wrong_x_ = nullptr;
DhValue* SrpExchangeTest::verifier_ = nullptr;

TEST(SrpKnownAnswerTest, GotdVector) {
  SrpParams params;
  params.salt1 = HexBytes(kKatSalt1);
  params.salt2 = HexBytes(kKatSalt2);
  const Sha256Digest x = SrpPasswordHash(kKatPassword, params.salt1, params.salt2);
  std::vector<uint8_t> a(kDhSize, 0);
  a.back() = 1;
  absl::StatusOr<SrpProof> proof = SrpClientProofWithSecret(params, HexBytes(kKatSrpB), x, a);
  ASSERT_TRUE(proof.ok()) << proof.status();
  std::vector<uint8_t> expected_a(kDhSize, 0);
  expected_a.back() = 3;
  EXPECT_EQ(ToHex(proof->a), ToHex(expected_a));
  EXPECT_EQ(ToHex(proof->m1), NormalizedHex(kKatM1));
}

TEST(SrpPasswordHashTest, DependsOnEveryInput) {
  const std::vector<uint8_t> salt1 = {1, 2, 3};
  const std::vector<uint8_t> salt2 = {4, 5, 6};
  const Sha256Digest x = SrpPasswordHash("pw", salt1, salt2);
  EXPECT_EQ(x, SrpPasswordHash("pw", salt1, salt2));
  EXPECT_NE(x, SrpPasswordHash("pW", salt1, salt2));
  EXPECT_NE(x, SrpPasswordHash("pw", salt2, salt1));
  EXPECT_NE(x, SrpPasswordHash("pw", salt1, {4, 5}));
}

TEST_F(SrpExchangeTest, ClientAndServerAgree) {
  absl::StatusOr<SrpChallenge> challenge = NewSrpChallenge(*params_, *verifier_, SeededRandom(1));
  ASSERT_TRUE(challenge.ok()) << challenge.status();
  EXPECT_NE(challenge->srp_id, 0);
  EXPECT_TRUE(CheckDhPublicValue(challenge->srp_b, params_->p).ok());

  absl::StatusOr<SrpProof> proof = SrpClientProof(*params_, challenge->srp_b, *x_, SeededRandom(2));
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(CheckDhPublicValue(proof->a, params_->p).ok());
  EXPECT_TRUE(CheckSrpProof(*params_, *verifier_, *challenge, proof->a, proof->m1).ok());
}

TEST_F(SrpExchangeTest, SameSeedSameChallenge) {
  absl::StatusOr<SrpChallenge> first = NewSrpChallenge(*params_, *verifier_, SeededRandom(3));
  absl::StatusOr<SrpChallenge> second = NewSrpChallenge(*params_, *verifier_, SeededRandom(3));
  absl::StatusOr<SrpChallenge> other = NewSrpChallenge(*params_, *verifier_, SeededRandom(4));
  ASSERT_TRUE(first.ok() && second.ok() && other.ok());
  EXPECT_EQ(first->srp_id, second->srp_id);
  EXPECT_EQ(first->srp_b, second->srp_b);
  EXPECT_NE(first->srp_id, other->srp_id);
  EXPECT_NE(first->srp_b, other->srp_b);
}

TEST_F(SrpExchangeTest, WrongPasswordIsDenied) {
  absl::StatusOr<SrpChallenge> challenge = NewSrpChallenge(*params_, *verifier_, SeededRandom(1));
  ASSERT_TRUE(challenge.ok());
  absl::StatusOr<SrpProof> proof =
      SrpClientProof(*params_, challenge->srp_b, *wrong_x_, SeededRandom(2));
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_EQ(CheckSrpProof(*params_, *verifier_, *challenge, proof->a, proof->m1).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(SrpExchangeTest, TamperedM1IsDenied) {
  absl::StatusOr<SrpChallenge> challenge = NewSrpChallenge(*params_, *verifier_, SeededRandom(1));
  ASSERT_TRUE(challenge.ok());
  absl::StatusOr<SrpProof> proof = SrpClientProof(*params_, challenge->srp_b, *x_, SeededRandom(2));
  ASSERT_TRUE(proof.ok());
  Sha256Digest m1 = proof->m1;
  m1[31] ^= 0x01;
  EXPECT_EQ(CheckSrpProof(*params_, *verifier_, *challenge, proof->a, m1).code(),
            absl::StatusCode::kPermissionDenied);
  // Truncated or empty M1s are wrong, not malformed requests.
  EXPECT_EQ(CheckSrpProof(*params_, *verifier_, *challenge, proof->a,
                          absl::MakeConstSpan(proof->m1).subspan(0, 31))
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckSrpProof(*params_, *verifier_, *challenge, proof->a, {}).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(SrpExchangeTest, ProofIsBoundToItsChallenge) {
  absl::StatusOr<SrpChallenge> first = NewSrpChallenge(*params_, *verifier_, SeededRandom(1));
  absl::StatusOr<SrpChallenge> second = NewSrpChallenge(*params_, *verifier_, SeededRandom(5));
  ASSERT_TRUE(first.ok() && second.ok());
  absl::StatusOr<SrpProof> proof = SrpClientProof(*params_, first->srp_b, *x_, SeededRandom(2));
  ASSERT_TRUE(proof.ok());
  EXPECT_EQ(CheckSrpProof(*params_, *verifier_, *second, proof->a, proof->m1).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST_F(SrpExchangeTest, BadAIsRejected) {
  absl::StatusOr<SrpChallenge> challenge = NewSrpChallenge(*params_, *verifier_, SeededRandom(1));
  ASSERT_TRUE(challenge.ok());
  absl::StatusOr<SrpProof> proof = SrpClientProof(*params_, challenge->srp_b, *x_, SeededRandom(2));
  ASSERT_TRUE(proof.ok());

  Bignum p = *BignumFromBytes(params_->p);
  Bignum value = *NewBignum();
  std::vector<std::vector<uint8_t>> bad;
  for (BN_ULONG small : {0, 1, 3}) {  // 3 = g^1: in (1, p - 1) but far below 2^1984
    BN_set_word(value.get(), small);
    bad.push_back(ToBytes(value.get()));
  }
  BN_sub(value.get(), p.get(), BN_value_one());  // p - 1
  bad.push_back(ToBytes(value.get()));
  bad.push_back(params_->p);                     // p = 0 mod p
  BN_add(value.get(), p.get(), BN_value_one());  // p + 1 = 1 mod p
  bad.push_back(ToBytes(value.get()));
  bad.push_back(std::vector<uint8_t>(kDhSize, 0xff));
  for (const std::vector<uint8_t>& a : bad) {
    EXPECT_EQ(CheckSrpProof(*params_, *verifier_, *challenge, a, proof->m1).code(),
              absl::StatusCode::kInvalidArgument)
        << ToHex(a);
  }
  // A must come padded to 256 bytes: u hashes it in that form.
  EXPECT_EQ(CheckSrpProof(*params_, *verifier_, *challenge,
                          absl::MakeConstSpan(proof->a).subspan(1), proof->m1)
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SrpExchangeTest, BadSrpBIsRejected) {
  Bignum p = *BignumFromBytes(params_->p);
  Bignum value = *NewBignum();
  BN_set_word(value.get(), 0);
  const std::vector<uint8_t> zero = ToBytes(value.get());
  BN_set_word(value.get(), 3);
  const std::vector<uint8_t> three = ToBytes(value.get());
  BN_sub(value.get(), p.get(), BN_value_one());
  const std::vector<uint8_t> p_minus_1 = ToBytes(value.get());
  for (const std::vector<uint8_t>& srp_b : {zero, three, p_minus_1, params_->p}) {
    EXPECT_EQ(SrpClientProof(*params_, srp_b, *x_, SeededRandom(2)).status().code(),
              absl::StatusCode::kInvalidArgument)
        << ToHex(srp_b);
  }
  EXPECT_FALSE(
      SrpClientProof(*params_, std::vector<uint8_t>(255, 0x42), *x_, SeededRandom(2)).ok());
}

TEST_F(SrpExchangeTest, BadParametersAreRejected) {
  SrpParams bad_g = *params_;
  bad_g.g = 2;  // not a generator of the prime-order subgroup of Telegram's prime
  EXPECT_EQ(SrpVerifier(bad_g, *x_).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(NewSrpChallenge(bad_g, *verifier_, SeededRandom(1)).ok());

  SrpParams bad_p = *params_;
  bad_p.p.back() ^= 0x04;  // ...5b -> ...5f: p + 4, divisible by 3
  EXPECT_EQ(SrpVerifier(bad_p, *x_).status().code(), absl::StatusCode::kInvalidArgument);

  SrpParams short_p = *params_;
  short_p.p.pop_back();
  EXPECT_FALSE(SrpVerifier(short_p, *x_).ok());

  DhValue zero{};
  EXPECT_FALSE(NewSrpChallenge(*params_, zero, SeededRandom(1)).ok());
}

TEST_F(SrpExchangeTest, ScriptedSecretsGiveDistinctProofs) {
  absl::StatusOr<SrpChallenge> challenge = NewSrpChallenge(*params_, *verifier_, SeededRandom(1));
  ASSERT_TRUE(challenge.ok());
  absl::StatusOr<SrpProof> first =
      SrpClientProofWithSecret(*params_, challenge->srp_b, *x_, RandomBytes(SeededRandom(8), 256));
  absl::StatusOr<SrpProof> second =
      SrpClientProofWithSecret(*params_, challenge->srp_b, *x_, RandomBytes(SeededRandom(9), 256));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->a, second->a);
  EXPECT_NE(first->m1, second->m1);
  EXPECT_TRUE(CheckSrpProof(*params_, *verifier_, *challenge, first->a, first->m1).ok());
  EXPECT_TRUE(CheckSrpProof(*params_, *verifier_, *challenge, second->a, second->m1).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
