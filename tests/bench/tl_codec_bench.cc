// TL codec throughput: encode and decode of messages.sendMessage, upload.saveBigFilePart with a
// 512 KiB part, and an `updates` batch of 100 updateNewMessage, with the generated codec (and the
// schema-driven one for comparison). Prints bytes/s and objects/s; no assertions.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "tl/dynamic/value.h"
#include "tl/generated/api.h"

namespace tgrpc::tl {
namespace {

using namespace api;  // NOLINT: benchmark brevity

Ptr<messages_sendMessage> SendMessage() {
  auto m = std::make_unique<messages_sendMessage>();
  auto peer = std::make_unique<inputPeerUser>();
  peer->user_id = 123456789;
  peer->access_hash = -987654321;
  m->peer = std::move(peer);
  m->message = "Hello from tgrpc: a typical short chat message of moderate length.";
  m->random_id = 0x1234567890abcdef;
  m->silent = true;
  return m;
}

Ptr<upload_saveBigFilePart> FilePart() {
  auto p = std::make_unique<upload_saveBigFilePart>();
  p->file_id = 42;
  p->file_part = 7;
  p->file_total_parts = 4000;
  p->bytes.assign(512 * 1024, 'x');
  return p;
}

Ptr<updates> UpdatesBatch() {
  auto u = std::make_unique<updates>();
  for (int i = 0; i < 100; ++i) {
    auto msg = std::make_unique<message>();
    msg->id = 1000 + i;
    auto from = std::make_unique<peerUser>();
    from->user_id = 777;
    msg->from_id = std::move(from);
    auto to = std::make_unique<peerChannel>();
    to->channel_id = 555;
    msg->peer_id = std::move(to);
    msg->date = 1700000000 + i;
    msg->message_ = "update number " + std::to_string(i) + " with some text in it";
    auto nm = std::make_unique<updateNewChannelMessage>();
    nm->message = std::move(msg);
    nm->pts = 10 + i;
    nm->pts_count = 1;
    u->updates_.push_back(std::move(nm));
  }
  auto ann = std::make_unique<api::user>();
  ann->id = 777;
  ann->first_name = "Ann";
  u->users.push_back(std::move(ann));
  u->date = 1700000000;
  u->seq = 5;
  return u;
}

void Encode(benchmark::State& state, const Object& o) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    Writer w(&out);
    WriteBoxed(w, &o);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * out.size());
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(out.size());
}

void Decode(benchmark::State& state, const Object& o) {
  std::string bytes = *Serialize(o);
  for (auto _ : state) {
    Reader r(bytes);
    uint32_t id = r.U32();
    bool known;
    Ptr<Object> back = ReadById(id, r, &known);
    if (!r.ok()) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(back.get());
  }
  state.SetBytesProcessed(state.iterations() * bytes.size());
  state.SetItemsProcessed(state.iterations());
}

const Schema& ApiSchema() {
  static const Schema* s = [] {
    absl::StatusOr<Schema> schema = LoadSchemaFiles({"tl/schema/api.tl"});
    if (!schema.ok()) {
      std::fprintf(stderr, "%s\n", schema.status().ToString().c_str());
      std::abort();
    }
    return new Schema(*std::move(schema));
  }();
  return *s;
}

void DecodeDynamic(benchmark::State& state, const Object& o) {
  std::string bytes = *Serialize(o);
  DynamicCodec codec(&ApiSchema());
  for (auto _ : state) {
    absl::StatusOr<Value> v = codec.Decode(bytes, "Object");
    if (!v.ok()) v = codec.Decode(bytes, "Function");
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * bytes.size());
  state.SetItemsProcessed(state.iterations());
}

void BM_Encode_SendMessage(benchmark::State& s) { Encode(s, *SendMessage()); }
void BM_Decode_SendMessage(benchmark::State& s) { Decode(s, *SendMessage()); }
void BM_Encode_SaveBigFilePart512K(benchmark::State& s) { Encode(s, *FilePart()); }
void BM_Decode_SaveBigFilePart512K(benchmark::State& s) { Decode(s, *FilePart()); }
void BM_Encode_Updates100(benchmark::State& s) { Encode(s, *UpdatesBatch()); }
void BM_Decode_Updates100(benchmark::State& s) { Decode(s, *UpdatesBatch()); }
void BM_DynamicDecode_SendMessage(benchmark::State& s) { DecodeDynamic(s, *SendMessage()); }
void BM_DynamicDecode_Updates100(benchmark::State& s) { DecodeDynamic(s, *UpdatesBatch()); }

BENCHMARK(BM_Encode_SendMessage);
BENCHMARK(BM_Decode_SendMessage);
BENCHMARK(BM_Encode_SaveBigFilePart512K);
BENCHMARK(BM_Decode_SaveBigFilePart512K);
BENCHMARK(BM_Encode_Updates100);
BENCHMARK(BM_Decode_Updates100);
BENCHMARK(BM_DynamicDecode_SendMessage);
BENCHMARK(BM_DynamicDecode_Updates100);

}  // namespace
}  // namespace tgrpc::tl

BENCHMARK_MAIN();
