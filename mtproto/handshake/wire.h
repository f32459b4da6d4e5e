// Helpers shared by the two roles of the handshake (internal).
#ifndef TGRPC_MTPROTO_HANDSHAKE_WIRE_H_
#define TGRPC_MTPROTO_HANDSHAKE_WIRE_H_

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "mtproto/crypto/dh.h"
#include "tl/runtime/binary.h"

namespace tgrpc::mtproto::handshake::internal {

// The boxed serialization of a generated TL object (id + fields).
template <class T>
std::string SerializeBoxed(const T& object) {
  std::string out;
  tl::Writer w(&out);
  w.U32(T::kId);
  object.TlStore(w);
  return out;
}

template <size_t N>
bool ConstantTimeEqual(const std::array<uint8_t, N>& a, const std::array<uint8_t, N>& b) {
  return CRYPTO_memcmp(a.data(), b.data(), N) == 0;
}

// A DH value as 256 bytes. Some clients send g_b (and could send g_a) without leading zero bytes,
// so shorter values are zero-padded on the left.
inline absl::StatusOr<crypto::DhValue> ToDhValue(absl::string_view bytes, absl::string_view what) {
  if (bytes.empty() || bytes.size() > crypto::kDhSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be 1..", crypto::kDhSize, " bytes, got ", bytes.size()));
  }
  crypto::DhValue value{};
  std::copy(bytes.begin(), bytes.end(), value.end() - bytes.size());
  return value;
}

}  // namespace tgrpc::mtproto::handshake::internal

#endif  // TGRPC_MTPROTO_HANDSHAKE_WIRE_H_
