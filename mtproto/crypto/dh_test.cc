#include "mtproto/crypto/dh.h"

#include <openssl/bn.h>

#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/bignum.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/sample_vectors.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::NormalizedHex;
using ::tgrpc::mtproto::crypto::testing::SeededRandom;
using ::tgrpc::mtproto::crypto::testing::ToHex;
namespace samples = ::tgrpc::mtproto::crypto::testing::samples;

std::vector<uint8_t> ToBytes(const BIGNUM* bn, size_t size = kDhSize) {
  std::vector<uint8_t> out(size);
  EXPECT_TRUE(BignumToBytes(bn, absl::MakeSpan(out)).ok());
  return out;
}

// RFC 3526's 2048-bit MODP group: a safe prime with p mod 8 = 7, other than Telegram's.
std::vector<uint8_t> Rfc3526Prime() {
  Bignum p(BN_get_rfc3526_prime_2048(nullptr));
  return ToBytes(p.get());
}

// Telegram's prime plus `delta`.
std::vector<uint8_t> TelegramPrimePlus(long delta) {
  Bignum p = *BignumFromBytes(TelegramDhPrime());
  if (delta >= 0) {
    BN_add_word(p.get(), static_cast<BN_ULONG>(delta));
  } else {
    BN_sub_word(p.get(), static_cast<BN_ULONG>(-delta));
  }
  return ToBytes(p.get());
}

TEST(DhPrimeTest, TelegramPrimeIsASafePrime) {
  EXPECT_EQ(ToHex(TelegramDhPrime()).substr(0, 8), "c71caeb9");
  EXPECT_EQ(ToHex(TelegramDhPrime()).substr(504), "b92fcc5b");
  EXPECT_TRUE(CheckSafePrime2048(TelegramDhPrime()).ok());
  EXPECT_TRUE(CheckDhPrime(TelegramDhPrime()).ok());
}

TEST(DhPrimeTest, OtherSafePrimesAreTestedAndCached) {
  const std::vector<uint8_t> prime = Rfc3526Prime();
  EXPECT_TRUE(CheckDhPrime(prime).ok());
  EXPECT_TRUE(CheckDhPrime(prime).ok());  // From the cache.
}

TEST(DhPrimeTest, RejectsNonSafeOrShortPrimes) {
  // Composite: p mod 3 = 2, so the Telegram prime + 4 is divisible by 3.
  const std::vector<uint8_t> composite = TelegramPrimePlus(4);
  EXPECT_EQ(CheckDhPrime(composite).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckDhPrime(composite).code(), absl::StatusCode::kInvalidArgument);  // cached

  // The first prime above the Telegram prime whose half is not prime.
  Bignum candidate = *BignumFromBytes(TelegramDhPrime());
  BignumCtx ctx = *NewBignumCtx();
  Bignum half = *NewBignum();
  while (true) {
    BN_add_word(candidate.get(), 2);
    if (BN_check_prime(candidate.get(), ctx.get(), nullptr) != 1) continue;
    BN_rshift1(half.get(), candidate.get());
    if (BN_check_prime(half.get(), ctx.get(), nullptr) != 1) break;
  }
  EXPECT_EQ(CheckDhPrime(ToBytes(candidate.get())).code(), absl::StatusCode::kInvalidArgument);

  // Not 2048 bits.
  std::vector<uint8_t> short_prime = Rfc3526Prime();
  short_prime[0] = 0x7f;
  EXPECT_FALSE(CheckDhPrime(short_prime).ok());
  EXPECT_FALSE(CheckDhPrime(std::vector<uint8_t>(255, 0xff)).ok());
}

TEST(DhGeneratorTest, ResidueConditions) {
  // Telegram's prime: p mod 8 = 3, p mod 3 = 2, p mod 5 = 3, p mod 24 = 11, p mod 7 = 6.
  const auto& telegram = TelegramDhPrime();
  EXPECT_FALSE(CheckDhGenerator(2, telegram).ok());
  EXPECT_TRUE(CheckDhGenerator(3, telegram).ok());
  EXPECT_TRUE(CheckDhGenerator(4, telegram).ok());
  EXPECT_FALSE(CheckDhGenerator(5, telegram).ok());
  EXPECT_FALSE(CheckDhGenerator(6, telegram).ok());
  EXPECT_TRUE(CheckDhGenerator(7, telegram).ok());
  EXPECT_FALSE(CheckDhGenerator(1, telegram).ok());
  EXPECT_FALSE(CheckDhGenerator(8, telegram).ok());
  // RFC 3526: p mod 8 = 7, so g = 2 is fine.
  EXPECT_TRUE(CheckDhGenerator(2, Rfc3526Prime()).ok());
}

TEST(DhPublicValueTest, Bounds) {
  const auto& prime = TelegramDhPrime();
  Bignum low = *NewBignum();
  BN_set_bit(low.get(), 2048 - 64);
  Bignum p = *BignumFromBytes(prime);
  Bignum high = *NewBignum();
  BN_sub(high.get(), p.get(), low.get());

  EXPECT_TRUE(CheckDhPublicValue(ToBytes(low.get()), prime).ok());
  EXPECT_TRUE(CheckDhPublicValue(ToBytes(high.get()), prime).ok());
  BN_sub_word(low.get(), 1);
  BN_add_word(high.get(), 1);
  EXPECT_FALSE(CheckDhPublicValue(ToBytes(low.get()), prime).ok());
  EXPECT_FALSE(CheckDhPublicValue(ToBytes(high.get()), prime).ok());
  EXPECT_FALSE(CheckDhPublicValue({0x01}, prime).ok());
  EXPECT_FALSE(CheckDhPublicValue(TelegramPrimePlus(-1), prime).ok());
  EXPECT_FALSE(CheckDhPublicValue(prime, prime).ok());
}

TEST(DhGroupTest, SampleGb) {
  auto group = DhGroup::Create(3, TelegramDhPrime());
  ASSERT_TRUE(group.ok()) << group.status();
  auto g_b = group->PublicValue(HexBytes(samples::kB));
  ASSERT_TRUE(g_b.ok()) << g_b.status();
  EXPECT_EQ(ToHex(*g_b), NormalizedHex(samples::kGb));
}

TEST(DhGroupTest, BothSidesAgree) {
  auto group = DhGroup::Create(3, TelegramDhPrime());
  ASSERT_TRUE(group.ok());
  RandomSource random = SeededRandom(9);
  std::vector<uint8_t> a(256), b(256);
  random(absl::MakeSpan(a));
  random(absl::MakeSpan(b));
  auto g_a = group->PublicValue(a);
  auto g_b = group->PublicValue(b);
  ASSERT_TRUE(g_a.ok() && g_b.ok());
  auto key_a = group->SharedKey(*g_b, a);
  auto key_b = group->SharedKey(*g_a, b);
  ASSERT_TRUE(key_a.ok() && key_b.ok());
  EXPECT_EQ(*key_a, *key_b);
}

TEST(DhGroupTest, RejectsBadInput) {
  EXPECT_FALSE(DhGroup::Create(2, TelegramDhPrime()).ok());
  EXPECT_FALSE(DhGroup::Create(3, TelegramPrimePlus(4)).ok());
  auto group = DhGroup::Create(3, TelegramDhPrime());
  ASSERT_TRUE(group.ok());
  // A tiny secret gives a tiny g^secret, outside the safe range.
  EXPECT_EQ(group->PublicValue({0x02}).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(group->PublicValue({}).ok());
  EXPECT_FALSE(group->SharedKey({0x02}, HexBytes(samples::kB)).ok());
}

TEST(DhGroupTest, SharedKeyIsPaddedTo256Bytes) {
  // With secret 1 the key is the peer value itself, here one with leading zero bytes.
  auto group = DhGroup::Create(3, TelegramDhPrime());
  ASSERT_TRUE(group.ok());
  Bignum value = *NewBignum();
  BN_set_bit(value.get(), 2000);  // 2^2000 has 5 leading zero bytes in 256.
  auto key = group->SharedKey(ToBytes(value.get()), {0x01});
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->size(), 256u);
  EXPECT_EQ((*key)[0], 0);
  EXPECT_EQ(std::vector<uint8_t>(key->begin(), key->end()), ToBytes(value.get()));
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
