// RAII and byte conversions over OpenSSL's BIGNUM for the handshake math (RSA, DH). Numbers
// travel as big-endian unsigned byte strings, as the MTProto handshake sends them.
#ifndef TGRPC_MTPROTO_CRYPTO_BIGNUM_H_
#define TGRPC_MTPROTO_CRYPTO_BIGNUM_H_

#include <openssl/bn.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tgrpc::mtproto::crypto {

struct BignumDeleter {
  void operator()(BIGNUM* bn) const { BN_clear_free(bn); }
};
using Bignum = std::unique_ptr<BIGNUM, BignumDeleter>;

struct BignumCtxDeleter {
  void operator()(BN_CTX* ctx) const { BN_CTX_free(ctx); }
};
using BignumCtx = std::unique_ptr<BN_CTX, BignumCtxDeleter>;

// An internal error carrying OpenSSL's error queue (which it clears).
absl::Status OpenSslError(absl::string_view what);

absl::StatusOr<Bignum> NewBignum();
absl::StatusOr<BignumCtx> NewBignumCtx();
absl::StatusOr<Bignum> BignumFromBytes(absl::Span<const uint8_t> big_endian);

// Writes `bn` big-endian into all of `out`, zero-padded on the left. Fails if it does not fit.
absl::Status BignumToBytes(const BIGNUM* bn, absl::Span<uint8_t> out);
// Big-endian without leading zeros (empty for 0).
std::vector<uint8_t> BignumToMinimalBytes(const BIGNUM* bn);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_BIGNUM_H_
