// The seed corpus of the session fuzz targets: valid messages addressed to the fixtures' real
// msg_ids, in the input layout of fuzz_support.h. The shared driver (//tests/fuzz:fuzz_driver)
// mutates them deterministically (gcc) or hands them to libFuzzer (--config=libfuzzer).
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mtproto/session/fuzz/fuzz_support.h"
#include "mtproto/session/wire.h"
#include "tl/generated/mtp.h"
#include "tl/runtime/binary.h"

namespace tgrpc::mtproto::session::fuzz {
namespace {

namespace mtp = ::tgrpc::tl::mtp;

std::string Input(uint8_t control, int32_t seqno, const std::string& body) {
  std::string input(1, static_cast<char>(control));
  input.append(reinterpret_cast<const char*>(&seqno), 4);
  return input + body;
}

std::string Object(uint32_t id, int words) {
  std::string out;
  tl::Writer writer(&out);
  writer.U32(id);
  for (int i = 0; i < words; ++i) writer.U32(0x01010101u * static_cast<uint32_t>(i + 1));
  return out;
}

std::string Zlib(const std::string& data) {
  uLongf size = compressBound(data.size());
  std::string out(size, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &size,
            reinterpret_cast<const Bytef*>(data.data()), data.size(), 6);
  out.resize(size);
  mtp::gzip_packed packed;
  packed.packed_data = out;
  return SerializeService(packed);
}

std::string Bad(int64_t msg_id, int code) {
  mtp::bad_msg_notification bad;
  bad.bad_msg_id = msg_id;
  bad.bad_msg_seqno = 1;
  bad.error_code = code;
  return SerializeService(bad);
}

std::string Container(const std::vector<std::string>& bodies, int64_t first_id, int step) {
  std::string out;
  AppendContainerHeader(bodies.size(), out);
  int64_t id = first_id;
  for (const std::string& body : bodies) {
    AppendContainerMessage(id, 1, body, out);
    id += step;
  }
  return out;
}

// Bodies a server sends, addressed to the client fixture.
std::vector<std::string> ServerBodies(const FixtureIds& ids) {
  std::vector<std::string> bodies;
  const int64_t query = ids.client_msg_ids[0];
  const int64_t ping = ids.client_msg_ids[1];
  const int64_t destroy = ids.client_msg_ids[2];
  const std::string result = Object(0x11223344, 3);
  bodies.push_back(BuildRpcResult(query, result));
  bodies.push_back(BuildRpcResult(query, *PackGzip(Object(0x11223344, 200))));
  bodies.push_back(BuildRpcResult(query, Zlib(Object(0x11223344, 200))));
  mtp::rpc_error error;
  error.error_code = 420;
  error.error_message = "FLOOD_WAIT_42";
  bodies.push_back(BuildRpcResult(query, SerializeService(error)));
  mtp::pong pong;
  pong.msg_id = ping;
  pong.ping_id = 7;
  bodies.push_back(SerializeService(pong));
  mtp::destroy_session_ok destroyed;
  destroyed.session_id = 1;
  bodies.push_back(SerializeService(destroyed));
  bodies.push_back(BuildRpcResult(destroy, SerializeService(destroyed)));
  for (int code : {16, 17, 18, 19, 20, 32, 33, 34, 35, 64, 99}) {
    bodies.push_back(Bad(query, code));
    bodies.push_back(Bad(ids.client_container_id, code));
  }
  mtp::bad_server_salt salt;
  salt.bad_msg_id = ids.client_container_id;
  salt.error_code = 48;
  salt.new_server_salt = 0x77;
  bodies.push_back(SerializeService(salt));
  mtp::new_session_created created;
  created.first_msg_id = destroy;
  created.unique_id = 5;
  created.server_salt = 0x66;
  bodies.push_back(SerializeService(created));
  mtp::future_salts salts;
  salts.req_msg_id = ids.client_container_id + 4;
  salts.now = static_cast<int32_t>(ping >> 32);
  for (int i = 0; i < 3; ++i) {
    mtp::future_salt& s = salts.salts.emplace_back();
    s.valid_since = salts.now + 3600 * (i - 1);
    s.valid_until = s.valid_since + 5400;
    s.salt = 100 + i;
  }
  bodies.push_back(SerializeService(salts));
  mtp::msgs_ack ack;
  ack.msg_ids = {query, ping, destroy};
  bodies.push_back(SerializeService(ack));
  mtp::msgs_state_req state;
  state.msg_ids = {query + 1, 5};
  bodies.push_back(SerializeService(state));
  mtp::msgs_all_info all;
  all.msg_ids = {query, ping};
  all.info = std::string("\x02\x04", 2);
  bodies.push_back(SerializeService(all));
  mtp::msg_resend_req resend;
  resend.msg_ids = {query, destroy};
  bodies.push_back(SerializeService(resend));
  mtp::msg_detailed_info detailed;
  detailed.msg_id = query;
  detailed.answer_msg_id = query + 1;
  detailed.bytes = 100;
  bodies.push_back(SerializeService(detailed));
  mtp::msg_new_detailed_info new_detailed;
  new_detailed.answer_msg_id = query + 5;
  bodies.push_back(SerializeService(new_detailed));
  bodies.push_back(Object(0x74ae4240, 4));  // an update
  bodies.push_back(Zlib(Object(0x74ae4240, 100)));
  const std::vector<std::string> few = {BuildRpcResult(query, result), SerializeService(pong),
                                        Object(0x74ae4240, 2), SerializeService(ack)};
  bodies.push_back(Container(few, (query & ~3) + 1, 4));
  return bodies;
}

// Bodies a client sends, for the server fixture.
std::vector<std::string> ClientBodies(const FixtureIds& ids) {
  std::vector<std::string> bodies;
  bodies.push_back(Object(0x0badf00d, 3));
  bodies.push_back(*PackGzip(Object(0x0badf00d, 300)));
  bodies.push_back(Zlib(Object(0x0badf00d, 300)));
  mtp::ping ping;
  ping.ping_id = 1;
  bodies.push_back(SerializeService(ping));
  mtp::ping_delay_disconnect delayed;
  delayed.ping_id = 2;
  delayed.disconnect_delay = 75;
  bodies.push_back(SerializeService(delayed));
  mtp::get_future_salts salts;
  salts.num = 5;
  bodies.push_back(SerializeService(salts));
  mtp::msgs_state_req state;
  state.msg_ids = {ids.server_query_id, 4, ids.server_query_id + 4000};
  bodies.push_back(SerializeService(state));
  mtp::msg_resend_req resend;
  resend.msg_ids = ids.server_msg_ids;
  bodies.push_back(SerializeService(resend));
  mtp::msgs_ack ack;
  ack.msg_ids = ids.server_msg_ids;
  bodies.push_back(SerializeService(ack));
  mtp::destroy_session destroy;
  destroy.session_id = 0x5e5e5e5e;
  bodies.push_back(SerializeService(destroy));
  mtp::rpc_drop_answer drop;
  drop.req_msg_id = ids.server_query_id;
  bodies.push_back(SerializeService(drop));
  const int64_t base = ids.server_query_id + (int64_t{1} << 30);
  bodies.push_back(Container({Object(0x0badf00d, 1), SerializeService(ping), SerializeService(ack),
                              SerializeService(salts)},
                             base - 64, 4));
  return bodies;
}

std::vector<std::string> SeedCorpus() {
  const FixtureIds ids = GetFixtureIds();
  std::vector<std::string> corpus = {"", std::string(1, '\0'), Input(0, 1, "")};
  for (const std::vector<std::string>& bodies : {ServerBodies(ids), ClientBodies(ids)}) {
    uint8_t control = 0;
    for (const std::string& body : bodies) {
      for (int32_t seqno : {1, 2}) {
        corpus.push_back(Input(control, seqno, body));
        control = static_cast<uint8_t>(control + 7);
      }
    }
  }
  return corpus;
}

}  // namespace
}  // namespace tgrpc::mtproto::session::fuzz

std::vector<std::string> TgrpcFuzzSeeds() { return tgrpc::mtproto::session::fuzz::SeedCorpus(); }
