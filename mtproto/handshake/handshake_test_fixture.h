// Shared pieces of the client and server handshake tests: deterministic client and server
// factories, a recorded default exchange that fresh objects replay to reach any step, and forgers
// that build valid-looking messages from the client's new_nonce (read with the test RSA key).
#ifndef TGRPC_MTPROTO_HANDSHAKE_HANDSHAKE_TEST_FIXTURE_H_
#define TGRPC_MTPROTO_HANDSHAKE_HANDSHAKE_TEST_FIXTURE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/dh.h"
#include "mtproto/crypto/rsa_key.h"
#include "mtproto/handshake/client_handshake.h"
#include "mtproto/handshake/handshake_test_util.h"
#include "mtproto/handshake/inner_data.h"
#include "mtproto/handshake/server_handshake.h"
#include "mtproto/handshake/unencrypted_message.h"
#include "tl/generated/mtp.h"
#include "tl/runtime/binary.h"
#include "tl/runtime/object.h"

namespace tgrpc::mtproto::handshake::testing {

inline constexpr int64_t kServerTime = 1700000000;
inline constexpr int64_t kClientBehind = 1000;  // the client's clock lags the server's
inline constexpr int32_t kExpiresIn = 3600;

// Telegram's production key (DC 2), the one the published sample exchange is encrypted to.
crypto::RsaPublicKey TelegramKey();

struct ServerSetup {
  uint64_t seed = 1;
  std::function<bool(uint64_t)> auth_key_id_in_use;
  int max_dh_retries = 3;
  bool accept_legacy_rsa = true;
};

// A server with the test RSA key, seeded randomness and its clock at kServerTime.
ServerHandshake NewServer(const ServerSetup& setup = {});

// Trusts the test key (and Telegram's), dc 2, kExpiresIn for temporary kinds, clock
// kClientBehind seconds behind the server's.
ClientHandshakeOptions ClientOptions(uint64_t seed = 2, InnerDataKind kind = InnerDataKind::kDc,
                                     RsaScheme scheme = RsaScheme::kRsaPad);
ClientHandshake NewClient(ClientHandshakeOptions options = ClientOptions());

// The default client against the default server, recorded (3 messages each way).
Transcript RecordExchange();
// A default server that has answered the first `messages` client messages of `transcript`.
ServerHandshake ServerAfter(const Transcript& transcript, size_t messages);
// A default client, started, that has taken the first `messages` server messages.
ClientHandshake ClientAfter(const Transcript& transcript, size_t messages);

absl::string_view Body(const std::string& message);
int64_t MsgId(const std::string& message);

// The TL object of type T in an unencrypted message.
template <class T>
T Parse(const std::string& message) {
  tl::Reader r(Body(message));
  EXPECT_EQ(r.U32(), T::kId);
  T object;
  object.TlParse(r);
  EXPECT_TRUE(r.ok() && r.remaining() == 0);
  return object;
}

template <class T>
std::string Serialize(const T& object) {
  return *tl::Serialize(object);
}

// `object` in place of the original's body, under the same msg_id.
template <class T>
std::string Rewrap(const std::string& original, const T& object) {
  return EncodeUnencryptedMessage(MsgId(original), Serialize(object));
}

// What the client put in req_DH_params (either RSA scheme), read with the test RSA key.
PqInnerData ClientInnerData(const std::string& req_dh_params);

// A 256-byte DH value from big-endian hex; Telegram's dh_prime minus n.
crypto::DhValue DhValueOf(absl::string_view hex);
crypto::DhValue PrimeMinus(uint8_t n);

// server_DH_params_ok for the transcript's client, as a server holding the key would send it,
// with `mutate` applied to the inner data before it is encrypted.
std::string ForgeServerDhParams(const Transcript& transcript,
                                const std::function<void(tl::mtp::server_DH_inner_data&)>& mutate);
// set_client_DH_params for the transcript's server, as a client would send it (retry_id 0, a
// valid g_b), with `mutate` applied before it is encrypted.
std::string ForgeClientDhParams(const Transcript& transcript,
                                const std::function<void(tl::mtp::client_DH_inner_data&)>& mutate);

// A named change to a message, and what the receiver's error must say about it.
template <class T>
struct Mutation {
  const char* name;
  const char* reason;
  std::function<void(T&)> mutate;
};

// Feeds each of `messages` (one side of a transcript), cut short, to a fresh peer that has taken
// the ones before it (`after(step)`): the frame cut at every few bytes, then the body cut and
// wrapped again under its msg_id. Every one must be refused.
template <class Peer>
void ExpectTruncationsRefused(const std::vector<std::string>& messages,
                              const std::function<Peer(size_t step)>& after) {
  for (size_t step = 0; step < messages.size(); ++step) {
    const std::string& message = messages[step];
    const absl::string_view body = Body(message);
    for (size_t size = 0; size < message.size(); size += 1 + size / 8) {
      Peer peer = after(step);
      EXPECT_FALSE(peer.HandleMessage(message.substr(0, size)).ok()) << step << " " << size;
    }
    for (size_t size = 0; size < body.size(); size += 4 + size / 8) {
      Peer peer = after(step);
      const std::string truncated = EncodeUnencryptedMessage(MsgId(message), body.substr(0, size));
      EXPECT_FALSE(peer.HandleMessage(truncated).ok()) << step << " " << size;
    }
  }
}

}  // namespace tgrpc::mtproto::handshake::testing

#endif  // TGRPC_MTPROTO_HANDSHAKE_HANDSHAKE_TEST_FIXTURE_H_
