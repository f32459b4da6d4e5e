// The raw API's cost, in one run:
//   1. conversion, in this process: objects/s and MB/s of the path tgrpcd takes for a request
//      (protobuf wire bytes -> TL value -> TL binary) and for a result (TL binary -> TL value ->
//      protobuf wire bytes), for a messages.sendMessage request, a messages.getHistory result of
//      100 messages with their users and chats, and an Updates of 100 updateNewMessage; beside
//      them, the generated C++ codec decoding the same TL bytes, as the ratio's yardstick;
//   2. a raw call's added latency over the typed API's for the same TL method, through one tgrpcd
//      child process on an in-process fakedc: UserService.GetMe and
//      tgrpc.raw.v1.UsersService/GetFullUser(inputUserSelf) both send users.getFullUser(self);
//      calls one at a time, alternating, p50 and p99 of each and their difference.
// Figures only, never asserted (docs/testing.md).
//
//   bazel run -c opt //tests/bench:raw_api_bench -- [--seconds=2] [--calls=2000]
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "grpcpp/generic/generic_stub.h"
#include "tests/bench/tgrpcd_bench_util.h"
#include "tests/crash/tgrpcd_child.h"
#include "tl/dynamic/json.h"
#include "tl/dynamic/value.h"
#include "tl/generated/api.h"
#include "tl/rawapi/convert.h"
#include "tl/rawapi/lock.h"
#include "tl/rawapi/model.h"
#include "tl/runtime/object.h"

namespace tgrpc::tgrpcd_bench {
namespace {

using Clock = std::chrono::steady_clock;
using tl::Value;

std::string Message(int id, int64_t from) {
  return absl::StrFormat(
      R"({"_":"message","out":true,"id":%d,"from_id":{"_":"peerUser","user_id":"%d"},)"
      R"("peer_id":{"_":"peerChannel","channel_id":"1000004"},"date":1796400000,)"
      R"("message":"A message of ordinary length, with a link to https://example.com and a )"
      R"(mention of @someone in it, number %d.","entities":[{"_":"messageEntityUrl",)"
      R"("offset":32,"length":19},{"_":"messageEntityMention","offset":67,"length":8}],)"
      R"("views":%d,"forwards":1,"edit_date":1796400100})",
      id, from, id, id * 3);
}

std::string User(int64_t id) {
  return absl::StrFormat(
      R"({"_":"user","id":"%d","access_hash":"-%d","first_name":"User","last_name":"%d",)"
      R"("username":"user%d","phone":"1555%07d","status":{"_":"userStatusRecently",)"
      R"("by_me":false}})",
      id, id * 7919, id, id, id);
}

std::string History() {
  std::vector<std::string> messages, users;
  for (int i = 0; i < 100; ++i) messages.push_back(Message(5000 - i, 1000001 + i % 10));
  for (int i = 0; i < 10; ++i) users.push_back(User(1000001 + i));
  return absl::StrCat(
      R"({"_":"messages.channelMessages","pts":900,"count":5000,"messages":[)",
      absl::StrJoin(messages, ","), R"(],"topics":[],"chats":[{"_":"channel","id":"1000004",)",
      R"("access_hash":"-123456789","title":"FakeDc Big Group","username":"fakedc_big",)",
      R"("photo":{"_":"chatPhotoEmpty"},"date":1796400000,"participants_count":5000}],"users":[)",
      absl::StrJoin(users, ","), "]}");
}

std::string Updates() {
  std::vector<std::string> updates, users;
  for (int i = 0; i < 100; ++i) {
    updates.push_back(absl::StrCat(R"({"_":"updateNewMessage","message":)",
                                   Message(7000 + i, 1000001 + i % 10), R"(,"pts":)", 1000 + i,
                                   R"(,"pts_count":1})"));
  }
  for (int i = 0; i < 10; ++i) users.push_back(User(1000001 + i));
  return absl::StrCat(R"({"_":"updates","updates":[)", absl::StrJoin(updates, ","),
                      R"(],"users":[)", absl::StrJoin(users, ","),
                      R"(],"chats":[],"date":1796400000,"seq":0})");
}

constexpr char kSendMessage[] =
    R"({"_":"messages.sendMessage","peer":{"_":"inputPeerUser","user_id":"1000002",)"
    R"("access_hash":"-8405794334666503204"},"message":"Hello from the raw API, a short )"
    R"(message of an ordinary length.","random_id":"-3141592653589793238",)"
    R"("entities":[{"_":"messageEntityBold","offset":0,"length":5}]})";

// Runs `body` for about `seconds`; its calls per second.
double Rate(double seconds, const std::function<void()>& body) {
  int64_t n = 0;
  const Clock::time_point end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    for (int i = 0; i < 16; ++i) body();
    n += 16;
  }
  return static_cast<double>(n) / seconds;
}

int Conversion(double seconds) {
  absl::StatusOr<tl::Schema> schema = tl::LoadSchemaFiles({"tl/schema/api.tl"});
  absl::StatusOr<std::string> lock_text = tl::ReadTextFile("tl/schema/raw_api.lock");
  if (!schema.ok() || !lock_text.ok()) {
    std::fprintf(stderr, "schema or lock: %s %s\n", schema.status().ToString().c_str(),
                 lock_text.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<tl::raw::Lock> lock = tl::raw::ParseLock(*lock_text);
  auto model = tl::raw::RawModel::Build(&*schema, *lock);
  if (!model.ok()) {
    std::fprintf(stderr, "model: %s\n", model.status().ToString().c_str());
    return 1;
  }
  tl::raw::Converter converter(model->get());
  tl::DynamicCodec codec(&*schema);

  std::printf("conversion (one core; MB = 10^6 bytes of the side named):\n");
  std::printf("%-34s %12s %10s %10s | %12s %8s\n", "case", "objects/s", "MB/s", "bytes",
              "generated/s", "ratio");
  // Request: proto bytes in, TL binary out.
  {
    absl::StatusOr<Value> value = tl::FromJson(*schema, kSendMessage, "Function");
    const tl::raw::Rpc* rpc = (*model)->RpcForFunction("messages.sendMessage");
    const tl::raw::Message& request = (*model)->message(rpc->request);
    absl::StatusOr<std::string> proto = converter.ToProto(request, *value, "accounts/bench");
    absl::StatusOr<std::string> tl_bytes = codec.EncodeBoxed(*value);
    if (!value.ok() || !proto.ok() || !tl_bytes.ok()) {
      std::fprintf(stderr, "sendMessage sample: %s %s\n", value.status().ToString().c_str(),
                   proto.status().ToString().c_str());
      return 1;
    }
    bool ok = true;
    const double rate = Rate(seconds, [&] {
      absl::StatusOr<Value> in = converter.FromProto(request, *proto);
      ok &= in.ok() && codec.EncodeBoxed(*in).ok();
    });
    const double generated = Rate(seconds, [&] {
      tl::Reader r(*tl_bytes);
      ok &= tl::ReadAnyFunction(r) != nullptr && r.ok();
    });
    std::printf("%-34s %12.0f %10.1f %10zu | %12.0f %8.2f%s\n", "sendMessage request proto->TL",
                rate, rate * proto->size() / 1e6, proto->size(), generated,
                generated > 0 ? rate / generated : 0, ok ? "" : "  (errors)");
  }
  // Results: TL binary in, proto bytes out.
  struct Case {
    const char* name;
    std::string json;
    std::string type;
  };
  for (const Case& c : {Case{"getHistory result (100) TL->proto", History(), "messages.Messages"},
                        Case{"100 updates TL->proto", Updates(), "Updates"}}) {
    absl::StatusOr<Value> value = tl::FromJson(*schema, c.json, c.type);
    if (!value.ok()) {
      std::fprintf(stderr, "%s: %s\n", c.name, value.status().ToString().c_str());
      return 1;
    }
    absl::StatusOr<std::string> tl_bytes = codec.EncodeBoxed(*value);
    const tl::raw::Message* wrapper = (*model)->WrapperOf(c.type);
    absl::StatusOr<std::string> proto = converter.ToProto(*wrapper, *value);
    if (!tl_bytes.ok() || !proto.ok()) {
      std::fprintf(stderr, "%s: %s %s\n", c.name, tl_bytes.status().ToString().c_str(),
                   proto.status().ToString().c_str());
      return 1;
    }
    bool ok = true;
    const double rate = Rate(seconds, [&] {
      absl::StatusOr<Value> decoded = codec.Decode(*tl_bytes, c.type);
      ok &= decoded.ok() && converter.ToProto(*wrapper, *decoded).ok();
    });
    const double generated = Rate(seconds, [&] {
      tl::Reader r(*tl_bytes);
      ok &= tl::ReadAnyObject(r) != nullptr && r.ok();
    });
    std::printf("%-34s %12.0f %10.1f %10zu | %12.0f %8.2f%s\n", c.name, rate,
                rate * tl_bytes->size() / 1e6, tl_bytes->size(), generated,
                generated > 0 ? rate / generated : 0, ok ? "" : "  (errors)");
    std::printf("%-34s %12s %10s %10zu (proto bytes of the same)\n", "", "", "", proto->size());
  }
  return 0;
}

double Percentile(std::vector<double> v, double q) { return Quantile(v, q); }

int Latency(int calls) {
  absl::StatusOr<Sandbox> sandbox = StartSandbox("raw-api-bench");
  if (!sandbox.ok()) {
    std::fprintf(stderr, "fakedc: %s\n", sandbox.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> flags =
      crash::SandboxFlags(*sandbox->dc, sandbox->public_key_path, sandbox->root + "/tgrpcd");
  auto child = crash::TgrpcdChild::Spawn(flags, sandbox->root + "/tgrpcd.log");
  if (!child.ok())
    return std::fprintf(stderr, "tgrpcd: %s\n", child.status().ToString().c_str()), 1;
  absl::StatusOr<int> port = (*child)->WaitReady(absl::Seconds(30));
  if (!port.ok()) return std::fprintf(stderr, "tgrpcd: %s\n", port.status().ToString().c_str()), 1;
  Client client(*port);
  absl::StatusOr<int64_t> user = client.SignUp("raw-bench", "9996620777", 1);
  if (!user.ok()) return std::fprintf(stderr, "%s\n", user.status().ToString().c_str()), 1;

  // users.getFullUser(inputUserSelf) as raw request bytes: field 1 account, field 2 id =
  // TypeInputUser{input_user_self = InputUserSelf{}}; the case number comes from the lock.
  absl::StatusOr<tl::Schema> schema = tl::LoadSchemaFiles({"tl/schema/api.tl"});
  absl::StatusOr<std::string> lock_text = tl::ReadTextFile("tl/schema/raw_api.lock");
  absl::StatusOr<tl::raw::Lock> lock = tl::raw::ParseLock(*lock_text);
  auto model = tl::raw::RawModel::Build(&*schema, *lock);
  if (!model.ok()) return std::fprintf(stderr, "model: %s\n", model.status().ToString().c_str()), 1;
  tl::raw::Converter converter(model->get());
  absl::StatusOr<Value> query =
      tl::FromJson(*schema, R"({"_":"users.getFullUser","id":{"_":"inputUserSelf"}})", "Function");
  const tl::raw::Rpc* rpc = (*model)->RpcForFunction("users.getFullUser");
  absl::StatusOr<std::string> body =
      converter.ToProto((*model)->message(rpc->request), *query, "accounts/raw-bench");
  if (!body.ok()) return std::fprintf(stderr, "%s\n", body.status().ToString().c_str()), 1;

  grpc::GenericStub generic(client.channel);
  auto raw_call = [&]() -> bool {
    std::unique_ptr<grpc::ClientContext> context = client.Context();
    grpc::Slice slice(*body);
    grpc::ByteBuffer request(&slice, 1), response;
    grpc::Status status;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    generic.UnaryCall(context.get(), rpc->path(), grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        std::lock_guard<std::mutex> l(mu);
                        status = std::move(s);
                        done = true;
                        cv.notify_one();
                      });
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return done; });
    return status.ok() && response.Length() > 0;
  };
  auto typed_call = [&]() -> bool {
    std::unique_ptr<grpc::ClientContext> context = client.Context();
    v1::GetMeRequest request;
    request.set_account("accounts/raw-bench");
    v1::User response;
    return client.users->GetMe(context.get(), request, &response).ok() && response.id() != 0;
  };
  for (int i = 0; i < 50; ++i) raw_call(), typed_call();  // warm-up
  std::vector<double> raw_ms, typed_ms;
  int errors = 0;
  for (int i = 0; i < calls; ++i) {
    for (int which = 0; which < 2; ++which) {
      const Clock::time_point start = Clock::now();
      const bool ok = (which == 0) == (i % 2 == 0) ? raw_call() : typed_call();
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (!ok) ++errors;
      (((which == 0) == (i % 2 == 0)) ? raw_ms : typed_ms).push_back(ms);
    }
  }
  const double raw50 = Percentile(raw_ms, 0.5), raw99 = Percentile(raw_ms, 0.99);
  const double typed50 = Percentile(typed_ms, 0.5), typed99 = Percentile(typed_ms, 0.99);
  std::printf(
      "\nlatency, users.getFullUser(self) through tgrpcd, %d calls each, one at a time:\n"
      "  typed UserService.GetMe           p50 %.3f ms  p99 %.3f ms\n"
      "  raw UsersService/GetFullUser      p50 %.3f ms  p99 %.3f ms\n"
      "  raw - typed                       p50 %+.3f ms  p99 %+.3f ms  (errors %d)\n",
      calls, typed50, typed99, raw50, raw99, raw50 - typed50, raw99 - typed99, errors);
  (*child)->Signal(SIGTERM);
  return errors == 0 ? 0 : 1;
}

int Run(int argc, char** argv) {
  Args args(argc, argv);
  const double seconds = args.TakeDouble("seconds", 2);
  const int calls = static_cast<int>(args.TakeInt("calls", 2000));
  if (!args.Leftover().empty()) {
    std::fprintf(stderr, "unknown flags: %s\nusage: raw_api_bench [--seconds=2] [--calls=2000]\n",
                 absl::StrJoin(args.Leftover(), ", ").c_str());
    return 2;
  }
  if (absl::Status s = crash::EnterRunfiles(argv[0]); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (int rc = Conversion(seconds); rc != 0) return rc;
  return Latency(calls);
}

}  // namespace
}  // namespace tgrpc::tgrpcd_bench

int main(int argc, char** argv) { return tgrpc::tgrpcd_bench::Run(argc, argv); }
