// The cipher of files kept on Telegram's CDN DCs (core.telegram.org/cdn): AES-256-CTR under the
// file's encryption_key, where the bytes at `offset` start from the file's encryption_iv with its
// last 4 bytes replaced by offset / 16, big-endian. Encryption and decryption are the same
// operation. Shared by the client (service/api's downloads) and tests/fakedc's CDN DC.
#ifndef TGRPC_MTPROTO_CRYPTO_CDN_CIPHER_H_
#define TGRPC_MTPROTO_CRYPTO_CDN_CIPHER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tgrpc::mtproto::crypto {

inline constexpr size_t kCdnKeySize = 32;
inline constexpr size_t kCdnIvSize = 16;
// The piece a CDN file hash (fileHash) covers: SHA-256 of 128 KiB of plain bytes (the last piece
// may be shorter).
inline constexpr int64_t kCdnHashPieceSize = 128 * 1024;

// The counter block for the bytes at `offset` (a multiple of 16 below 64 GiB): InvalidArgument
// otherwise, or for an IV that is not 16 bytes.
absl::Status CdnIvAt(absl::string_view iv, int64_t offset, std::string* out);

// XORs the key stream for file bytes [offset, offset + data.size()) into `data`, in place.
// InvalidArgument for a key that is not 32 bytes or a bad IV or offset.
[[nodiscard]] absl::Status CdnCrypt(absl::string_view key, absl::string_view iv, int64_t offset,
                                    std::string& data);

}  // namespace tgrpc::mtproto::crypto

#endif  // TGRPC_MTPROTO_CRYPTO_CDN_CIPHER_H_
