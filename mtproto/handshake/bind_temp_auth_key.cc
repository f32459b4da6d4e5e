#include "mtproto/handshake/bind_temp_auth_key.h"

#include <openssl/crypto.h>

#include <array>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "mtproto/crypto/aes_ige.h"
#include "mtproto/crypto/message_key.h"
#include "mtproto/crypto/message_key_v1.h"
#include "mtproto/handshake/wire.h"
#include "tl/generated/mtp.h"
#include "tl/runtime/binary.h"

namespace tgrpc::mtproto::handshake {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
using base::AsBytes;

constexpr char kErrorTypeUrl[] = "type.tgrpc/telegram.rpc_error.type";
constexpr size_t kRandomSize = 16;  // random:int128 in place of salt and session_id
constexpr size_t kPlainHeaderSize = kRandomSize + 8 + 4 + 4;  // + msg_id, seqno, msg_len
constexpr size_t kOuterHeaderSize = 8 + 16;                   // perm_auth_key_id, msg_key

absl::Status BindError(absl::string_view type, absl::string_view detail) {
  absl::Status status = absl::InvalidArgumentError(absl::StrCat(type, ": ", detail));
  status.SetPayload(kErrorTypeUrl, absl::Cord(type));
  return status;
}

absl::Status InvalidMessage(absl::string_view detail) {
  return BindError("ENCRYPTED_MESSAGE_INVALID", detail);
}

}  // namespace

absl::StatusOr<tl::api::auth_bindTempAuthKey> MakeBindTempAuthKey(
    const crypto::AuthKey& perm_key, const crypto::AuthKey& temp_key,
    const BindTempAuthKeyParams& params, const crypto::RandomSource& random) {
  std::array<uint8_t, 8> nonce;
  random(absl::MakeSpan(nonce));
  mtp::bind_auth_key_inner inner;
  inner.nonce = static_cast<int64_t>(base::LoadLe64(nonce.data()));
  inner.temp_auth_key_id = static_cast<int64_t>(temp_key.id());
  inner.perm_auth_key_id = static_cast<int64_t>(perm_key.id());
  inner.temp_session_id = params.temp_session_id;
  inner.expires_at = params.expires_at;
  const std::string body = internal::SerializeBoxed(inner);

  std::string plain(kRandomSize, '\0');
  random(absl::MakeSpan(reinterpret_cast<uint8_t*>(plain.data()), kRandomSize));
  tl::Writer w(&plain);
  w.I64(params.msg_id);
  w.I32(0);  // seqno
  w.I32(static_cast<int32_t>(body.size()));
  w.Raw(body);
  const crypto::MsgKey msg_key = crypto::ComputeMsgKeyV1(AsBytes(plain));
  const size_t unpadded = plain.size();
  plain.resize(unpadded + (16 - unpadded % 16) % 16);
  random(
      absl::MakeSpan(reinterpret_cast<uint8_t*>(plain.data()) + unpadded, plain.size() - unpadded));

  const crypto::MessageAesKey aes_key =
      crypto::DeriveMessageAesKeyV1(perm_key, crypto::Role::kClient, msg_key);
  TGRPC_ASSIGN_OR_RETURN(const crypto::AesIge aes, crypto::AesIge::Create(aes_key.key));
  std::string encrypted(kOuterHeaderSize + plain.size(), '\0');
  uint8_t* out = reinterpret_cast<uint8_t*>(encrypted.data());
  std::copy(perm_key.id_bytes().begin(), perm_key.id_bytes().end(), out);
  std::copy(msg_key.begin(), msg_key.end(), out + 8);
  TGRPC_RETURN_IF_ERROR(aes.Encrypt(aes_key.iv, AsBytes(plain),
                                    absl::MakeSpan(out + kOuterHeaderSize, plain.size())));
  OPENSSL_cleanse(plain.data(), plain.size());

  tl::api::auth_bindTempAuthKey request;
  request.perm_auth_key_id = inner.perm_auth_key_id;
  request.nonce = inner.nonce;
  request.expires_at = params.expires_at;
  request.encrypted_message = std::move(encrypted);
  return request;
}

absl::StatusOr<TempKeyBinding> VerifyBindTempAuthKey(const tl::api::auth_bindTempAuthKey& request,
                                                     const BindRequestContext& context,
                                                     const PermanentKeyLookup& lookup) {
  if (!context.key_is_temporary) {
    return BindError("TEMP_AUTH_KEY_EMPTY", "the request was not sent under a temporary key");
  }
  const uint64_t perm_id = static_cast<uint64_t>(request.perm_auth_key_id);
  if (context.bound_perm_auth_key_id.has_value() && *context.bound_perm_auth_key_id != perm_id) {
    return BindError("TEMP_AUTH_KEY_ALREADY_BOUND",
                     "the temporary key is bound to another permanent key");
  }
  const std::optional<crypto::AuthKey> perm_key = lookup ? lookup(perm_id) : std::nullopt;
  if (!perm_key.has_value()) {
    return InvalidMessage(absl::StrFormat("unknown perm_auth_key_id %016x", perm_id));
  }

  const absl::string_view message = request.encrypted_message;
  if (message.size() < kOuterHeaderSize + kPlainHeaderSize ||
      (message.size() - kOuterHeaderSize) % 16 != 0) {
    return InvalidMessage(absl::StrCat("encrypted_message of ", message.size(), " bytes"));
  }
  const crypto::AuthKey::Id& id_bytes = perm_key->id_bytes();
  if (CRYPTO_memcmp(message.data(), id_bytes.data(), id_bytes.size()) != 0) {
    return InvalidMessage("encrypted_message is not under perm_auth_key_id");
  }
  crypto::MsgKey msg_key;
  std::copy(message.begin() + 8, message.begin() + kOuterHeaderSize, msg_key.begin());
  const crypto::MessageAesKey aes_key =
      crypto::DeriveMessageAesKeyV1(*perm_key, crypto::Role::kClient, msg_key);
  TGRPC_ASSIGN_OR_RETURN(const crypto::AesIge aes, crypto::AesIge::Create(aes_key.key));
  std::vector<uint8_t> plain(message.size() - kOuterHeaderSize);
  TGRPC_RETURN_IF_ERROR(
      aes.Decrypt(aes_key.iv, AsBytes(message.substr(kOuterHeaderSize)), absl::MakeSpan(plain)));

  const absl::string_view plain_view = base::AsStringView(plain);
  tl::Reader r(plain_view);
  r.Raw(kRandomSize);
  const int64_t msg_id = r.I64();
  const int32_t seqno = r.I32();
  const uint32_t length = r.U32();
  if (!r.ok() || length % 4 != 0 || length > r.remaining() || r.remaining() - length >= 16) {
    return InvalidMessage("binding message length does not match its padding");
  }
  const crypto::MsgKey expected_key =
      crypto::ComputeMsgKeyV1(AsBytes(plain_view.substr(0, kPlainHeaderSize + length)));
  if (CRYPTO_memcmp(expected_key.data(), msg_key.data(), msg_key.size()) != 0) {
    return InvalidMessage("msg_key does not match");
  }
  tl::Reader body(plain_view.substr(kPlainHeaderSize, length));
  mtp::bind_auth_key_inner inner;
  if (body.U32() != mtp::bind_auth_key_inner::kId) {
    return InvalidMessage("the binding message is not bind_auth_key_inner");
  }
  inner.TlParse(body);
  if (!body.ok() || body.remaining() != 0) {
    return InvalidMessage("malformed bind_auth_key_inner");
  }

  if (msg_id != context.msg_id) {
    return InvalidMessage("msg_id differs from the request's msg_id");
  }
  if (seqno != 0) return InvalidMessage("seqno of the binding message is not 0");
  if (inner.nonce != request.nonce) return InvalidMessage("nonce does not match");
  if (inner.expires_at != request.expires_at) return InvalidMessage("expires_at does not match");
  if (static_cast<uint64_t>(inner.perm_auth_key_id) != perm_id) {
    return InvalidMessage("perm_auth_key_id does not match");
  }
  if (static_cast<uint64_t>(inner.temp_auth_key_id) != context.auth_key_id) {
    return InvalidMessage("temp_auth_key_id is not the key the request came under");
  }
  if (inner.temp_session_id != context.session_id) {
    return InvalidMessage("temp_session_id is not the session the request came in");
  }
  TempKeyBinding binding;
  binding.perm_auth_key_id = perm_id;
  binding.temp_auth_key_id = context.auth_key_id;
  binding.temp_session_id = context.session_id;
  binding.expires_at = request.expires_at;
  binding.nonce = request.nonce;
  return binding;
}

std::string BindErrorType(const absl::Status& status) {
  const auto type = status.GetPayload(kErrorTypeUrl);
  return type.has_value() ? std::string(*type) : std::string();
}

}  // namespace tgrpc::mtproto::handshake
