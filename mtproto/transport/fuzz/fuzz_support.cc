#include "mtproto/transport/fuzz/fuzz_support.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mtproto/transport/aes_ctr.h"
#include "mtproto/transport/make_framing.h"
#include "mtproto/transport/obfuscated2_framing.h"
#include "mtproto/transport/obfuscated2_init.h"
#include "mtproto/transport/server_transport.h"
#include "tests/fuzz/fuzz_check.h"

namespace tgrpc::mtproto::transport::fuzz {
namespace {

struct Input {
  Role role;
  unsigned protocol_bits;
  unsigned chunk_seed;
  absl::string_view stream;
};

Input Parse(const uint8_t* data, size_t size) {
  const uint8_t control = size > 0 ? data[0] : 0;
  absl::string_view stream;
  if (size > 1) stream = absl::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  return Input{(control & 1) ? Role::kClient : Role::kServer, (control >> 1) & 3u,
               static_cast<unsigned>(control >> 3), stream};
}

Role Peer(Role role) { return role == Role::kClient ? Role::kServer : Role::kClient; }

// Zero padding makes padded intermediate re-encode byte for byte.
FramingOptions Options() {
  FramingOptions options;
  options.max_frame_size = kFuzzMaxFrameSize;
  options.random = [](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = 0;
  };
  return options;
}

struct Result {
  absl::StatusCode code = absl::StatusCode::kOk;
  std::vector<Frame> frames;
};

Result DecodeWhole(Framing& framing, absl::string_view stream) {
  Result result;
  result.code = framing.Decode(stream, result.frames).code();
  return result;
}

Result DecodeInPieces(Framing& framing, absl::string_view stream, unsigned seed) {
  Result result;
  uint32_t state = seed * 2654435761u + 1;
  while (!stream.empty()) {
    state = state * 1103515245u + 12345u;
    size_t piece = (state >> 16) % 7;  // includes empty pieces
    if ((state >> 8) % 5 == 0) piece = (state >> 12) % 300;
    piece = std::min(piece, stream.size());
    const absl::Status status = framing.Decode(stream.substr(0, piece), result.frames);
    if (!status.ok()) {
      result.code = status.code();
      break;
    }
    stream.remove_prefix(piece);
  }
  return result;
}

void CheckSame(const Result& a, const Result& b) {
  TGRPC_FUZZ_CHECK(a.code == b.code);
  TGRPC_FUZZ_CHECK(a.frames == b.frames);
}

void CheckFrameBounds(const std::vector<Frame>& frames) {
  for (const Frame& frame : frames) {
    if (const auto* payload = std::get_if<PayloadFrame>(&frame)) {
      TGRPC_FUZZ_CHECK(payload->payload.size() <= kFuzzMaxFrameSize);
    } else if (const auto* error = std::get_if<TransportErrorFrame>(&frame)) {
      TGRPC_FUZZ_CHECK(error->code < 0);
    } else {
      TGRPC_FUZZ_CHECK((std::get<QuickAckFrame>(frame).token & 0x80000000u) != 0);
    }
  }
}

// Encodes `frames` as the peer of `role` would have sent them.
std::string Reencode(Protocol protocol, Role role, const std::vector<Frame>& frames) {
  std::unique_ptr<Framing> peer = MakeFraming(protocol, Peer(role), Options());
  std::string wire;
  for (const Frame& frame : frames) {
    absl::Status status;
    if (const auto* payload = std::get_if<PayloadFrame>(&frame)) {
      status =
          peer->EncodeFrame(payload->payload, {.quick_ack = payload->quick_ack_requested}, wire);
    } else if (const auto* ack = std::get_if<QuickAckFrame>(&frame)) {
      status = peer->EncodeQuickAck(ack->token, wire);
    } else {
      status = peer->EncodeTransportError(std::get<TransportErrorFrame>(frame).code, wire);
    }
    TGRPC_FUZZ_CHECK(status.ok());
  }
  return wire;
}

}  // namespace

void FuzzPlainDecoder(Protocol protocol, const uint8_t* data, size_t size) {
  const Input input = Parse(data, size);
  std::unique_ptr<Framing> whole_decoder = MakeFraming(protocol, input.role, Options());
  std::unique_ptr<Framing> piece_decoder = MakeFraming(protocol, input.role, Options());
  const Result whole = DecodeWhole(*whole_decoder, input.stream);
  CheckSame(whole, DecodeInPieces(*piece_decoder, input.stream, input.chunk_seed));
  CheckFrameBounds(whole.frames);

  std::unique_ptr<Framing> again = MakeFraming(protocol, input.role, Options());
  const Result round_trip = DecodeWhole(*again, Reencode(protocol, input.role, whole.frames));
  TGRPC_FUZZ_CHECK(round_trip.code == absl::StatusCode::kOk);
  TGRPC_FUZZ_CHECK(round_trip.frames == whole.frames);
}

void FuzzObfuscated2Decoder(const uint8_t* data, size_t size) {
  const Input input = Parse(data, size);
  const Protocol protocol = input.protocol_bits == 0   ? Protocol::kAbridged
                            : input.protocol_bits == 1 ? Protocol::kIntermediate
                                                       : Protocol::kPaddedIntermediate;
  // A fixed init: the fuzzer controls the plaintext stream, not the keys.
  crypto::RandomSource fixed = [](absl::Span<uint8_t> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 37 + 11);
  };
  absl::StatusOr<Obfuscated2ClientInit> client =
      MakeObfuscated2Init(protocol, 2, std::nullopt, fixed);
  TGRPC_FUZZ_CHECK(client.ok());
  absl::StatusOr<Obfuscated2ServerInit> server = ParseObfuscated2Init(client->init, {});
  TGRPC_FUZZ_CHECK(server.ok());
  const Obfuscated2Keys& own = input.role == Role::kServer ? server->keys : client->keys;
  const Obfuscated2Keys& peer = input.role == Role::kServer ? client->keys : server->keys;

  // Encrypt as the peer: the client->server stream starts after the 64-byte init.
  absl::StatusOr<AesCtr256> cipher = AesCtr256::Create(peer.encrypt_key, peer.encrypt_iv);
  TGRPC_FUZZ_CHECK(cipher.ok());
  if (input.role == Role::kServer) TGRPC_FUZZ_CHECK(cipher->Skip(kObfuscated2InitSize).ok());
  std::string encrypted(input.stream);
  TGRPC_FUZZ_CHECK(cipher->Apply(encrypted.data(), encrypted.size()).ok());

  auto make = [&]() {
    absl::StatusOr<std::unique_ptr<Obfuscated2Framing>> framing =
        Obfuscated2Framing::Create(MakeFraming(protocol, input.role, Options()), own, input.role);
    TGRPC_FUZZ_CHECK(framing.ok());
    return *std::move(framing);
  };
  std::unique_ptr<Framing> whole_decoder = make();
  std::unique_ptr<Framing> piece_decoder = make();
  std::unique_ptr<Framing> plain_decoder = MakeFraming(protocol, input.role, Options());
  const Result whole = DecodeWhole(*whole_decoder, encrypted);
  CheckSame(whole, DecodeInPieces(*piece_decoder, encrypted, input.chunk_seed));
  CheckSame(whole, DecodeWhole(*plain_decoder, input.stream));
}

void FuzzServerTransport(const uint8_t* data, size_t size) {
  const Input input = Parse(data, size);
  DetectOptions detect;
  detect.obfuscated2.secrets.push_back("0123456789abcdef");
  ServerTransport whole_transport(detect, Options());
  ServerTransport piece_transport(detect, Options());
  const Result whole = DecodeWhole(whole_transport, input.stream);
  CheckSame(whole, DecodeInPieces(piece_transport, input.stream, input.chunk_seed));
  CheckFrameBounds(whole.frames);
  const auto& a = whole_transport.detected();
  const auto& b = piece_transport.detected();
  TGRPC_FUZZ_CHECK(a.has_value() == b.has_value());
  if (a.has_value()) {
    TGRPC_FUZZ_CHECK(a->protocol == b->protocol);
    TGRPC_FUZZ_CHECK(a->preamble_size == b->preamble_size);
    TGRPC_FUZZ_CHECK(a->obfuscation.has_value() == b->obfuscation.has_value());
  }
  if (whole.code == absl::StatusCode::kOk && a.has_value()) {
    // Once detected, the server can answer.
    std::string reply;
    TGRPC_FUZZ_CHECK(whole_transport.EncodeFrame("8 bytes!", {}, reply).ok());
  }
}

}  // namespace tgrpc::mtproto::transport::fuzz
