// Unencrypted MTProto messages, the envelope of the auth-key handshake:
// auth_key_id = 0 (8 bytes), msg_id (8), message_data_length (4), message_data.
// UnencryptedEnvelope adds the msg_id rules of one side of one connection.
#ifndef TGRPC_MTPROTO_HANDSHAKE_UNENCRYPTED_MESSAGE_H_
#define TGRPC_MTPROTO_HANDSHAKE_UNENCRYPTED_MESSAGE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/clock.h"
#include "mtproto/crypto/message_key.h"

namespace tgrpc::mtproto::handshake {

inline constexpr size_t kUnencryptedHeaderSize = 20;

struct UnencryptedMessage {
  int64_t msg_id = 0;
  absl::string_view body;  // points into the decoded buffer
};

// Bytes of an unencrypted message; the body is a boxed TL object.
std::string EncodeUnencryptedMessage(int64_t msg_id, absl::string_view body);

// Checks auth_key_id = 0 and that message_data_length is a multiple of 4 that fits. Bytes past
// the message are ignored: the padded intermediate transport appends up to 15 random bytes.
absl::StatusOr<UnencryptedMessage> DecodeUnencryptedMessage(absl::string_view message);

// The unencrypted messages one side of one connection sends and receives, with msg_ids from the
// clock: a client's divisible by 4, a server's (answers) = 1 mod 4, each greater than the last.
// Received msg_ids must have the peer's parity and increase; their time is not checked, because
// a client learns the server's time only from this handshake.
class UnencryptedEnvelope {
 public:
  UnencryptedEnvelope(crypto::Role self, base::Clock clock)
      : self_(self), clock_(std::move(clock)) {}

  // The message carrying `body`, under a new msg_id.
  std::string Seal(absl::string_view body);
  // The body of a message from the peer.
  absl::StatusOr<absl::string_view> Open(absl::string_view message);

  int64_t last_sent_msg_id() const { return last_sent_; }
  int64_t last_received_msg_id() const { return last_received_; }

 private:
  int64_t NextMsgId();

  crypto::Role self_;
  base::Clock clock_;
  int64_t last_sent_ = 0;
  int64_t last_received_ = 0;
};

}  // namespace tgrpc::mtproto::handshake

#endif  // TGRPC_MTPROTO_HANDSHAKE_UNENCRYPTED_MESSAGE_H_
