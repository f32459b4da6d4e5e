#include "mtproto/crypto/sha.h"

#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/crypto_test_util.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::base::AsBytes;
using ::tgrpc::mtproto::crypto::testing::ToHex;

// FIPS 180-2 example messages.
TEST(ShaTest, KnownAnswers) {
  EXPECT_EQ(ToHex(Sha1(AsBytes("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(ToHex(Sha256(AsBytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(Sha1(ByteSpan())), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(ToHex(Sha256(ByteSpan())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(ShaTest, ConcatEqualsHashOfJoinedPieces) {
  const std::string a = "abcdbcdecdefdefgefghfghighij";
  const std::string b = "hijkijkljklmklmnlmnomnopnopq";
  const std::string joined = a + b;
  EXPECT_EQ(ToHex(Sha256Concat({AsBytes(a), AsBytes(b)})),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha1Concat({AsBytes(a), ByteSpan(), AsBytes(b)}), Sha1(AsBytes(joined)));
  EXPECT_EQ(Sha256Concat({}), Sha256(ByteSpan()));
}

TEST(ShaTest, ThreadsHashIndependently) {
  std::vector<std::thread> threads;
  std::vector<Sha256Digest> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&results, t] {
      for (int i = 0; i < 1000; ++i) results[t] = Sha256(AsBytes("abc"));
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& digest : results) EXPECT_EQ(digest, Sha256(AsBytes("abc")));
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
