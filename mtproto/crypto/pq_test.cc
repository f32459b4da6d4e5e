#include "mtproto/crypto/pq.h"

#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/sample_vectors.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::SeededRandom;
using ::tgrpc::mtproto::crypto::testing::ToHex;
namespace samples = ::tgrpc::mtproto::crypto::testing::samples;

TEST(PqTest, SampleFromTelegram) {
  // pq as the TL string in resPQ: length byte, 8 bytes, 3 bytes of padding.
  const std::vector<uint8_t> tl = HexBytes(samples::kPqTlBytes);
  ASSERT_EQ(tl[0], 8);
  auto pq = BigEndianToUint64(absl::MakeConstSpan(tl).subspan(1, 8));
  ASSERT_TRUE(pq.ok());
  EXPECT_EQ(*pq, samples::kPq);
  auto factors = FactorizePq(*pq);
  ASSERT_TRUE(factors.ok()) << factors.status();
  EXPECT_EQ(factors->p, samples::kP);
  EXPECT_EQ(factors->q, samples::kQ);
  // p_q_inner_data_dc carries them as 4-byte strings: 04 5A300D4B 000000, 04 6A26DB65 000000.
  EXPECT_EQ(ToHex(Uint64ToBigEndian(factors->p)), "5a300d4b");
  EXPECT_EQ(ToHex(Uint64ToBigEndian(factors->q)), "6a26db65");
  EXPECT_NE(std::string(samples::kPqInnerDataDc).find("045A300D4B000000046A26DB65000000"),
            std::string::npos);
}

TEST(PqTest, RandomProductsOfTwo32BitPrimes) {
  RandomSource random = SeededRandom(5);
  auto random_prime = [&random](uint64_t low) {
    while (true) {
      uint8_t bytes[4];
      random(absl::MakeSpan(bytes));
      const uint64_t candidate =
          low | (uint64_t{bytes[0]} << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
      if (IsPrime64(candidate)) return candidate;
    }
  };
  for (int i = 0; i < 200; ++i) {
    const uint64_t a = random_prime(0x80000000);
    const uint64_t b = random_prime(0x80000000);
    if (a == b) continue;
    auto factors = FactorizePq(a * b);
    ASSERT_TRUE(factors.ok()) << a << " * " << b << ": " << factors.status();
    EXPECT_EQ(factors->p, std::min(a, b));
    EXPECT_EQ(factors->q, std::max(a, b));
  }
}

TEST(PqTest, SmallAndUnbalancedProducts) {
  for (auto [p, q] : std::vector<std::pair<uint64_t, uint64_t>>{
           {2, 3}, {2, 4294967291}, {3, 5}, {65521, 4294967291}, {4294967279, 4294967291}}) {
    auto factors = FactorizePq(p * q);
    ASSERT_TRUE(factors.ok()) << p << " * " << q << ": " << factors.status();
    EXPECT_EQ(factors->p, p);
    EXPECT_EQ(factors->q, q);
  }
}

TEST(PqTest, RejectsWhatIsNotAProductOfTwoPrimes) {
  EXPECT_FALSE(FactorizePq(0).ok());
  EXPECT_FALSE(FactorizePq(1).ok());
  EXPECT_FALSE(FactorizePq(4294967291).ok());                     // prime
  EXPECT_FALSE(FactorizePq(uint64_t{65521} * 65521).ok());        // a square
  EXPECT_FALSE(FactorizePq(uint64_t{3} * 5 * 7 * 11 * 13).ok());  // more than two factors
}

TEST(PqTest, IsPrime64) {
  EXPECT_FALSE(IsPrime64(1));
  EXPECT_TRUE(IsPrime64(2));
  EXPECT_TRUE(IsPrime64(18446744073709551557ULL));  // the largest 64-bit prime
  EXPECT_FALSE(IsPrime64(3215031751ULL));           // strong pseudoprime to bases 2, 3, 5, 7
  EXPECT_FALSE(IsPrime64(samples::kPq));
}

TEST(PqTest, BigEndianConversions) {
  EXPECT_TRUE(Uint64ToBigEndian(0).empty());
  EXPECT_EQ(ToHex(Uint64ToBigEndian(0x0102)), "0102");
  EXPECT_FALSE(BigEndianToUint64(std::vector<uint8_t>(9)).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
