// p_q_inner_data in its four forms, the payload the client encrypts to the server's RSA key.
// One plain struct for all of them, so client and server share one encoder and one parser.
#ifndef TGRPC_MTPROTO_HANDSHAKE_INNER_DATA_H_
#define TGRPC_MTPROTO_HANDSHAKE_INNER_DATA_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/runtime/binary.h"

namespace tgrpc::mtproto::handshake {

enum class InnerDataKind {
  kLegacy,  // p_q_inner_data: permanent key, no dc (GramJS, Telethon)
  kDc,      // p_q_inner_data_dc: permanent key
  kTemp,    // p_q_inner_data_temp: temporary key, no dc
  kTempDc,  // p_q_inner_data_temp_dc: temporary key
};

// How p_q_inner_data is encrypted to the server's RSA key (crypto/rsa_pad.h).
enum class RsaScheme {
  kRsaPad,  // RSA_PAD, what current clients and servers use
  kLegacy,  // RSA(SHA1(data) + data + padding to 255 bytes), Telethon's scheme
};

absl::string_view InnerDataKindName(InnerDataKind kind);
inline bool IsTemporary(InnerDataKind kind) {
  return kind == InnerDataKind::kTemp || kind == InnerDataKind::kTempDc;
}
inline bool HasDc(InnerDataKind kind) {
  return kind == InnerDataKind::kDc || kind == InnerDataKind::kTempDc;
}

struct PqInnerData {
  InnerDataKind kind = InnerDataKind::kDc;
  uint64_t pq = 0;
  uint64_t p = 0;
  uint64_t q = 0;
  tl::Int128 nonce{};
  tl::Int128 server_nonce{};
  tl::Int256 new_nonce{};
  int32_t dc = 0;          // only in the *_dc kinds
  int32_t expires_in = 0;  // only in the temporary kinds
};

// The boxed TL serialization (pq, p and q as big-endian strings without leading zeros).
std::string SerializeInnerData(const PqInnerData& data);

struct ParsedInnerData {
  PqInnerData data;
  size_t size = 0;  // bytes the object took; what follows is the sender's random padding
};

// Parses one boxed p_q_inner_data* from the start of `bytes`, ignoring what follows it. pq, p and
// q must fit in 64 bits.
absl::StatusOr<ParsedInnerData> ParseInnerData(absl::string_view bytes);

}  // namespace tgrpc::mtproto::handshake

#endif  // TGRPC_MTPROTO_HANDSHAKE_INNER_DATA_H_
