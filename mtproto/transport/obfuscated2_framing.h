// Obfuscated2: AES-256-CTR over every byte after the 64-byte init, in both directions, around any
// inner framing. See obfuscated2_init.h for the init and keys; client_transport.h and
// server_transport.h put the two together.
#ifndef TGRPC_MTPROTO_TRANSPORT_OBFUSCATED2_FRAMING_H_
#define TGRPC_MTPROTO_TRANSPORT_OBFUSCATED2_FRAMING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/aes_ctr.h"
#include "mtproto/transport/frame.h"
#include "mtproto/transport/framing.h"
#include "mtproto/transport/obfuscated2_init.h"

namespace tgrpc::mtproto::transport {

class Obfuscated2Framing final : public Framing {
 public:
  // `keys` are `role`'s own. The init went through the client->server stream, so that stream
  // starts 64 bytes in: the client's encryptor, the server's decryptor.
  static absl::StatusOr<std::unique_ptr<Obfuscated2Framing>> Create(std::unique_ptr<Framing> inner,
                                                                    const Obfuscated2Keys& keys,
                                                                    Role role);

  bool SupportsQuickAck() const override { return inner_->SupportsQuickAck(); }
  absl::Status EncodeFrame(absl::string_view payload, const FrameOptions& options,
                           std::string& out) override;
  absl::Status EncodeQuickAck(uint32_t token, std::string& out) override;
  absl::Status EncodeTransportError(int32_t code, std::string& out) override;
  absl::Status Decode(absl::string_view bytes, std::vector<Frame>& frames) override;

 private:
  Obfuscated2Framing(std::unique_ptr<Framing> inner, AesCtr256 encryptor, AesCtr256 decryptor)
      : inner_(std::move(inner)),
        encryptor_(std::move(encryptor)),
        decryptor_(std::move(decryptor)) {}

  // Encrypts what the inner encoder appended after `start`; a cipher failure leaves the stream
  // unusable, so it becomes sticky.
  absl::Status EncryptTail(absl::Status encoded, size_t start, std::string& out);

  std::unique_ptr<Framing> inner_;
  AesCtr256 encryptor_;
  AesCtr256 decryptor_;
  absl::Status encrypt_error_;
  absl::Status decrypt_error_;
  std::string scratch_;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_OBFUSCATED2_FRAMING_H_
