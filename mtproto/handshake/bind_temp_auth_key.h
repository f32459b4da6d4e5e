// auth.bindTempAuthKey (core.telegram.org/method/auth.bindTempAuthKey), both roles: the client
// proves it holds the permanent key by encrypting bind_auth_key_inner under it (MTProto 1.0
// style) and sends that inside the temporary key's session; the server checks the proof.
#ifndef TGRPC_MTPROTO_HANDSHAKE_BIND_TEMP_AUTH_KEY_H_
#define TGRPC_MTPROTO_HANDSHAKE_BIND_TEMP_AUTH_KEY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/random_source.h"
#include "tl/generated/api.h"

namespace tgrpc::mtproto::handshake {

struct BindTempAuthKeyParams {
  // The session of the temporary key the request is sent in.
  int64_t temp_session_id = 0;
  // The msg_id the request will be sent with in that session (the binding message repeats it).
  int64_t msg_id = 0;
  // Unix time (server clock) when the binding ends, normally the temporary key's expires_at.
  int32_t expires_at = 0;
};

// The request to send, encrypted with the temporary key, in params.temp_session_id under
// params.msg_id. Draws the nonce and the binding message's random bytes from `random`.
absl::StatusOr<tl::api::auth_bindTempAuthKey> MakeBindTempAuthKey(
    const crypto::AuthKey& perm_key, const crypto::AuthKey& temp_key,
    const BindTempAuthKeyParams& params, const crypto::RandomSource& random);

// What the server knows about the encrypted message that carried the request.
struct BindRequestContext {
  uint64_t auth_key_id = 0;       // the key it was encrypted with
  bool key_is_temporary = false;  // that key came from a p_q_inner_data_temp* exchange
  int64_t session_id = 0;
  int64_t msg_id = 0;
  // The permanent key this temporary key is already bound to, if any.
  std::optional<uint64_t> bound_perm_auth_key_id;
};

// A verified binding, for the server to store.
struct TempKeyBinding {
  uint64_t perm_auth_key_id = 0;
  uint64_t temp_auth_key_id = 0;
  int64_t temp_session_id = 0;
  int32_t expires_at = 0;
  int64_t nonce = 0;
};

// The server's permanent keys by auth_key_id; nullopt for an unknown id.
using PermanentKeyLookup = std::function<std::optional<crypto::AuthKey>(uint64_t auth_key_id)>;

// Checks the request against the context and the permanent key. A rejection is
// InvalidArgument carrying the Telegram error type the server answers with, as
// rpc_error(400, type); read it with BindErrorType(): TEMP_AUTH_KEY_EMPTY (not sent under a
// temporary key), TEMP_AUTH_KEY_ALREADY_BOUND (bound to another permanent key),
// ENCRYPTED_MESSAGE_INVALID (unknown permanent key, or any check on the binding message fails).
absl::StatusOr<TempKeyBinding> VerifyBindTempAuthKey(const tl::api::auth_bindTempAuthKey& request,
                                                     const BindRequestContext& context,
                                                     const PermanentKeyLookup& lookup);

// The Telegram error type of a status VerifyBindTempAuthKey returned, or "" for any other status.
std::string BindErrorType(const absl::Status& status);

}  // namespace tgrpc::mtproto::handshake

#endif  // TGRPC_MTPROTO_HANDSHAKE_BIND_TEMP_AUTH_KEY_H_
