#include "mtproto/handshake/client_handshake.h"

#include <openssl/crypto.h>

#include <array>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "mtproto/crypto/pq.h"
#include "mtproto/crypto/rsa_pad.h"
#include "mtproto/crypto/sha.h"
#include "mtproto/handshake/wire.h"
#include "tl/generated/mtp.h"
#include "tl/runtime/object.h"

namespace tgrpc::mtproto::handshake {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
using base::AsBytes;
using base::AsString;
using internal::ConstantTimeEqual;
using internal::SerializeBoxed;

// A fresh b gives a g_b outside the safe range with probability about 2^-63; running out of
// attempts means a broken random source.
constexpr int kMaxSecretAttempts = 8;

absl::Status Malformed(absl::string_view what, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", status.message()));
}

template <class T>
absl::Status CheckNonces(const T& answer, const crypto::Int128& nonce,
                         const crypto::Int128& server_nonce) {
  if (answer.nonce != nonce) {
    return absl::InvalidArgumentError(absl::StrCat(T::kName, ": nonce does not match"));
  }
  if (answer.server_nonce != server_nonce) {
    return absl::InvalidArgumentError(absl::StrCat(T::kName, ": server_nonce does not match"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ClientHandshake> ClientHandshake::Create(ClientHandshakeOptions options) {
  if (options.server_keys.empty()) {
    return absl::InvalidArgumentError("no server RSA public key to encrypt to");
  }
  for (const crypto::RsaPublicKey& key : options.server_keys) {
    if (key.modulus_size() != crypto::kRsaEncryptedSize) {
      return absl::InvalidArgumentError(
          absl::StrFormat("server key %016x is not a 2048-bit RSA key", key.fingerprint()));
    }
  }
  if (IsTemporary(options.inner_data) && options.expires_in <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(InnerDataKindName(options.inner_data), " needs expires_in > 0"));
  }
  if (options.max_dh_retries < 0) {
    return absl::InvalidArgumentError("max_dh_retries must not be negative");
  }
  if (!options.random) options.random = crypto::SecureRandom();
  if (!options.clock) options.clock = base::SystemClock();
  return ClientHandshake(std::move(options));
}

ClientHandshake::ClientHandshake(ClientHandshakeOptions options)
    : options_(std::move(options)), envelope_(crypto::Role::kClient, options_.clock) {}

absl::StatusOr<std::string> ClientHandshake::Start() {
  if (state_ != State::kIdle) return absl::FailedPreconditionError("handshake already started");
  options_.random(absl::MakeSpan(nonce_));
  state_ = State::kWaitResPq;
  if (options_.legacy_req_pq) {
    mtp::req_pq request;
    request.nonce = nonce_;
    return envelope_.Seal(SerializeBoxed(request));
  }
  mtp::req_pq_multi request;
  request.nonce = nonce_;
  return envelope_.Seal(SerializeBoxed(request));
}

absl::StatusOr<std::string> ClientHandshake::HandleMessage(absl::string_view message) {
  switch (state_) {
    case State::kIdle:
      return absl::FailedPreconditionError("handshake not started");
    case State::kDone:
      return absl::FailedPreconditionError("handshake already finished");
    case State::kFailed:
      return absl::FailedPreconditionError("handshake failed earlier");
    default:
      break;
  }
  absl::StatusOr<std::string> out = [&]() -> absl::StatusOr<std::string> {
    TGRPC_ASSIGN_OR_RETURN(const absl::string_view body, envelope_.Open(message));
    return Step(body);
  }();
  if (!out.ok()) state_ = State::kFailed;
  return out;
}

absl::StatusOr<std::string> ClientHandshake::Step(absl::string_view body) {
  switch (state_) {
    case State::kWaitResPq:
      return OnResPq(body);
    case State::kWaitDhParams:
      return OnServerDhParams(body);
    case State::kWaitDhGen:
      return OnDhGenAnswer(body);
    default:
      return absl::InternalError("no step in this state");
  }
}

absl::StatusOr<std::string> ClientHandshake::OnResPq(absl::string_view body) {
  absl::StatusOr<tl::Ptr<mtp::ResPQ>> decoded = tl::Decode<mtp::ResPQ>(body);
  if (!decoded.ok()) return Malformed("expected resPQ", decoded.status());
  const auto& res_pq = static_cast<const mtp::resPQ&>(**decoded);
  if (res_pq.nonce != nonce_) return absl::InvalidArgumentError("resPQ: nonce does not match");
  server_nonce_ = res_pq.server_nonce;

  const crypto::RsaPublicKey* key = nullptr;
  for (int64_t fingerprint : res_pq.server_public_key_fingerprints) {
    for (const crypto::RsaPublicKey& candidate : options_.server_keys) {
      if (candidate.fingerprint() == static_cast<uint64_t>(fingerprint)) key = &candidate;
    }
    if (key != nullptr) break;
  }
  if (key == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("resPQ: none of the server's ",
                                                      res_pq.server_public_key_fingerprints.size(),
                                                      " RSA key fingerprints is a known key"));
  }

  absl::StatusOr<uint64_t> pq = crypto::BigEndianToUint64(AsBytes(res_pq.pq));
  if (!pq.ok()) return Malformed("resPQ.pq", pq.status());
  absl::StatusOr<crypto::PqFactors> factors = crypto::FactorizePq(*pq);
  if (!factors.ok()) return Malformed("resPQ.pq", factors.status());

  options_.random(absl::MakeSpan(new_nonce_));
  PqInnerData inner;
  inner.kind = options_.inner_data;
  inner.pq = *pq;
  inner.p = factors->p;
  inner.q = factors->q;
  inner.nonce = nonce_;
  inner.server_nonce = server_nonce_;
  inner.new_nonce = new_nonce_;
  inner.dc = options_.dc_id;
  inner.expires_in = options_.expires_in;
  const std::string data = SerializeInnerData(inner);

  crypto::RsaEncrypted encrypted;
  if (options_.rsa_scheme == RsaScheme::kRsaPad) {
    TGRPC_ASSIGN_OR_RETURN(encrypted, crypto::RsaPadEncrypt(*key, AsBytes(data), options_.random));
  } else {
    TGRPC_ASSIGN_OR_RETURN(encrypted,
                           crypto::RsaLegacyEncrypt(*key, AsBytes(data), options_.random));
  }

  mtp::req_DH_params request;
  request.nonce = nonce_;
  request.server_nonce = server_nonce_;
  const std::vector<uint8_t> p = crypto::Uint64ToBigEndian(factors->p);
  const std::vector<uint8_t> q = crypto::Uint64ToBigEndian(factors->q);
  request.p.assign(p.begin(), p.end());
  request.q.assign(q.begin(), q.end());
  request.public_key_fingerprint = static_cast<int64_t>(key->fingerprint());
  request.encrypted_data = AsString(encrypted);
  state_ = State::kWaitDhParams;
  return envelope_.Seal(SerializeBoxed(request));
}

absl::StatusOr<std::string> ClientHandshake::OnServerDhParams(absl::string_view body) {
  absl::StatusOr<tl::Ptr<mtp::Server_DH_Params>> decoded = tl::Decode<mtp::Server_DH_Params>(body);
  if (!decoded.ok()) return Malformed("expected Server_DH_Params", decoded.status());
  if ((*decoded)->tl_id() == mtp::server_DH_params_fail::kId) {
    const auto& fail = static_cast<const mtp::server_DH_params_fail&>(**decoded);
    TGRPC_RETURN_IF_ERROR(CheckNonces(fail, nonce_, server_nonce_));
    const crypto::Sha1Digest hash = crypto::Sha1(new_nonce_);
    if (CRYPTO_memcmp(hash.data() + 4, fail.new_nonce_hash.data(), 16) != 0) {
      return absl::InvalidArgumentError("server_DH_params_fail: new_nonce_hash does not match");
    }
    return absl::AbortedError("server answered server_DH_params_fail");
  }
  const auto& ok = static_cast<const mtp::server_DH_params_ok&>(**decoded);
  TGRPC_RETURN_IF_ERROR(CheckNonces(ok, nonce_, server_nonce_));

  tmp_aes_key_ = crypto::DeriveTmpAesKey(new_nonce_, server_nonce_);
  absl::StatusOr<std::vector<uint8_t>> answer =
      crypto::DecryptWithSha1(tmp_aes_key_, AsBytes(ok.encrypted_answer));
  if (!answer.ok()) return Malformed("server_DH_params_ok.encrypted_answer", answer.status());
  absl::StatusOr<tl::Ptr<mtp::Server_DH_inner_data>> inner_decoded =
      tl::Decode<mtp::Server_DH_inner_data>(base::AsStringView(*answer));
  if (!inner_decoded.ok())
    return Malformed("expected server_DH_inner_data", inner_decoded.status());
  const auto& inner = static_cast<const mtp::server_DH_inner_data&>(**inner_decoded);
  TGRPC_RETURN_IF_ERROR(CheckNonces(inner, nonce_, server_nonce_));

  absl::StatusOr<crypto::DhGroup> group = crypto::DhGroup::Create(inner.g, AsBytes(inner.dh_prime));
  if (!group.ok()) return Malformed("server_DH_inner_data", group.status());
  dh_group_ = *group;
  TGRPC_ASSIGN_OR_RETURN(g_a_, internal::ToDhValue(inner.g_a, "g_a"));
  if (absl::Status status = crypto::CheckDhPublicValue(g_a_, dh_group_->prime()); !status.ok()) {
    return Malformed("server_DH_inner_data.g_a", status);
  }
  server_time_ = inner.server_time;
  server_time_offset_ = server_time_ - absl::ToUnixSeconds(options_.clock());
  retry_id_ = 0;
  return SendClientDhParams();
}

absl::StatusOr<std::string> ClientHandshake::SendClientDhParams() {
  std::array<uint8_t, crypto::kDhSize> b;
  absl::StatusOr<crypto::DhValue> g_b = absl::InternalError("no secret drawn");
  for (int attempt = 0; attempt < kMaxSecretAttempts; ++attempt) {
    options_.random(absl::MakeSpan(b));
    g_b = dh_group_->PublicValue(b);
    if (g_b.status().code() != absl::StatusCode::kFailedPrecondition) break;
  }
  if (!g_b.ok()) {
    OPENSSL_cleanse(b.data(), b.size());
    return g_b.status();
  }
  absl::StatusOr<crypto::DhValue> key = dh_group_->SharedKey(g_a_, b);
  OPENSSL_cleanse(b.data(), b.size());
  if (!key.ok()) return key.status();
  auth_key_.emplace(*key);
  OPENSSL_cleanse(key->data(), key->size());

  mtp::client_DH_inner_data inner;
  inner.nonce = nonce_;
  inner.server_nonce = server_nonce_;
  inner.retry_id = retry_id_;
  inner.g_b = AsString(*g_b);
  TGRPC_ASSIGN_OR_RETURN(
      std::vector<uint8_t> encrypted,
      crypto::EncryptWithSha1(tmp_aes_key_, AsBytes(SerializeBoxed(inner)), options_.random));

  mtp::set_client_DH_params request;
  request.nonce = nonce_;
  request.server_nonce = server_nonce_;
  request.encrypted_data.assign(encrypted.begin(), encrypted.end());
  state_ = State::kWaitDhGen;
  return envelope_.Seal(SerializeBoxed(request));
}

absl::StatusOr<std::string> ClientHandshake::OnDhGenAnswer(absl::string_view body) {
  absl::StatusOr<tl::Ptr<mtp::Set_client_DH_params_answer>> decoded =
      tl::Decode<mtp::Set_client_DH_params_answer>(body);
  if (!decoded.ok()) return Malformed("expected Set_client_DH_params_answer", decoded.status());
  const crypto::AuthKey::Id& aux_hash = auth_key_->aux_hash();
  switch ((*decoded)->tl_id()) {
    case mtp::dh_gen_ok::kId: {
      const auto& answer = static_cast<const mtp::dh_gen_ok&>(**decoded);
      TGRPC_RETURN_IF_ERROR(CheckNonces(answer, nonce_, server_nonce_));
      if (!ConstantTimeEqual(answer.new_nonce_hash1,
                             crypto::NewNonceHash(new_nonce_, 1, aux_hash))) {
        return absl::InvalidArgumentError("dh_gen_ok: new_nonce_hash1 does not match");
      }
      ClientHandshakeResult result{.auth_key = *auth_key_};
      result.first_server_salt = static_cast<int64_t>(
          base::LoadLe64(crypto::InitialServerSalt(new_nonce_, server_nonce_).data()));
      result.server_time_offset = server_time_offset_;
      result.temporary = IsTemporary(options_.inner_data);
      if (result.temporary) {
        result.expires_in = options_.expires_in;
        result.expires_at = server_time_ + options_.expires_in;
      }
      result.dh_retries = retries_;
      result_.emplace(std::move(result));
      state_ = State::kDone;
      return std::string();
    }
    case mtp::dh_gen_retry::kId: {
      const auto& answer = static_cast<const mtp::dh_gen_retry&>(**decoded);
      TGRPC_RETURN_IF_ERROR(CheckNonces(answer, nonce_, server_nonce_));
      if (!ConstantTimeEqual(answer.new_nonce_hash2,
                             crypto::NewNonceHash(new_nonce_, 2, aux_hash))) {
        return absl::InvalidArgumentError("dh_gen_retry: new_nonce_hash2 does not match");
      }
      if (retries_ >= options_.max_dh_retries) {
        return absl::ResourceExhaustedError(
            absl::StrCat("dh_gen_retry after ", retries_, " retries; giving up"));
      }
      ++retries_;
      retry_id_ = static_cast<int64_t>(base::LoadLe64(aux_hash.data()));
      return SendClientDhParams();
    }
    default: {
      const auto& answer = static_cast<const mtp::dh_gen_fail&>(**decoded);
      TGRPC_RETURN_IF_ERROR(CheckNonces(answer, nonce_, server_nonce_));
      if (!ConstantTimeEqual(answer.new_nonce_hash3,
                             crypto::NewNonceHash(new_nonce_, 3, aux_hash))) {
        return absl::InvalidArgumentError("dh_gen_fail: new_nonce_hash3 does not match");
      }
      return absl::AbortedError("server answered dh_gen_fail");
    }
  }
}

}  // namespace tgrpc::mtproto::handshake
