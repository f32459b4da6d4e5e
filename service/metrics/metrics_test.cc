#include "service/metrics/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/byte_buffer.h"
#include "gtest/gtest.h"
#include "service/metrics/metrics_test_service.grpc.pb.h"

namespace tgrpc::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Optional;
using Labels = std::map<std::string, std::string>;
namespace pb = ::tgrpc_metrics_test;

constexpr char kEchoService[] = "tgrpc_metrics_test.Echo";
// Served by the generic service, its type known only from RegisterMethodType.
constexpr char kRawService[] = "tgrpc.test.Raw";
constexpr char kRawMethod[] = "/tgrpc.test.Raw/Echo";

class EchoService final : public pb::Echo::CallbackService {
  grpc::ServerUnaryReactor* Say(grpc::CallbackServerContext* context,
                                const pb::EchoRequest* request, pb::EchoReply* reply) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (request->text() == "missing") {
      reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such text"));
    } else {
      reply->set_text(request->text());
      reactor->Finish(grpc::Status::OK);
    }
    return reactor;
  }

  grpc::ServerWriteReactor<pb::EchoReply>* Repeat(grpc::CallbackServerContext* context,
                                                  const pb::EchoRequest* request) override {
    class Writer final : public grpc::ServerWriteReactor<pb::EchoReply> {
     public:
      Writer(const std::string& text, int replies) : remaining_(replies) {
        reply_.set_text(text);
        if (replies >= 0) Next();
      }
      void OnWriteDone(bool ok) override {
        if (ok) Next();
      }
      void OnCancel() override { Finish(grpc::Status::CANCELLED); }
      void OnDone() override { delete this; }

     private:
      void Next() {
        if (remaining_-- > 0) {
          StartWrite(&reply_);
        } else {
          Finish(grpc::Status::OK);
        }
      }
      pb::EchoReply reply_;
      int remaining_;
    };
    return new Writer(request->text(), request->replies());
  }
};

// Echoes one message on kRawMethod; any other path gets the default UNIMPLEMENTED.
class RawService final : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    if (context->method() != kRawMethod) {
      return grpc::CallbackGenericService::CreateReactor(context);
    }
    class Echo final : public grpc::ServerGenericBidiReactor {
     public:
      Echo() { StartRead(&buffer_); }
      void OnReadDone(bool ok) override {
        if (!ok) {
          Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
          return;
        }
        StartWriteAndFinish(&buffer_, grpc::WriteOptions(), grpc::Status::OK);
      }
      void OnDone() override { delete this; }

     private:
      grpc::ByteBuffer buffer_;
    };
    return new Echo;
  }
};

// The value of one series in a text exposition: the line with exactly this name and label set.
std::optional<double> SeriesValue(absl::string_view text, absl::string_view name,
                                  const Labels& labels) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == absl::string_view::npos || line.substr(0, name_end) != name) continue;
    Labels found;
    size_t value_start = name_end + 1;
    if (line[name_end] == '{') {
      const size_t close = line.find('}', name_end);
      if (close == absl::string_view::npos) continue;
      // Our label values never hold commas or quotes, so a plain split is enough.
      for (absl::string_view pair :
           absl::StrSplit(line.substr(name_end + 1, close - name_end - 1), ',')) {
        const size_t eq = pair.find('=');
        if (eq == absl::string_view::npos || pair.size() < eq + 3) continue;
        found[std::string(pair.substr(0, eq))] =
            std::string(pair.substr(eq + 2, pair.size() - eq - 3));
      }
      value_start = close + 2;
    }
    if (found != labels) continue;
    double value = 0;
    if (value_start > line.size() || !absl::SimpleAtod(line.substr(value_start), &value)) {
      return std::nullopt;
    }
    return value;
  }
  return std::nullopt;
}

// GET /metrics over a plain socket: what Prometheus itself does, without an HTTP library.
std::string HttpGetMetrics(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ADD_FAILURE() << "connect to 127.0.0.1:" << port << " failed";
    close(fd);
    return "";
  }
  // HTTP/1.0: the server closes after the response, so reading to EOF reads it whole.
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
  close(fd);
  const size_t body = response.find("\r\n\r\n");
  EXPECT_NE(body, std::string::npos) << response;
  EXPECT_THAT(response.substr(0, response.find("\r\n")), HasSubstr(" 200 "));
  return body == std::string::npos ? "" : response.substr(body + 4);
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(metrics_.RegisterMethodType(kRawMethod, "unary").ok());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&echo_);
    builder.RegisterCallbackGenericService(&raw_);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(metrics_.NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    const std::shared_ptr<grpc::Channel> channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    stub_ = pb::Echo::NewStub(channel);
    generic_stub_ = std::make_unique<grpc::GenericStub>(channel);

    ASSERT_TRUE(metrics_.StartExposer("127.0.0.1:0").ok());
    ASSERT_GT(metrics_.port(), 0);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  grpc::Status Say(const std::string& text) {
    grpc::ClientContext context;
    pb::EchoRequest request;
    request.set_text(text);
    pb::EchoReply reply;
    return stub_->Say(&context, request, &reply);
  }

  grpc::Status CallGeneric(const std::string& method) {
    grpc::ClientContext context;
    const std::string text = "raw bytes";
    const grpc::Slice slice(text);
    const grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    generic_stub_->UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                             [&done](grpc::Status status) { done.set_value(std::move(status)); });
    return done.get_future().get();
  }

  Labels Rpc(const std::string& service, const std::string& method, const std::string& type) {
    return {{"grpc_service", service}, {"grpc_method", method}, {"grpc_type", type}};
  }

  Labels Handled(const std::string& service, const std::string& method, const std::string& type,
                 const std::string& code) {
    Labels labels = Rpc(service, method, type);
    labels["grpc_code"] = code;
    return labels;
  }

  Metrics metrics_;
  EchoService echo_;
  RawService raw_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<pb::Echo::Stub> stub_;
  std::unique_ptr<grpc::GenericStub> generic_stub_;
};

TEST_F(MetricsTest, CountsUnaryCallsByCode) {
  ASSERT_TRUE(Say("hello").ok());
  ASSERT_TRUE(Say("again").ok());
  ASSERT_EQ(Say("missing").error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string text = HttpGetMetrics(metrics_.port());
  const Labels say = Rpc(kEchoService, "Say", "unary");
  EXPECT_THAT(SeriesValue(text, "grpc_server_started_total", say), Optional(3.0)) << text;
  EXPECT_THAT(
      SeriesValue(text, "grpc_server_handled_total", Handled(kEchoService, "Say", "unary", "OK")),
      Optional(2.0));
  EXPECT_THAT(SeriesValue(text, "grpc_server_handled_total",
                          Handled(kEchoService, "Say", "unary", "NOT_FOUND")),
              Optional(1.0));
  EXPECT_THAT(SeriesValue(text, "grpc_server_msg_received_total", say), Optional(3.0));
  // The failed call sent no reply.
  EXPECT_THAT(SeriesValue(text, "grpc_server_msg_sent_total", say), Optional(2.0));
  EXPECT_THAT(SeriesValue(text, "grpc_server_handling_seconds_count", say), Optional(3.0));
  Labels inf = say;
  inf["le"] = "+Inf";
  EXPECT_THAT(SeriesValue(text, "grpc_server_handling_seconds_bucket", inf), Optional(3.0));
}

TEST_F(MetricsTest, TakesTheStreamingTypeFromTheRegistration) {
  grpc::ClientContext context;
  pb::EchoRequest request;
  request.set_text("tick");
  request.set_replies(3);
  std::unique_ptr<grpc::ClientReader<pb::EchoReply>> reader = stub_->Repeat(&context, request);
  pb::EchoReply reply;
  int replies = 0;
  while (reader->Read(&reply)) ++replies;
  ASSERT_TRUE(reader->Finish().ok());
  ASSERT_EQ(replies, 3);

  const std::string text = HttpGetMetrics(metrics_.port());
  const Labels repeat = Rpc(kEchoService, "Repeat", "server_stream");
  EXPECT_THAT(SeriesValue(text, "grpc_server_started_total", repeat), Optional(1.0)) << text;
  EXPECT_THAT(SeriesValue(text, "grpc_server_msg_received_total", repeat), Optional(1.0));
  EXPECT_THAT(SeriesValue(text, "grpc_server_msg_sent_total", repeat), Optional(3.0));
  EXPECT_THAT(SeriesValue(text, "grpc_server_handled_total",
                          Handled(kEchoService, "Repeat", "server_stream", "OK")),
              Optional(1.0));
}

TEST_F(MetricsTest, CountsACancelledCall) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  pb::EchoRequest request;
  request.set_replies(-1);  // held until cancelled
  std::unique_ptr<grpc::ClientReader<pb::EchoReply>> reader = stub_->Repeat(&context, request);
  pb::EchoReply reply;
  EXPECT_FALSE(reader->Read(&reply));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  // The server learns of the cancellation after the client gave up: wait for it to count.
  const Labels cancelled = Handled(kEchoService, "Repeat", "server_stream", "CANCELLED");
  std::string text;
  for (int attempt = 0; attempt < 100; ++attempt) {
    text = metrics_.Scrape();
    if (SeriesValue(text, "grpc_server_handled_total", cancelled).has_value()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_THAT(SeriesValue(text, "grpc_server_handled_total", cancelled), Optional(1.0)) << text;
}

TEST_F(MetricsTest, GenericMethodsTakeTheRegisteredTypeAndUnknownPathsStayOutOfLabels) {
  ASSERT_TRUE(CallGeneric(kRawMethod).ok());
  ASSERT_EQ(CallGeneric("/attacker.Chosen/Path123").error_code(), grpc::StatusCode::UNIMPLEMENTED);
  ASSERT_EQ(CallGeneric("/attacker.Chosen/Path456").error_code(), grpc::StatusCode::UNIMPLEMENTED);

  const std::string text = HttpGetMetrics(metrics_.port());
  EXPECT_THAT(
      SeriesValue(text, "grpc_server_handled_total", Handled(kRawService, "Echo", "unary", "OK")),
      Optional(1.0))
      << text;
  EXPECT_THAT(SeriesValue(text, "grpc_server_msg_sent_total", Rpc(kRawService, "Echo", "unary")),
              Optional(1.0));
  // The generic service's registration says bidi_stream; the path itself is not a label value.
  EXPECT_THAT(SeriesValue(text, "grpc_server_handled_total",
                          Handled("unknown", "unknown", "bidi_stream", "UNIMPLEMENTED")),
              Optional(2.0));
  EXPECT_THAT(text, Not(HasSubstr("attacker")));
  EXPECT_THAT(text, Not(HasSubstr("Path123")));
}

TEST(MetricsRegistrationTest, RejectsMalformedMethodsAndTypes) {
  Metrics metrics;
  EXPECT_TRUE(metrics.RegisterMethodType("/a.B/C", "client_stream").ok());
  EXPECT_EQ(metrics.RegisterMethodType("a.B/C", "unary").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(metrics.RegisterMethodType("/a.B/", "unary").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(metrics.RegisterMethodType("/a.B/C", "streaming").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MetricsExposerTest, StartsOnceAndReportsBindFailures) {
  Metrics metrics;
  EXPECT_EQ(metrics.port(), 0);
  ASSERT_TRUE(metrics.StartExposer("127.0.0.1:0").ok());
  const int port = metrics.port();
  EXPECT_GT(port, 0);
  EXPECT_EQ(metrics.StartExposer("127.0.0.1:0").code(), absl::StatusCode::kFailedPrecondition);

  // The port is taken now.
  Metrics other;
  EXPECT_FALSE(other.StartExposer(absl::StrCat("127.0.0.1:", port)).ok());
  EXPECT_EQ(other.port(), 0);
}

// Every domain call, with the values the service will pass.
void ObserveEverything(Metrics& metrics) {
  metrics.ObserveMtprotoCall("messages.sendMessage", 2, "ok", 0.03);
  metrics.ObserveMtprotoCall("messages.sendMessage", 2, "ok", 0.07);
  metrics.ObserveMtprotoCall("messages.sendMessage", 2, "FLOOD_WAIT", 0.01);
  metrics.ObserveMtprotoCall("users.getFullUser", 4, "DEADLINE_EXCEEDED", 12);
  metrics.ObserveFloodWait("messages.sendMessage", 30);
  metrics.ObserveFloodWait("messages.sendMessage", 12.5);
  metrics.ObserveMigration(2, 4);
  metrics.ObserveUpdates("logged", 40);
  metrics.ObserveUpdates("logged", 2);
  metrics.ObserveUpdates("gap", 1);
  metrics.ObserveUpdates("difference", 0);  // nothing: no series
  metrics.ObserveReconnect(4);
  metrics.ObserveReconnect(4);
  metrics.AddBytes(true, 1000);
  metrics.AddBytes(true, 24);
  metrics.AddBytes(false, 4096);
  metrics.SessionStateChanged(2, "", "connecting");
  metrics.SessionStateChanged(2, "connecting", "ready");
  metrics.SessionStateChanged(2, "", "connecting");
  metrics.SessionStateChanged(4, "", "connecting");
  metrics.SessionStateChanged(4, "connecting", "ready");
  metrics.SessionStateChanged(4, "ready", "");
  metrics.SetAccounts({{"ready", 3}, {"waiting_code", 1}});
  metrics.SetAccounts({{"ready", 4}});
}

TEST_F(MetricsTest, RecordsDomainMetrics) {
  ObserveEverything(metrics_);
  const std::string text = HttpGetMetrics(metrics_.port());

  const auto calls = [&](const std::string& method, const std::string& dc,
                         const std::string& result) {
    return SeriesValue(text, "tgrpc_mtproto_calls_total",
                       {{"method", method}, {"dc", dc}, {"result", result}});
  };
  EXPECT_THAT(calls("messages.sendMessage", "2", "ok"), Optional(2.0)) << text;
  EXPECT_THAT(calls("messages.sendMessage", "2", "FLOOD_WAIT"), Optional(1.0));
  EXPECT_THAT(calls("users.getFullUser", "4", "DEADLINE_EXCEEDED"), Optional(1.0));
  EXPECT_THAT(
      SeriesValue(text, "tgrpc_mtproto_call_seconds_count", {{"method", "messages.sendMessage"}}),
      Optional(3.0));
  EXPECT_THAT(
      SeriesValue(text, "tgrpc_mtproto_call_seconds_sum", {{"method", "users.getFullUser"}}),
      Optional(12.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_mtproto_call_seconds_bucket",
                          {{"method", "users.getFullUser"}, {"le", "10"}}),
              Optional(0.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_mtproto_call_seconds_bucket",
                          {{"method", "users.getFullUser"}, {"le", "30"}}),
              Optional(1.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_flood_waits_total", {{"method", "messages.sendMessage"}}),
              Optional(2.0));
  EXPECT_THAT(
      SeriesValue(text, "tgrpc_flood_wait_seconds_total", {{"method", "messages.sendMessage"}}),
      Optional(42.5));
  EXPECT_THAT(SeriesValue(text, "tgrpc_migrations_total", {{"to_dc", "4"}}), Optional(1.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_update_events_total", {{"event", "logged"}}),
              Optional(42.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_update_events_total", {{"event", "gap"}}), Optional(1.0));
  EXPECT_EQ(SeriesValue(text, "tgrpc_update_events_total", {{"event", "difference"}}),
            std::nullopt);
  EXPECT_THAT(SeriesValue(text, "tgrpc_reconnects_total", {{"dc", "4"}}), Optional(2.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_mtproto_bytes_total", {{"direction", "sent"}}),
              Optional(1024.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_mtproto_bytes_total", {{"direction", "received"}}),
              Optional(4096.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_sessions", {{"dc", "2"}, {"state", "ready"}}),
              Optional(1.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_sessions", {{"dc", "2"}, {"state", "connecting"}}),
              Optional(1.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_sessions", {{"dc", "4"}, {"state", "connecting"}}),
              Optional(0.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_sessions", {{"dc", "4"}, {"state", "ready"}}),
              Optional(0.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_accounts", {{"state", "ready"}}), Optional(4.0));
  // Set whole: a state that emptied reads 0 rather than its last count.
  EXPECT_THAT(SeriesValue(text, "tgrpc_accounts", {{"state", "waiting_code"}}), Optional(0.0));

  // Scrape() serves the same registry.
  EXPECT_THAT(SeriesValue(metrics_.Scrape(), "tgrpc_flood_waits_total",
                          {{"method", "messages.sendMessage"}}),
              Optional(2.0));
}

TEST(MetricsLabelTest, KeepsLabelValuesBounded) {
  Metrics metrics;
  // A raw error message instead of its type: the number must not make a series of its own.
  metrics.ObserveMtprotoCall("messages.sendMessage", 2, "FLOOD_WAIT_42", 0.01);
  metrics.ObserveMtprotoCall("messages.sendMessage", 2, "FLOOD_WAIT_43", 0.01);
  metrics.ObserveMtprotoCall("upload.saveFilePart", 2, "FILE_PART_5_MISSING", 0.01);
  // Anything that is not a short word (a user's text, say) folds into "other".
  metrics.ObserveFloodWait("hello world\"}\n", 1);
  metrics.ObserveFloodWait(std::string(65, 'a'), 1);
  metrics.SetAccounts({{"", 1}, {"a b", 2}});

  const std::string text = metrics.Scrape();
  EXPECT_THAT(
      SeriesValue(text, "tgrpc_mtproto_calls_total",
                  {{"method", "messages.sendMessage"}, {"dc", "2"}, {"result", "FLOOD_WAIT_X"}}),
      Optional(2.0))
      << text;
  EXPECT_THAT(
      SeriesValue(
          text, "tgrpc_mtproto_calls_total",
          {{"method", "upload.saveFilePart"}, {"dc", "2"}, {"result", "FILE_PART_X_MISSING"}}),
      Optional(1.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_flood_waits_total", {{"method", "other"}}), Optional(2.0));
  EXPECT_THAT(SeriesValue(text, "tgrpc_accounts", {{"state", "other"}}), Optional(3.0));
  EXPECT_THAT(text, Not(HasSubstr("hello")));
}

// The whole exposition, gRPC and domain families and the exposer's own, as Prometheus gets it,
// passes Prometheus's own linter.
TEST_F(MetricsTest, ExpositionPassesPromtool) {
  constexpr char kPromtool[] = "/usr/bin/promtool";
  ASSERT_EQ(access(kPromtool, X_OK), 0)
      << kPromtool << " is missing: install Debian's prometheus package (deploy/setup.sh does)";

  ASSERT_TRUE(Say("hello").ok());
  ASSERT_EQ(Say("missing").error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(CallGeneric(kRawMethod).ok());
  ObserveEverything(metrics_);
  const std::string text = HttpGetMetrics(metrics_.port());
  ASSERT_THAT(text, HasSubstr("grpc_server_handled_total"));
  ASSERT_THAT(text, HasSubstr("tgrpc_accounts"));

  const char* tmpdir = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(tmpdir != nullptr ? tmpdir : "/tmp", "/metrics.txt");
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  const CommandResult result = RunShell(absl::StrCat(kPromtool, " check metrics < ", path));
  std::cout << "promtool check metrics: exit " << result.exit_code << ", output: \""
            << result.output << "\"\n";
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "") << text;
}

}  // namespace
}  // namespace tgrpc::service
