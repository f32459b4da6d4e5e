// fakedc: a local multi-DC Telegram emulator. Each DC listens on 127.0.0.1 (port 0 in tests) and
// speaks the project's server-role MTProto: every transport (plain and obfuscated, detected per
// connection), the auth-key exchange (both RSA schemes, every p_q_inner_data), PFS temporary keys
// with auth.bindTempAuthKey, and the session rules. Calls are answered in the layer each client
// declared. Accounts live on a home DC (PHONE_MIGRATE / USER_MIGRATE elsewhere, authorizations
// exported and imported across DCs), documents on a files DC (FILE_MIGRATE); FLOOD_WAIT limits and
// injected faults (faults.h) exercise clients' recovery. Start it inside a test (FakeDc::Start) or
// as the fakedc binary.
#ifndef TGRPC_TESTS_FAKEDC_FAKEDC_H_
#define TGRPC_TESTS_FAKEDC_FAKEDC_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/fakedc/faults.h"
#include "tests/fakedc/flood.h"
#include "tests/fakedc/session_slots.h"
#include "tests/fakedc/world.h"

namespace tgrpc::fakedc {

struct FakeDcOptions {
  std::string address = "127.0.0.1";
  // DCs 1..dc_count, plus a media-only endpoint of media_dc. Ports in that order (dc 1, 2, ...,
  // then media); missing or 0: any free port.
  int dc_count = 3;
  int media_dc = 2;
  std::vector<uint16_t> ports;
  // The server's RSA private key (PEM). Empty: a fresh 2048-bit key.
  std::string rsa_key_pem;
  // The pinned schema and older layers' schemas (tl/schema/api*.tl).
  std::string schema_dir = "tl/schema";
  // Where uploaded files go. Empty: a new directory under $TEST_TMPDIR or /tmp.
  std::string state_dir;
  uint64_t seed = 1;
  // Seed data: users, bots and a big channel (see seed.h).
  bool seed_data = true;
  int big_channel_members = 10000;
  // MTProxy secrets (16 raw bytes each) accepted besides plain obfuscated2 inits: clients that
  // connect "through a proxy" with one of these reach the DC directly.
  std::vector<std::string> mtproxy_secrets;
  // MTProxy fake-TLS (`ee`) secrets (16 raw bytes each): a connection that starts with a TLS
  // ClientHello signed with one of them is answered as MTProxy does, then carries obfuscated2
  // (keyed with the same secret) in TLS records.
  std::vector<std::string> fake_tls_secrets;
  // The DC uploaded documents are kept on (1..dc_count): their dc_id, and the only DC whose
  // upload.getFile serves them (elsewhere: 303 FILE_MIGRATE_X). 0: the DC they were uploaded to.
  int files_dc = 0;
  // Not 0: the DC Telegram would pick for the clients' address, where new accounts sign up:
  // auth.sendCode / signIn for a number without an account is 303 NETWORK_MIGRATE_<network_dc>
  // on other DCs (an existing account's number is PHONE_MIGRATE to its home, as without it).
  int network_dc = 0;
  // The CDN (core.telegram.org/cdn), off while cdn_min_size is 0: upload.getFile with
  // cdn_supported of a document of at least cdn_min_size bytes answers upload.fileCdnRedirect to
  // DC cdn_dc, a CDN DC with its own port (the last of `ports`, after the media endpoint) and its
  // own RSA key (cdn_rsa_key_pem; empty: a fresh 2048-bit key), given by help.getCdnConfig. See
  // cdn_files.h for what tests may change at run time (World::files().cdn()).
  int64_t cdn_min_size = 0;
  int cdn_dc = 203;
  std::string cdn_rsa_key_pem;
  // FLOOD_WAIT limits by method, per account (see flood.h); also World::flood() at run time.
  FloodLimits flood_limits;
  // Faults injected from the start (see faults.h); FakeDc::SetFaults changes them.
  FaultOptions faults;
  // Sessions per auth key (session_slots.h): a key that has this many frees, for a new one, the
  // slot of the session used least recently that no open connection uses; with none to free, the
  // new session's packets get transport error -429.
  size_t max_sessions_per_key = SessionSlots::kDefaultMaxSessions;
  // Log each call and connection, and every injected fault, to stderr.
  bool verbose = false;
};

struct DcEndpoint {
  int id = 0;
  bool media_only = false;
  uint16_t port = 0;
  bool cdn = false;  // the CDN DC (FakeDcOptions::cdn_min_size)
};

// An open client connection (FakeDc::Connections()).
struct ConnectionInfo {
  int64_t id = 0;  // in accept order from 1, as the log names them ("dc2 #7")
  int dc_id = 0;
  bool media_only = false;
  std::string peer;          // the client's address:port
  std::string transport;     // as detected: "intermediate", "obfuscated-abridged", "mtproxy-...";
                             // empty before the first bytes
  int64_t packets = 0;       // received so far
  uint64_t auth_key_id = 0;  // of its last encrypted packet (0: none yet)
  int64_t user_id = 0;       // the account that key is signed in as (0: none)
};

class FakeDc {
 public:
  // Binds every DC and starts the server thread.
  static absl::StatusOr<std::unique_ptr<FakeDc>> Start(FakeDcOptions options);
  ~FakeDc();  // stops the thread and closes every connection

  const std::vector<DcEndpoint>& endpoints() const;
  uint16_t port(int dc_id) const;  // the DC's main (not media-only) port
  // The public key clients must trust, PKCS#1 PEM, and its Telegram fingerprint.
  const std::string& public_key_pem() const;
  uint64_t fingerprint() const;
  // The CDN DC's public key (PKCS#1 PEM); empty without a CDN.
  const std::string& cdn_public_key_pem() const;
  // The method names the emulator answers, sorted.
  std::vector<std::string> Methods() const;
  // Permanent keys revoked with AUTH_KEY_DUPLICATED so far: used by two instances (replicas,
  // by initConnection's params {"tgrpc_instance": ...}) at once, each on its own connection.
  int64_t DuplicatedAuthKeys();

  // Runs `fn` on the server thread with the emulated state and waits for it.
  void Run(const std::function<void(World&)>& fn);

  // Fault injection (faults.h), on the server thread. SetFaults replaces the faults in force;
  // faults() reads them, with the counters as far as they have counted down.
  void SetFaults(const FaultOptions& faults);
  FaultOptions faults();
  // Forgets every temporary key of every DC, as Telegram may at any time (a temporary key is
  // also forgotten once past its expires_at, and when its permanent key is bound to another
  // one): their next packets get transport error -404, and clients must exchange and bind a new
  // one.
  void ForgetTemporaryKeys();
  // Closes every connection of DC `dc_id` (0: of every DC) now, without sending what is queued.
  void DropConnections(int dc_id = 0);
  // Closes one connection (ConnectionInfo::id) the same way; false if it is not open.
  bool DropConnection(int64_t id);
  // The connections open now, oldest first.
  std::vector<ConnectionInfo> Connections();
  // Closes every listener and connection, waits `down_for` (on the caller's thread), and listens
  // again on the same ports. The World, the auth keys and the sessions are kept, as a restarted
  // Telegram keeps them. An error if a port cannot be bound again.
  absl::Status Restart(absl::Duration down_for = absl::ZeroDuration());

  class Impl;

 private:
  explicit FakeDc(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_FAKEDC_H_
