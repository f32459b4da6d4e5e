#include "mtproto/handshake/server_handshake.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/bytes.h"
#include "base/status_macros.h"
#include "mtproto/crypto/pq.h"
#include "mtproto/crypto/rsa_pad.h"
#include "mtproto/handshake/wire.h"
#include "tl/generated/mtp.h"
#include "tl/runtime/object.h"

namespace tgrpc::mtproto::handshake {
namespace {

namespace mtp = ::tgrpc::tl::mtp;
using base::AsBytes;
using base::AsString;
using internal::SerializeBoxed;

// Primes in [2^30, 2^31) are about 1 in 21 odd numbers, and g^a leaves the safe range with
// probability about 2^-63: running out of attempts means a broken random source.
constexpr int kMaxPrimeAttempts = 4096;
constexpr int kMaxSecretAttempts = 8;

absl::StatusOr<uint64_t> RandomPrime31(const crypto::RandomSource& random) {
  for (int attempt = 0; attempt < kMaxPrimeAttempts; ++attempt) {
    std::array<uint8_t, 4> bytes;
    random(absl::MakeSpan(bytes));
    uint64_t candidate = 0;
    for (uint8_t b : bytes) candidate = candidate << 8 | b;
    // Odd, in [2^30, 2^31): p * q then has 61 or 62 bits, as Telegram's do.
    candidate = (candidate & 0x3fffffff) | uint64_t{1} << 30 | 1;
    if (crypto::IsPrime64(candidate)) return candidate;
  }
  return absl::InternalError("no prime found for pq: broken random source?");
}

// A whole message body as one function of type T (its id already known to match).
template <class T>
absl::StatusOr<T> ParseFunction(absl::string_view body) {
  tl::Reader r(body);
  r.U32();
  T function;
  function.TlParse(r);
  if (r.ok() && r.remaining() != 0) r.Fail("trailing bytes");
  if (!r.ok())
    return absl::InvalidArgumentError(absl::StrCat(T::kName, ": ", r.status().message()));
  return function;
}

template <class T>
absl::Status CheckNonces(const T& message, const crypto::Int128& nonce,
                         const crypto::Int128& server_nonce, absl::string_view where) {
  if (message.nonce != nonce) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": nonce does not match"));
  }
  if (message.server_nonce != server_nonce) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": server_nonce does not match"));
  }
  return absl::OkStatus();
}

absl::Status CheckNumber(absl::string_view bytes, uint64_t expected, absl::string_view what) {
  absl::StatusOr<uint64_t> value = crypto::BigEndianToUint64(AsBytes(bytes));
  if (!value.ok() || *value != expected) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not the one sent in resPQ"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ServerHandshake> ServerHandshake::Create(
    std::shared_ptr<const ServerHandshakeConfig> config) {
  if (config == nullptr || config->rsa_keys.empty()) {
    return absl::InvalidArgumentError("the server needs at least one RSA key");
  }
  for (const crypto::RsaPrivateKey& key : config->rsa_keys) {
    if (key.public_key().modulus_size() != crypto::kRsaEncryptedSize) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "server key %016x is not a 2048-bit RSA key", key.public_key().fingerprint()));
    }
  }
  if (config->max_dh_retries < 0) {
    return absl::InvalidArgumentError("max_dh_retries must not be negative");
  }
  TGRPC_ASSIGN_OR_RETURN(crypto::DhGroup group,
                         crypto::DhGroup::Create(config->dh_g, crypto::TelegramDhPrime()));
  return ServerHandshake(std::move(config), group);
}

ServerHandshake::ServerHandshake(std::shared_ptr<const ServerHandshakeConfig> config,
                                 crypto::DhGroup group)
    : config_(std::move(config)),
      group_(group),
      random_(config_->random ? config_->random : crypto::SecureRandom()),
      clock_(config_->clock ? config_->clock : base::SystemClock()),
      envelope_(crypto::Role::kServer, clock_) {}

ServerHandshake::~ServerHandshake() { OPENSSL_cleanse(a_.data(), a_.size()); }

absl::StatusOr<std::string> ServerHandshake::HandleMessage(absl::string_view message) {
  if (state_ == State::kDone) {
    return absl::FailedPreconditionError(
        "handshake already finished; a new exchange needs a new ServerHandshake");
  }
  if (state_ == State::kFailed) return absl::FailedPreconditionError("handshake failed earlier");
  absl::StatusOr<std::string> out = [&]() -> absl::StatusOr<std::string> {
    TGRPC_ASSIGN_OR_RETURN(const absl::string_view body, envelope_.Open(message));
    return Step(body);
  }();
  if (!out.ok()) {
    state_ = State::kFailed;
    status_ = out.status();
  }
  return out;
}

absl::StatusOr<std::string> ServerHandshake::Step(absl::string_view body) {
  tl::Reader r(body);
  const uint32_t id = r.U32();
  if (!r.ok()) return absl::InvalidArgumentError("empty message body");
  const State expected = id == mtp::req_pq_multi::kId || id == mtp::req_pq::kId ? State::kWaitReqPq
                         : id == mtp::req_DH_params::kId        ? State::kWaitReqDhParams
                         : id == mtp::set_client_DH_params::kId ? State::kWaitClientDhParams
                                                                : State::kFailed;
  if (expected == State::kFailed) {
    return absl::InvalidArgumentError(absl::StrFormat("0x%08x is not a handshake function", id));
  }
  if (expected != state_) {
    return absl::FailedPreconditionError(
        absl::StrFormat("handshake function 0x%08x out of order", id));
  }
  switch (id) {
    case mtp::req_pq_multi::kId: {
      TGRPC_ASSIGN_OR_RETURN(const mtp::req_pq_multi request,
                             ParseFunction<mtp::req_pq_multi>(body));
      return OnReqPq(request.nonce, /*legacy=*/false);
    }
    case mtp::req_pq::kId: {
      TGRPC_ASSIGN_OR_RETURN(const mtp::req_pq request, ParseFunction<mtp::req_pq>(body));
      return OnReqPq(request.nonce, /*legacy=*/true);
    }
    case mtp::req_DH_params::kId:
      return OnReqDhParams(body);
    default:
      return OnSetClientDhParams(body);
  }
}

absl::StatusOr<std::string> ServerHandshake::OnReqPq(const crypto::Int128& nonce, bool legacy) {
  const crypto::RandomSource& random = random_;
  nonce_ = nonce;
  legacy_req_pq_ = legacy;
  random(absl::MakeSpan(server_nonce_));
  TGRPC_ASSIGN_OR_RETURN(p_, RandomPrime31(random));
  TGRPC_ASSIGN_OR_RETURN(q_, RandomPrime31(random));
  for (int attempt = 0; q_ == p_; ++attempt) {
    if (attempt == kMaxPrimeAttempts) {
      return absl::InternalError("no second prime for pq: broken random source?");
    }
    TGRPC_ASSIGN_OR_RETURN(q_, RandomPrime31(random));
  }
  if (p_ > q_) std::swap(p_, q_);
  pq_ = p_ * q_;

  mtp::resPQ answer;
  answer.nonce = nonce_;
  answer.server_nonce = server_nonce_;
  const std::vector<uint8_t> pq = crypto::Uint64ToBigEndian(pq_);
  answer.pq.assign(pq.begin(), pq.end());
  for (const crypto::RsaPrivateKey& key : config_->rsa_keys) {
    answer.server_public_key_fingerprints.push_back(
        static_cast<int64_t>(key.public_key().fingerprint()));
  }
  state_ = State::kWaitReqDhParams;
  return Seal(SerializeBoxed(answer));
}

absl::StatusOr<PqInnerData> ServerHandshake::DecryptInnerData(const crypto::RsaPrivateKey& key,
                                                              absl::string_view encrypted) {
  // Clients that drop leading zero bytes of the RSA output send fewer than 256 bytes.
  if (encrypted.empty() || encrypted.size() > crypto::kRsaEncryptedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("req_DH_params.encrypted_data is ", encrypted.size(), " bytes, not 256"));
  }
  crypto::RsaEncrypted block{};
  std::copy(encrypted.begin(), encrypted.end(), block.end() - encrypted.size());

  absl::StatusOr<std::array<uint8_t, crypto::kRsaPadPaddedSize>> padded =
      crypto::RsaPadDecrypt(key, block);
  if (padded.ok()) {
    rsa_scheme_ = RsaScheme::kRsaPad;
    absl::StatusOr<ParsedInnerData> parsed = ParseInnerData(base::AsStringView(*padded));
    if (!parsed.ok()) return parsed.status();
    return parsed->data;
  }
  if (!config_->accept_legacy_rsa) {
    return absl::InvalidArgumentError(
        absl::StrCat("req_DH_params.encrypted_data: ", padded.status().message()));
  }
  absl::StatusOr<crypto::RsaLegacyPayload> legacy = crypto::RsaLegacyDecrypt(key, block);
  if (!legacy.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("req_DH_params.encrypted_data is neither RSA_PAD (", padded.status().message(),
                     ") nor legacy RSA (", legacy.status().message(), ")"));
  }
  const absl::Span<const uint8_t> data = legacy->data_with_padding();
  absl::StatusOr<ParsedInnerData> parsed = ParseInnerData(base::AsStringView(data));
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("req_DH_params.encrypted_data is neither RSA_PAD (", padded.status().message(),
                     ") nor legacy RSA (", parsed.status().message(), ")"));
  }
  if (absl::StatusOr<absl::Span<const uint8_t>> checked = legacy->Data(parsed->size);
      !checked.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("req_DH_params.encrypted_data is neither RSA_PAD (", padded.status().message(),
                     ") nor legacy RSA (", checked.status().message(), ")"));
  }
  rsa_scheme_ = RsaScheme::kLegacy;
  return parsed->data;
}

absl::StatusOr<std::string> ServerHandshake::OnReqDhParams(absl::string_view body) {
  TGRPC_ASSIGN_OR_RETURN(const mtp::req_DH_params request, ParseFunction<mtp::req_DH_params>(body));
  TGRPC_RETURN_IF_ERROR(CheckNonces(request, nonce_, server_nonce_, "req_DH_params"));
  TGRPC_RETURN_IF_ERROR(CheckNumber(request.p, p_, "req_DH_params.p"));
  TGRPC_RETURN_IF_ERROR(CheckNumber(request.q, q_, "req_DH_params.q"));
  const crypto::RsaPrivateKey* key = nullptr;
  for (const crypto::RsaPrivateKey& candidate : config_->rsa_keys) {
    if (candidate.public_key().fingerprint() ==
        static_cast<uint64_t>(request.public_key_fingerprint)) {
      key = &candidate;
    }
  }
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("req_DH_params: unknown public_key_fingerprint %016x",
                        static_cast<uint64_t>(request.public_key_fingerprint)));
  }

  TGRPC_ASSIGN_OR_RETURN(inner_, DecryptInnerData(*key, request.encrypted_data));
  const absl::string_view kind = InnerDataKindName(inner_.kind);
  TGRPC_RETURN_IF_ERROR(CheckNonces(inner_, nonce_, server_nonce_, kind));
  if (inner_.pq != pq_ || inner_.p != p_ || inner_.q != q_) {
    return absl::InvalidArgumentError(absl::StrCat(kind, ": pq, p or q does not match"));
  }
  if (IsTemporary(inner_.kind) && inner_.expires_in <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(kind, ": expires_in ", inner_.expires_in, " is not positive"));
  }

  const crypto::RandomSource& random = random_;
  absl::StatusOr<crypto::DhValue> g_a = absl::InternalError("no secret drawn");
  for (int attempt = 0; attempt < kMaxSecretAttempts; ++attempt) {
    random(absl::MakeSpan(a_));
    g_a = group_.PublicValue(a_);
    if (g_a.status().code() != absl::StatusCode::kFailedPrecondition) break;
  }
  if (!g_a.ok()) return g_a.status();
  server_time_ = absl::ToUnixSeconds(clock_());

  mtp::server_DH_inner_data inner;
  inner.nonce = nonce_;
  inner.server_nonce = server_nonce_;
  inner.g = group_.g();
  inner.dh_prime = AsString(group_.prime());
  inner.g_a = AsString(*g_a);
  inner.server_time = static_cast<int32_t>(server_time_);
  tmp_aes_key_ = crypto::DeriveTmpAesKey(inner_.new_nonce, server_nonce_);
  TGRPC_ASSIGN_OR_RETURN(
      const std::vector<uint8_t> encrypted,
      crypto::EncryptWithSha1(tmp_aes_key_, AsBytes(SerializeBoxed(inner)), random));

  mtp::server_DH_params_ok answer;
  answer.nonce = nonce_;
  answer.server_nonce = server_nonce_;
  answer.encrypted_answer.assign(encrypted.begin(), encrypted.end());
  state_ = State::kWaitClientDhParams;
  return Seal(SerializeBoxed(answer));
}

absl::StatusOr<std::string> ServerHandshake::OnSetClientDhParams(absl::string_view body) {
  TGRPC_ASSIGN_OR_RETURN(const mtp::set_client_DH_params request,
                         ParseFunction<mtp::set_client_DH_params>(body));
  TGRPC_RETURN_IF_ERROR(CheckNonces(request, nonce_, server_nonce_, "set_client_DH_params"));
  absl::StatusOr<std::vector<uint8_t>> data =
      crypto::DecryptWithSha1(tmp_aes_key_, AsBytes(request.encrypted_data));
  if (!data.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("set_client_DH_params.encrypted_data: ", data.status().message()));
  }
  absl::StatusOr<tl::Ptr<mtp::Client_DH_Inner_Data>> decoded =
      tl::Decode<mtp::Client_DH_Inner_Data>(base::AsStringView(*data));
  if (!decoded.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected client_DH_inner_data: ", decoded.status().message()));
  }
  const auto& inner = static_cast<const mtp::client_DH_inner_data&>(**decoded);
  TGRPC_RETURN_IF_ERROR(CheckNonces(inner, nonce_, server_nonce_, "client_DH_inner_data"));
  TGRPC_ASSIGN_OR_RETURN(const crypto::DhValue g_b, internal::ToDhValue(inner.g_b, "g_b"));
  absl::StatusOr<crypto::DhValue> shared = group_.SharedKey(g_b, a_);
  if (!shared.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("client_DH_inner_data.g_b: ", shared.status().message()));
  }
  const crypto::AuthKey auth_key(*shared);
  OPENSSL_cleanse(shared->data(), shared->size());
  const crypto::AuthKey::Id& aux_hash = auth_key.aux_hash();

  auto fail = [&](absl::Status why) {
    mtp::dh_gen_fail answer;
    answer.nonce = nonce_;
    answer.server_nonce = server_nonce_;
    answer.new_nonce_hash3 = crypto::NewNonceHash(inner_.new_nonce, 3, aux_hash);
    state_ = State::kFailed;
    status_ = std::move(why);
    return Seal(SerializeBoxed(answer));
  };
  if (inner.retry_id != expected_retry_id_) {
    return fail(absl::InvalidArgumentError(absl::StrFormat(
        "client_DH_inner_data.retry_id %016x, expected %016x",
        static_cast<uint64_t>(inner.retry_id), static_cast<uint64_t>(expected_retry_id_))));
  }
  if (config_->auth_key_id_in_use && config_->auth_key_id_in_use(auth_key.id())) {
    if (retries_ >= config_->max_dh_retries) {
      return fail(absl::ResourceExhaustedError(
          absl::StrCat("auth_key_id still in use after ", retries_, " dh_gen_retry answers")));
    }
    ++retries_;
    expected_retry_id_ = static_cast<int64_t>(base::LoadLe64(aux_hash.data()));
    mtp::dh_gen_retry answer;
    answer.nonce = nonce_;
    answer.server_nonce = server_nonce_;
    answer.new_nonce_hash2 = crypto::NewNonceHash(inner_.new_nonce, 2, aux_hash);
    return Seal(SerializeBoxed(answer));
  }

  mtp::dh_gen_ok answer;
  answer.nonce = nonce_;
  answer.server_nonce = server_nonce_;
  answer.new_nonce_hash1 = crypto::NewNonceHash(inner_.new_nonce, 1, aux_hash);

  ServerHandshakeResult result{.auth_key = auth_key};
  result.first_server_salt = static_cast<int64_t>(
      base::LoadLe64(crypto::InitialServerSalt(inner_.new_nonce, server_nonce_).data()));
  result.inner_data = inner_.kind;
  result.rsa_scheme = rsa_scheme_;
  result.legacy_req_pq = legacy_req_pq_;
  if (HasDc(inner_.kind)) result.dc_id = inner_.dc;
  result.temporary = IsTemporary(inner_.kind);
  if (result.temporary) {
    result.expires_in = inner_.expires_in;
    result.expires_at = server_time_ + inner_.expires_in;
  }
  result.dh_retries = retries_;
  result_.emplace(std::move(result));
  state_ = State::kDone;
  OPENSSL_cleanse(a_.data(), a_.size());
  return Seal(SerializeBoxed(answer));
}

}  // namespace tgrpc::mtproto::handshake
