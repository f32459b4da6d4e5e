// Walks through the worked key exchange of core.telegram.org/mtproto/samples-auth_key with this
// package's code, client side, and checks every value the page gives that does not depend on
// the RSA step's random temp_key (../shared/mtproto-vectors.md).
#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/crypto_test_util.h"
#include "mtproto/crypto/dh.h"
#include "mtproto/crypto/handshake_crypto.h"
#include "mtproto/crypto/pq.h"
#include "mtproto/crypto/sample_vectors.h"

namespace tgrpc::mtproto::crypto {
namespace {

using ::tgrpc::mtproto::crypto::testing::HexBytes;
using ::tgrpc::mtproto::crypto::testing::NormalizedHex;
using ::tgrpc::mtproto::crypto::testing::ScriptedRandom;
using ::tgrpc::mtproto::crypto::testing::ToHex;
namespace samples = ::tgrpc::mtproto::crypto::testing::samples;

template <size_t kSize>
std::array<uint8_t, kSize> FromHex(const char* hex) {
  const std::vector<uint8_t> bytes = HexBytes(hex);
  EXPECT_EQ(bytes.size(), kSize);
  std::array<uint8_t, kSize> out{};
  std::copy_n(bytes.begin(), std::min(kSize, bytes.size()), out.begin());
  return out;
}

// A minimal TL reader for server_DH_inner_data; the real codec lives in tl/.
class Reader {
 public:
  explicit Reader(absl::Span<const uint8_t> data) : data_(data) {}

  int32_t Int() {
    const std::vector<uint8_t> bytes = Raw(4);
    return static_cast<int32_t>(bytes[0] | bytes[1] << 8 | bytes[2] << 16 |
                                static_cast<uint32_t>(bytes[3]) << 24);
  }

  std::vector<uint8_t> Raw(size_t size) {
    EXPECT_LE(size, data_.size());
    std::vector<uint8_t> out(data_.begin(), data_.begin() + size);
    data_.remove_prefix(size);
    return out;
  }

  std::vector<uint8_t> Bytes() {
    size_t size = Raw(1)[0];
    size_t header = 1;
    if (size == 254) {
      const std::vector<uint8_t> length = Raw(3);
      size = length[0] | length[1] << 8 | length[2] << 16;
      header = 4;
    }
    std::vector<uint8_t> out = Raw(size);
    Raw((4 - (header + size) % 4) % 4);
    return out;
  }

  size_t remaining() const { return data_.size(); }

 private:
  absl::Span<const uint8_t> data_;
};

TEST(SamplesAuthKeyTest, FullExchange) {
  // resPQ: pq = p * q.
  auto factors = FactorizePq(samples::kPq);
  ASSERT_TRUE(factors.ok()) << factors.status();
  EXPECT_EQ(factors->p, samples::kP);
  EXPECT_EQ(factors->q, samples::kQ);

  // server_DH_params_ok: derive the temporary key and decrypt the answer.
  const Int256 new_nonce = FromHex<32>(samples::kNewNonce);
  const Int128 server_nonce = FromHex<16>(samples::kServerNonce);
  const TmpAesKey tmp = DeriveTmpAesKey(new_nonce, server_nonce);
  EXPECT_EQ(ToHex(tmp.key), NormalizedHex(samples::kTmpAesKey));
  EXPECT_EQ(ToHex(tmp.iv), NormalizedHex(samples::kTmpAesIv));
  auto answer = DecryptWithSha1(tmp, HexBytes(samples::kEncryptedAnswer));
  ASSERT_TRUE(answer.ok()) << answer.status();
  ASSERT_EQ(answer->size(), 564u);

  // server_DH_inner_data#b5890dba nonce:int128 server_nonce:int128 g:int dh_prime:bytes
  // g_a:bytes server_time:int
  Reader reader(*answer);
  EXPECT_EQ(static_cast<uint32_t>(reader.Int()), 0xb5890dbau);
  EXPECT_EQ(ToHex(reader.Raw(16)), NormalizedHex(samples::kNonce));
  EXPECT_EQ(ToHex(reader.Raw(16)), NormalizedHex(samples::kServerNonce));
  const int g = reader.Int();
  EXPECT_EQ(g, 3);
  const std::vector<uint8_t> dh_prime = reader.Bytes();
  const std::vector<uint8_t> g_a = reader.Bytes();
  EXPECT_EQ(reader.Int(), samples::kServerTime);
  EXPECT_EQ(reader.remaining(), 0u);
  EXPECT_EQ(dh_prime, std::vector<uint8_t>(TelegramDhPrime().begin(), TelegramDhPrime().end()));

  // The client's checks and g_b.
  auto group = DhGroup::Create(g, dh_prime);
  ASSERT_TRUE(group.ok()) << group.status();
  ASSERT_TRUE(CheckDhPublicValue(g_a, dh_prime).ok());
  const std::vector<uint8_t> b = HexBytes(samples::kB);
  auto g_b = group->PublicValue(b);
  ASSERT_TRUE(g_b.ok()) << g_b.status();
  EXPECT_EQ(ToHex(*g_b), NormalizedHex(samples::kGb));

  // set_client_DH_params: client_DH_inner_data, SHA1-prefixed, padded with the page's padding
  // and encrypted. The serialized prefix ends with g_b's TL length header (fe 00 01 00).
  std::vector<uint8_t> inner = HexBytes(samples::kClientDhInnerDataPrefix);
  ASSERT_EQ(ToHex(absl::MakeConstSpan(inner).last(4)), "fe000100");
  inner.insert(inner.end(), g_b->begin(), g_b->end());
  ASSERT_EQ(inner.size(), 304u);
  auto encrypted = EncryptWithSha1(tmp, inner, ScriptedRandom(HexBytes(samples::kPadding)));
  ASSERT_TRUE(encrypted.ok()) << encrypted.status();
  EXPECT_EQ(encrypted->size(), 336u);
  EXPECT_EQ(ToHex(*encrypted), NormalizedHex(samples::kEncryptedData));

  // The auth key and what is derived from it.
  auto shared = group->SharedKey(g_a, b);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(ToHex(*shared), NormalizedHex(samples::kAuthKey));
  const AuthKey auth_key(*shared);
  EXPECT_EQ(ToHex(auth_key.aux_hash()), NormalizedHex(samples::kAuxHash));
  EXPECT_EQ(ToHex(auth_key.id_bytes()), NormalizedHex(samples::kAuthKeyId));
  EXPECT_EQ(ToHex(NewNonceHash(new_nonce, 1, auth_key.aux_hash())),
            NormalizedHex(samples::kNewNonceHash1));
  EXPECT_EQ(ToHex(InitialServerSalt(new_nonce, server_nonce)),
            NormalizedHex(samples::kFirstServerSalt));
}

}  // namespace
}  // namespace tgrpc::mtproto::crypto
