#include "mtproto/handshake/inner_data.h"

#include <algorithm>
#include <array>
#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/sample_vectors.h"

namespace tgrpc::mtproto::handshake {
namespace {

namespace samples = ::tgrpc::mtproto::crypto::testing::samples;

template <size_t N>
std::array<uint8_t, N> HexArray(absl::string_view hex) {
  const std::string bytes = absl::HexStringToBytes(hex);
  std::array<uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

PqInnerData SampleInnerData() {
  PqInnerData data;
  data.kind = InnerDataKind::kDc;
  data.pq = samples::kPq;
  data.p = samples::kP;
  data.q = samples::kQ;
  data.nonce = HexArray<16>(samples::kNonce);
  data.server_nonce = HexArray<16>(samples::kServerNonce);
  data.new_nonce = HexArray<32>(samples::kNewNonce);
  data.dc = 2;
  return data;
}

TEST(InnerDataTest, SerializesThePublishedSample) {
  EXPECT_EQ(absl::BytesToHexString(SerializeInnerData(SampleInnerData())),
            absl::AsciiStrToLower(samples::kPqInnerDataDc));
}

TEST(InnerDataTest, EveryKindRoundTripsAndReportsItsSize) {
  for (InnerDataKind kind :
       {InnerDataKind::kLegacy, InnerDataKind::kDc, InnerDataKind::kTemp, InnerDataKind::kTempDc}) {
    PqInnerData data = SampleInnerData();
    data.kind = kind;
    data.dc = HasDc(kind) ? -10002 : 0;
    data.expires_in = IsTemporary(kind) ? 86400 : 0;
    const std::string bytes = SerializeInnerData(data);
    // Parsing ignores the random padding the RSA schemes put after the data.
    absl::StatusOr<ParsedInnerData> parsed = ParseInnerData(bytes + std::string(40, '\x5a'));
    ASSERT_TRUE(parsed.ok()) << InnerDataKindName(kind) << ": " << parsed.status();
    EXPECT_EQ(parsed->size, bytes.size());
    EXPECT_EQ(parsed->data.kind, kind);
    EXPECT_EQ(parsed->data.pq, data.pq);
    EXPECT_EQ(parsed->data.p, data.p);
    EXPECT_EQ(parsed->data.q, data.q);
    EXPECT_EQ(parsed->data.nonce, data.nonce);
    EXPECT_EQ(parsed->data.server_nonce, data.server_nonce);
    EXPECT_EQ(parsed->data.new_nonce, data.new_nonce);
    EXPECT_EQ(parsed->data.dc, data.dc);
    EXPECT_EQ(parsed->data.expires_in, data.expires_in);
  }
}

TEST(InnerDataTest, RejectsTruncatedAndForeignData) {
  const std::string bytes = SerializeInnerData(SampleInnerData());
  for (size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(ParseInnerData(bytes.substr(0, size)).ok()) << size;
  }
  std::string other_id = bytes;
  other_id[0] ^= 1;
  EXPECT_FALSE(ParseInnerData(other_id).ok());
  // pq as a 9-byte string does not fit in 64 bits.
  PqInnerData data = SampleInnerData();
  std::string wide = SerializeInnerData(data);
  wide.replace(4, 12,
               absl::HexStringToBytes("09"
                                      "01"
                                      "2595EDB7766797"
                                      "00"
                                      "0000"));
  EXPECT_FALSE(ParseInnerData(wide).ok());
}

}  // namespace
}  // namespace tgrpc::mtproto::handshake
