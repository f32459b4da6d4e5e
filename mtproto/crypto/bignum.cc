#include "mtproto/crypto/bignum.h"

#include <openssl/err.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace tgrpc::mtproto::crypto {

absl::Status OpenSslError(absl::string_view what) {
  std::string message(what);
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    absl::StrAppend(&message, ": ", buffer);
  }
  return absl::InternalError(message);
}

absl::StatusOr<Bignum> NewBignum() {
  Bignum bn(BN_new());
  if (bn == nullptr) return OpenSslError("BN_new");
  return bn;
}

absl::StatusOr<BignumCtx> NewBignumCtx() {
  BignumCtx ctx(BN_CTX_new());
  if (ctx == nullptr) return OpenSslError("BN_CTX_new");
  return ctx;
}

absl::StatusOr<Bignum> BignumFromBytes(absl::Span<const uint8_t> big_endian) {
  Bignum bn(BN_bin2bn(big_endian.data(), static_cast<int>(big_endian.size()), nullptr));
  if (bn == nullptr) return OpenSslError("BN_bin2bn");
  return bn;
}

absl::Status BignumToBytes(const BIGNUM* bn, absl::Span<uint8_t> out) {
  if (BN_is_negative(bn) || static_cast<size_t>(BN_num_bytes(bn)) > out.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("number does not fit in ", out.size(), " bytes"));
  }
  if (BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) < 0) {
    return OpenSslError("BN_bn2binpad");
  }
  return absl::OkStatus();
}

std::vector<uint8_t> BignumToMinimalBytes(const BIGNUM* bn) {
  std::vector<uint8_t> out(BN_num_bytes(bn));
  BN_bn2bin(bn, out.data());
  return out;
}

}  // namespace tgrpc::mtproto::crypto
