// Test helpers for the session layer: the start time of its fake clocks, seeded randomness, a fixed
// auth key, a scripted peer for each role (hand-made packets, decoded answers) and a client session
// wired back to back with a SessionServer in memory.
#ifndef TGRPC_MTPROTO_SESSION_SESSION_TEST_UTIL_H_
#define TGRPC_MTPROTO_SESSION_SESSION_TEST_UTIL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "base/fake_clock.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/packet_cipher.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/session/client_session.h"
#include "mtproto/session/msg_id.h"
#include "mtproto/session/session_server.h"

namespace tgrpc::mtproto::session::testing {

// 2024-01-01T00:00:00Z plus 20 minutes: not on a salt period boundary.
inline absl::Time TestStart() { return absl::FromUnixSeconds(1704067200 + 1200); }

// std::mt19937_64 is fixed by the standard, so a seed gives the same bytes everywhere.
crypto::RandomSource SeededRandom(uint64_t seed);

crypto::AuthKey TestAuthKey(uint64_t seed = 7);

// An arbitrary boxed TL object the session layer treats as an RPC query (or an update): a
// constructor id no MTProto service message has, then `words` 32-bit words.
std::string FakeObject(uint32_t id, int words, uint32_t fill = 0x01020304);
inline std::string FakeQuery(int words = 3, uint32_t fill = 0x01020304) {
  return FakeObject(0x0badf00d, words, fill);
}
// Highly compressible, for gzip tests.
std::string BigQuery(size_t bytes);

// One message as seen on the wire, containers flattened.
struct WireMessage {
  int64_t msg_id = 0;
  int32_t seqno = 0;
  std::string body;
  uint32_t id() const;
};

struct DecodedPacket {
  crypto::MessageHeader header;
  bool container = false;
  // The packet's messages (one, or the container's content).
  std::vector<WireMessage> messages;
};

// Decrypts a packet sent by the other role and flattens it.
DecodedPacket DecodePacket(const crypto::PacketCipher& receiver, std::string packet);

// Encrypts `body` as `sender`.
std::string EncryptPacket(const crypto::PacketCipher& sender, const crypto::MessageHeader& header,
                          absl::string_view body);

// A body of several messages in a container.
std::string Container(const std::vector<WireMessage>& messages);

// A client session and a session server on the same fake clock (the client's may be skewed),
// with a queue of packets each way.
class Link {
 public:
  struct Options {
    uint64_t seed = 1;
    absl::Duration client_skew = absl::ZeroDuration();
    // Given to the server as the key exchange's first salt and to the client as its salt.
    uint64_t first_salt = 0x5a17'5a17'5a17'5a17;
    // When false the client starts with salt 0 (as GramJS and Telethon do).
    bool client_knows_salt = true;
    ClientSessionOptions client;
    ServerSessionOptions server;
  };
  // A quiet client: no keepalive, no future salts, acks only with other traffic or on a tick.
  static Options QuietOptions();

  explicit Link(Options options);

  base::FakeClock& clock() { return clock_; }
  ClientSession& client() { return *client_; }
  SessionServer& server() { return server_; }
  const crypto::AuthKey& key() const { return key_; }
  // The server's session for the client (nullptr before the first packet).
  ServerSession* server_session();

  // Answers every ServerRpcCallEvent during Pump; by default echoes the query as its result.
  std::function<void(ServerSession&, const ServerRpcCallEvent&)> on_rpc;

  // Every packet the client (server session) has to send now.
  std::vector<std::string> TakeClientPackets();
  std::vector<std::string> TakeServerPackets();
  // Delivers packets; the server answers RPCs through on_rpc.
  std::vector<ServerEvent> DeliverToServer(std::vector<std::string> packets);
  std::vector<Event> DeliverToClient(std::vector<std::string> packets);

  struct Exchange {
    std::vector<ServerEvent> server_events;
    std::vector<Event> client_events;
    int client_packets = 0;
    int server_packets = 0;
  };
  // Moves packets both ways until neither side has anything to send.
  Exchange Pump(int max_rounds = 16);

 private:
  base::FakeClock clock_;
  crypto::AuthKey key_;
  SessionServer server_;
  std::unique_ptr<ClientSession> client_;
};

// Events of one kind.
template <class T, class Variant>
std::vector<T> EventsOf(const std::vector<Variant>& events) {
  std::vector<T> out;
  for (const Variant& event : events) {
    if (const T* e = std::get_if<T>(&event)) out.push_back(*e);
  }
  return out;
}

}  // namespace tgrpc::mtproto::session::testing

#endif  // TGRPC_MTPROTO_SESSION_SESSION_TEST_UTIL_H_
