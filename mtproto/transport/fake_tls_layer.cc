#include "mtproto/transport/fake_tls_layer.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "base/status_macros.h"

namespace tgrpc::mtproto::transport {
namespace {

constexpr uint8_t kChangeCipherSpec = 0x14;
constexpr uint8_t kAlert = 0x15;
constexpr uint8_t kHandshake = 0x16;
constexpr uint8_t kApplicationData = 0x17;
constexpr uint8_t kClientHelloType = 0x01;
constexpr uint8_t kServerHelloType = 0x02;

// In the ClientHello record, and in the server's answer alike: 5 bytes of record header, 4 of
// handshake header, 2 of version, then the random; then (ClientHello) the session id.
constexpr size_t kHandshakeHeaderSize = 4;
constexpr size_t kRandomOffset = kTlsRecordHeaderSize + kHandshakeHeaderSize + 2;
constexpr size_t kRandomSize = 32;
constexpr size_t kSessionIdOffset = kRandomOffset + kRandomSize;
constexpr size_t kMaxSessionIdSize = 32;
// The last 4 bytes of the client random are the HMAC's XORed with the client's time.
constexpr size_t kTimestampOffset = 28;

// The answer's ApplicationData record stands in for the encrypted certificate chain: random
// bytes of a random length in this range, as a real chain varies.
constexpr size_t kMinFakeCertificate = 1024;
constexpr size_t kFakeCertificateSpread = 3072;

constexpr size_t kX25519KeySize = 32;
constexpr uint16_t kTlsAes128GcmSha256 = 0x1301;
constexpr uint16_t kKeyShareExtension = 0x0033;
constexpr uint16_t kSupportedVersionsExtension = 0x002b;
constexpr uint16_t kX25519Group = 0x001d;

uint16_t Load16(absl::string_view bytes, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(bytes[at]) << 8 |
                               static_cast<uint8_t>(bytes[at + 1]));
}

uint32_t Load24(absl::string_view bytes, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(bytes[at])) << 16 | Load16(bytes, at + 1);
}

void Append16(std::string& out, size_t v) {
  out.push_back(static_cast<char>(v >> 8 & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void Append24(std::string& out, size_t v) {
  out.push_back(static_cast<char>(v >> 16 & 0xff));
  Append16(out, v);
}

void AppendRecordHeader(std::string& out, uint8_t type, size_t length) {
  out.push_back(static_cast<char>(type));
  out.append("\x03\x03", 2);
  Append16(out, length);
}

std::array<uint8_t, 32> HmacSha256(absl::string_view key, absl::string_view data) {
  std::array<uint8_t, 32> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const uint8_t*>(data.data()), data.size(), mac.data(), &size);
  return mac;
}

// A real X25519 public key (of a random private one, thrown away): a key share of random bytes
// would not always be a curve point, which a watcher could tell.
absl::StatusOr<std::string> X25519PublicKey(const crypto::RandomSource& random) {
  std::array<uint8_t, kX25519KeySize> private_key{};
  random(absl::MakeSpan(private_key));
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(),
                                   private_key.size()),
      EVP_PKEY_free);
  std::string public_key(kX25519KeySize, '\0');
  size_t size = public_key.size();
  if (key == nullptr ||
      EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<uint8_t*>(public_key.data()),
                                  &size) != 1 ||
      size != kX25519KeySize) {
    return absl::InternalError("cannot make an X25519 key share");
  }
  return public_key;
}

}  // namespace

ClientHelloProbe ProbeClientHello(absl::string_view first_bytes) {
  static constexpr absl::string_view kStart("\x16\x03\x01", 3);
  const size_t known = std::min(first_bytes.size(), kStart.size());
  if (first_bytes.substr(0, known) != kStart.substr(0, known)) {
    return ClientHelloProbe::kNotClientHello;
  }
  if (first_bytes.size() < kTlsRecordHeaderSize + kHandshakeHeaderSize) {
    return ClientHelloProbe::kNeedMore;
  }
  const size_t record_size = Load16(first_bytes, 3);
  if (static_cast<uint8_t>(first_bytes[5]) != kClientHelloType ||
      record_size < kHandshakeHeaderSize ||
      Load24(first_bytes, 6) != record_size - kHandshakeHeaderSize) {
    return ClientHelloProbe::kNotClientHello;
  }
  return ClientHelloProbe::kClientHello;
}

FakeTlsLayer::FakeTlsLayer(FakeTlsOptions options) : options_(std::move(options)) {
  options_.max_server_record =
      std::clamp<size_t>(options_.max_server_record, 1, kTlsMaxPlaintextRecord);
}

absl::Status FakeTlsLayer::Unwrap(absl::string_view in, std::string& stream, std::string& reply) {
  if (!secret_index_.has_value()) {
    // The record header, then as much of the record as its header says.
    size_t want = kTlsRecordHeaderSize;
    if (hello_.size() >= kTlsRecordHeaderSize) want += Load16(hello_, 3);
    while (hello_.size() < want && !in.empty()) {
      const size_t take = std::min(want - hello_.size(), in.size());
      hello_.append(in.data(), take);
      in.remove_prefix(take);
      if (hello_.size() == kTlsRecordHeaderSize) {
        if (absl::string_view(hello_).substr(0, 3) != absl::string_view("\x16\x03\x01", 3)) {
          return absl::InvalidArgumentError("fake-TLS: the first record is not a TLS handshake");
        }
        const size_t length = Load16(hello_, 3);
        if (length > kTlsMaxPlaintextRecord) {
          return absl::ResourceExhaustedError(
              absl::StrCat("fake-TLS: a ClientHello record of ", length, " bytes"));
        }
        want += length;
      }
    }
    if (hello_.size() < want) return absl::OkStatus();
    TGRPC_RETURN_IF_ERROR(AcceptClientHello(reply));
  }
  return UnwrapRecords(in, stream);
}

absl::Status FakeTlsLayer::AcceptClientHello(std::string& reply) {
  const absl::string_view record = hello_;
  if (record.size() < kSessionIdOffset + 1 ||
      static_cast<uint8_t>(record[kTlsRecordHeaderSize]) != kClientHelloType ||
      Load24(record, kTlsRecordHeaderSize + 1) !=
          record.size() - kTlsRecordHeaderSize - kHandshakeHeaderSize) {
    return absl::InvalidArgumentError("fake-TLS: the first record is not a ClientHello");
  }
  const size_t session_id_size = static_cast<uint8_t>(record[kSessionIdOffset]);
  if (session_id_size > kMaxSessionIdSize ||
      record.size() < kSessionIdOffset + 1 + session_id_size) {
    return absl::InvalidArgumentError("fake-TLS: a ClientHello with a bad session id");
  }
  const absl::string_view client_random = record.substr(kRandomOffset, kRandomSize);
  std::string zeroed(record);
  std::fill_n(zeroed.begin() + kRandomOffset, kRandomSize, '\0');

  const int64_t now = absl::ToUnixSeconds(options_.clock());
  for (size_t i = 0; i < options_.secrets.size(); ++i) {
    const std::array<uint8_t, 32> mac = HmacSha256(options_.secrets[i], zeroed);
    if (CRYPTO_memcmp(mac.data(), client_random.data(), kTimestampOffset) != 0) continue;
    uint32_t client_time = 0;
    for (size_t b = 0; b < 4; ++b) {
      const uint8_t byte =
          mac[kTimestampOffset + b] ^ static_cast<uint8_t>(client_random[kTimestampOffset + b]);
      client_time |= static_cast<uint32_t>(byte) << (8 * b);
    }
    const int64_t skew = static_cast<int64_t>(client_time) - now;
    if (absl::Seconds(skew < 0 ? -skew : skew) > options_.max_clock_skew) {
      return absl::PermissionDeniedError(
          absl::StrCat("fake-TLS: the ClientHello's time is ", skew, " s from the server's"));
    }
    TGRPC_ASSIGN_OR_RETURN(
        std::string answer,
        MakeServerAnswer(client_random, record.substr(kSessionIdOffset + 1, session_id_size),
                         options_.secrets[i]));
    reply.append(answer);
    secret_index_ = i;
    hello_.clear();
    hello_.shrink_to_fit();
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError("fake-TLS: the ClientHello matches no secret");
}

absl::StatusOr<std::string> FakeTlsLayer::MakeServerAnswer(absl::string_view client_random,
                                                           absl::string_view session_id,
                                                           absl::string_view secret) {
  TGRPC_ASSIGN_OR_RETURN(const std::string key_share, X25519PublicKey(options_.random));
  std::string extensions;
  Append16(extensions, kKeyShareExtension);
  Append16(extensions, 2 + 2 + kX25519KeySize);
  Append16(extensions, kX25519Group);
  Append16(extensions, kX25519KeySize);
  extensions += key_share;
  Append16(extensions, kSupportedVersionsExtension);
  Append16(extensions, 2);
  extensions.append("\x03\x04", 2);  // TLS 1.3

  std::string server_hello("\x03\x03", 2);  // legacy_version
  server_hello.append(kRandomSize, '\0');   // the HMAC, below
  server_hello.push_back(static_cast<char>(session_id.size()));
  server_hello.append(session_id.data(), session_id.size());
  Append16(server_hello, kTlsAes128GcmSha256);
  server_hello.push_back('\0');  // no compression
  Append16(server_hello, extensions.size());
  server_hello += extensions;

  std::array<uint8_t, 2> spread{};
  options_.random(absl::MakeSpan(spread));
  const size_t certificate_size =
      kMinFakeCertificate +
      (static_cast<size_t>(spread[0]) << 8 | spread[1]) % kFakeCertificateSpread;

  std::string answer;
  AppendRecordHeader(answer, kHandshake, kHandshakeHeaderSize + server_hello.size());
  answer.push_back(static_cast<char>(kServerHelloType));
  Append24(answer, server_hello.size());
  answer += server_hello;
  AppendRecordHeader(answer, kChangeCipherSpec, 1);
  answer.push_back('\x01');
  AppendRecordHeader(answer, kApplicationData, certificate_size);
  const size_t certificate_at = answer.size();
  answer.resize(certificate_at + certificate_size);
  options_.random(
      absl::MakeSpan(reinterpret_cast<uint8_t*>(answer.data()) + certificate_at, certificate_size));

  const std::array<uint8_t, 32> mac = HmacSha256(secret, absl::StrCat(client_random, answer));
  std::copy(mac.begin(), mac.end(), answer.begin() + kRandomOffset);
  return answer;
}

absl::Status FakeTlsLayer::UnwrapRecords(absl::string_view in, std::string& stream) {
  while (!in.empty()) {
    if (body_left_ == 0) {
      const size_t take = std::min(kTlsRecordHeaderSize - header_.size(), in.size());
      header_.append(in.data(), take);
      in.remove_prefix(take);
      if (header_.size() < kTlsRecordHeaderSize) return absl::OkStatus();
      const uint8_t type = static_cast<uint8_t>(header_[0]);
      const size_t length = Load16(header_, 3);
      if (header_[1] != '\x03' || header_[2] != '\x03') {
        return absl::InvalidArgumentError(
            absl::StrFormat("fake-TLS: a record of version %02x %02x, not 03 03",
                            static_cast<uint8_t>(header_[1]), static_cast<uint8_t>(header_[2])));
      }
      header_.clear();
      switch (type) {
        case kApplicationData:
          if (length > kTlsMaxClientRecord) {
            return absl::ResourceExhaustedError(
                absl::StrCat("fake-TLS: an ApplicationData record of ", length, " bytes"));
          }
          application_data_seen_ = true;
          break;
        case kChangeCipherSpec:
          // TLS 1.3's middlebox compatibility: one, before anything encrypted.
          if (change_cipher_spec_seen_ || application_data_seen_ || length != 1) {
            return absl::InvalidArgumentError(
                "fake-TLS: a ChangeCipherSpec record that is not a single one of 1 byte before "
                "the data");
          }
          change_cipher_spec_seen_ = true;
          break;
        case kAlert:
          return absl::InvalidArgumentError("fake-TLS: the client sent a TLS alert");
        default:
          return absl::InvalidArgumentError(
              absl::StrFormat("fake-TLS: a record of type 0x%02x after the handshake", type));
      }
      body_type_ = type;
      body_left_ = length;
      continue;
    }
    const size_t take = std::min(body_left_, in.size());
    if (body_type_ == kApplicationData) {
      stream.append(in.data(), take);
    } else if (in[0] != '\x01') {  // ChangeCipherSpec's one byte
      return absl::InvalidArgumentError("fake-TLS: a ChangeCipherSpec record that is not 01");
    }
    body_left_ -= take;
    in.remove_prefix(take);
  }
  return absl::OkStatus();
}

std::string FakeTlsLayer::Wrap(absl::string_view stream) {
  std::string out;
  const size_t max = options_.max_server_record;
  out.reserve(stream.size() + (stream.size() / max + 1) * kTlsRecordHeaderSize);
  while (!stream.empty()) {
    const size_t take = std::min(max, stream.size());
    AppendRecordHeader(out, kApplicationData, take);
    out.append(stream.data(), take);
    stream.remove_prefix(take);
  }
  return out;
}

}  // namespace tgrpc::mtproto::transport
