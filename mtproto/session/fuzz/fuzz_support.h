// The checks behind the session fuzz targets, kept apart from the targets (one line each) and
// from any driver, so libFuzzer and the deterministic driver run the same code.
//
// Input layout shared by both targets: one control byte, a 4-byte little-endian seq_no, then a
// decrypted message body (anything: service message, container, gzip_packed, garbage). Each input
// meets a freshly built session in a fixed state (fixed key, seed and clock), so inputs can
// refer to the msg_ids it sent (see FixtureIds).
//   client target, control bits: 0 deliver twice (duplicate), 1-2 msg_id residue (1, 3, 0, 2),
//     3 then tick a minute later, 4 then reconnect
//   server target, control bits: 0 wrong salt, 1-2 msg_id (fresh, the fixture query's, fresh + 2,
//     400 s old), 3 a second session id, 4 answer queries with a large (gzip) result
// Every violated invariant aborts, which both libFuzzer and the driver report as a crash.
#ifndef TGRPC_MTPROTO_SESSION_FUZZ_FUZZ_SUPPORT_H_
#define TGRPC_MTPROTO_SESSION_FUZZ_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tgrpc::mtproto::session::fuzz {

struct FixtureIds {
  // The client fixture's three calls (a query, a ping with ping_id 7, destroy_session(1)), sent
  // in one container.
  std::vector<int64_t> client_msg_ids;
  int64_t client_container_id = 0;
  // The server fixture's first query and the msg_ids of what the server sent back.
  int64_t server_query_id = 0;
  std::vector<int64_t> server_msg_ids;
  uint64_t server_salt = 0;
};
FixtureIds GetFixtureIds();

// ClientSession::OnMessage with the input; then every packet it builds must be well-formed,
// events must name only its calls, each at most once.
void FuzzClientSession(const uint8_t* data, size_t size);

// SessionServer::OnMessage with the input; then every packet the session builds must be
// well-formed, with only the defined bad_msg_notification codes.
void FuzzServerSession(const uint8_t* data, size_t size);

}  // namespace tgrpc::mtproto::session::fuzz

#endif  // TGRPC_MTPROTO_SESSION_FUZZ_FUZZ_SUPPORT_H_
