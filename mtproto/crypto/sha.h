// SHA-1 and SHA-256 as MTProto uses them: mostly over concatenations (msg_key, key derivation,
// nonce hashes), so the *Concat forms hash several pieces as one message without joining them.
#ifndef TGRPC_MTPROTO_CRYPTO_SHA_H_
#define TGRPC_MTPROTO_CRYPTO_SHA_H_

#include <array>
#include <cstdint>

#include "absl/types/span.h"

namespace tgrpc::mtproto::crypto {

using ByteSpan = absl::Span<const uint8_t>;
using Sha1Digest = std::array<uint8_t, 20>;
using Sha256Digest = std::array<uint8_t, 32>;

// These cannot fail for any input. OpenSSL failing to hash means a broken installation, which
// aborts the process instead of making every caller handle an error that never happens.
Sha1Digest Sha1(ByteSpan data);
Sha256Digest Sha256(ByteSpan data);

// Hash of the concatenation of `pieces`, e.g. Sha256Concat({msg_key, auth_key_part}).
Sha1Digest Sha1Concat(absl::Span<const ByteSpan> pieces);
Sha256Digest Sha256Concat(absl::Span<const ByteSpan> pieces);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_SHA_H_
