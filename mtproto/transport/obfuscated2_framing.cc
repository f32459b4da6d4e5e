#include "mtproto/transport/obfuscated2_framing.h"

#include <utility>

#include "base/status_macros.h"

namespace tgrpc::mtproto::transport {
namespace {

constexpr size_t kRetainedScratch = size_t{1} << 20;

}  // namespace

absl::StatusOr<std::unique_ptr<Obfuscated2Framing>> Obfuscated2Framing::Create(
    std::unique_ptr<Framing> inner, const Obfuscated2Keys& keys, Role role) {
  if (inner == nullptr) return absl::InvalidArgumentError("obfuscated2 needs an inner framing");
  TGRPC_ASSIGN_OR_RETURN(AesCtr256 encryptor, AesCtr256::Create(keys.encrypt_key, keys.encrypt_iv));
  TGRPC_ASSIGN_OR_RETURN(AesCtr256 decryptor, AesCtr256::Create(keys.decrypt_key, keys.decrypt_iv));
  AesCtr256& client_to_server = role == Role::kClient ? encryptor : decryptor;
  TGRPC_RETURN_IF_ERROR(client_to_server.Skip(kObfuscated2InitSize));
  return std::unique_ptr<Obfuscated2Framing>(
      new Obfuscated2Framing(std::move(inner), std::move(encryptor), std::move(decryptor)));
}

absl::Status Obfuscated2Framing::EncryptTail(absl::Status encoded, size_t start, std::string& out) {
  if (!encoded.ok()) {
    out.resize(start);
    return encoded;
  }
  encrypt_error_ = encryptor_.Apply(out.data() + start, out.size() - start);
  if (!encrypt_error_.ok()) out.resize(start);
  return encrypt_error_;
}

absl::Status Obfuscated2Framing::EncodeFrame(absl::string_view payload, const FrameOptions& options,
                                             std::string& out) {
  if (!encrypt_error_.ok()) return encrypt_error_;
  const size_t start = out.size();
  return EncryptTail(inner_->EncodeFrame(payload, options, out), start, out);
}

absl::Status Obfuscated2Framing::EncodeQuickAck(uint32_t token, std::string& out) {
  if (!encrypt_error_.ok()) return encrypt_error_;
  const size_t start = out.size();
  return EncryptTail(inner_->EncodeQuickAck(token, out), start, out);
}

absl::Status Obfuscated2Framing::EncodeTransportError(int32_t code, std::string& out) {
  if (!encrypt_error_.ok()) return encrypt_error_;
  const size_t start = out.size();
  return EncryptTail(inner_->EncodeTransportError(code, out), start, out);
}

absl::Status Obfuscated2Framing::Decode(absl::string_view bytes, std::vector<Frame>& frames) {
  if (!decrypt_error_.ok()) return decrypt_error_;
  scratch_.assign(bytes.data(), bytes.size());
  decrypt_error_ = decryptor_.Apply(scratch_.data(), scratch_.size());
  if (!decrypt_error_.ok()) return decrypt_error_;
  absl::Status status = inner_->Decode(scratch_, frames);
  // Keep a buffer for ordinary reads, not for the largest one ever seen.
  if (scratch_.capacity() > kRetainedScratch) std::string().swap(scratch_);
  return status;
}

}  // namespace tgrpc::mtproto::transport
