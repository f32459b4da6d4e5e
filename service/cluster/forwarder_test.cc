#include "service/cluster/forwarder.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "service/cluster/account_of_request.h"
#include "service/cluster/forwarder_test_service.grpc.pb.h"

namespace tgrpc::service::cluster {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using tgrpc_cluster_test::Echo;
using tgrpc_cluster_test::EchoReply;
using tgrpc_cluster_test::EchoRequest;

constexpr absl::Duration kWait = absl::Seconds(20);

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(30);
}

std::string Value(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                  const std::string& key) {
  auto it = metadata.find(key);
  return it == metadata.end() ? "<none>" : std::string(it->second.data(), it->second.size());
}

EchoRequest Request(const std::string& account, const std::string& behavior = "") {
  EchoRequest request;
  request.set_account(absl::StrCat("accounts/", account));
  request.set_behavior(behavior);
  return request;
}

// One replica's service: answers as "A" or "B", and says what it saw of each call.
class Backend final : public Echo::CallbackService {
 public:
  Backend(std::string name, bool misroutes) : name_(std::move(name)), misroutes_(misroutes) {}

  // Wait until `n` "hold" calls have arrived, or until `n` calls have been cancelled; false
  // after kWait.
  bool AwaitHeld(int n) { return Await(&held_, n); }
  bool AwaitCancelled(int n) { return Await(&cancelled_, n); }

  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, const EchoRequest* request,
                                  EchoReply* reply) override {
    Describe(context, reply);
    reply->set_payload(request->payload());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(Answer(context, *request));
    return reactor;
  }

  grpc::ServerWriteReactor<EchoReply>* ServerStream(grpc::CallbackServerContext* context,
                                                    const EchoRequest* request) override {
    class Writer final : public grpc::ServerWriteReactor<EchoReply> {
     public:
      Writer(Backend* backend, grpc::CallbackServerContext* context, const EchoRequest& request)
          : replies_(request.replies()) {
        backend->Describe(context, &reply_);
        if (request.behavior() == "reply_then_not_owner") {
          replies_ = 1;
          status_ = NotOwner(context);
        } else {
          status_ = backend->Answer(context, request);
          if (!status_.ok()) replies_ = 0;
        }
        Next();
      }
      void OnWriteDone(bool ok) override {
        if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
        Next();
      }
      void OnDone() override { delete this; }

     private:
      void Next() {
        if (sent_ == replies_) return Finish(status_);
        reply_.set_index(sent_++);
        StartWrite(&reply_);
      }
      EchoReply reply_;
      grpc::Status status_;
      int replies_ = 0;
      int sent_ = 0;
    };
    return new Writer(this, context, *request);
  }

  grpc::ServerReadReactor<EchoRequest>* ClientStream(grpc::CallbackServerContext* context,
                                                     EchoReply* reply) override {
    class Reader final : public grpc::ServerReadReactor<EchoRequest> {
     public:
      Reader(Backend* backend, grpc::CallbackServerContext* context, EchoReply* reply)
          : backend_(backend), context_(context), reply_(reply) {
        backend->Describe(context, reply);
        StartRead(&request_);
      }
      void OnReadDone(bool ok) override {
        if (!ok) return Finish(grpc::Status::OK);
        if (reply_->messages() == 0) {
          const grpc::Status status = backend_->Answer(context_, request_);
          if (!status.ok()) return Finish(status);
          misroute_later_ = request_.behavior() == "not_owner_later" && backend_->misroutes_;
        } else if (misroute_later_) {
          // The forwarder has sent the second message: it can no longer replay the call.
          return Finish(NotOwner(context_));
        }
        reply_->set_messages(reply_->messages() + 1);
        reply_->set_bytes(reply_->bytes() + static_cast<int64_t>(request_.payload().size()));
        StartRead(&request_);
      }
      void OnDone() override { delete this; }

     private:
      Backend* const backend_;
      grpc::CallbackServerContext* const context_;
      EchoReply* const reply_;
      EchoRequest request_;
      bool misroute_later_ = false;
    };
    return new Reader(this, context, reply);
  }

  grpc::ServerBidiReactor<EchoRequest, EchoReply>* Bidi(
      grpc::CallbackServerContext* context) override {
    class Echoer final : public grpc::ServerBidiReactor<EchoRequest, EchoReply> {
     public:
      Echoer(Backend* backend, grpc::CallbackServerContext* context)
          : backend_(backend), context_(context) {
        backend->Describe(context, &reply_);
        StartRead(&request_);
      }
      void OnReadDone(bool ok) override {
        if (!ok) return FinishOnce(grpc::Status::OK);
        if (reply_.index() == 0) {
          grpc::Status status = backend_->Answer(context_, request_);
          if (!status.ok()) return FinishOnce(std::move(status));
        }
        if (request_.behavior() == "hold") {
          absl::MutexLock lock(&backend_->mu_);
          ++backend_->held_;
          return;  // until OnCancel
        }
        reply_.set_payload(request_.payload());
        reply_.set_index(reply_.index() + 1);
        StartWrite(&reply_);
      }
      void OnWriteDone(bool ok) override {
        if (!ok) return FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
        StartRead(&request_);
      }
      void OnCancel() override {
        {
          absl::MutexLock lock(&backend_->mu_);
          ++backend_->cancelled_;
        }
        FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
      }
      void OnDone() override { delete this; }

     private:
      void FinishOnce(grpc::Status status) {
        {
          absl::MutexLock lock(&mu_);
          if (finished_) return;
          finished_ = true;
        }
        Finish(std::move(status));
      }
      Backend* const backend_;
      grpc::CallbackServerContext* const context_;
      EchoRequest request_;
      EchoReply reply_;
      absl::Mutex mu_;
      bool finished_ ABSL_GUARDED_BY(mu_) = false;
    };
    return new Echoer(this, context);
  }

 private:
  bool Await(const int* counter, int n) {
    absl::MutexLock lock(&mu_);
    auto enough = [counter, n]() { return *counter >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kWait);
  }

  static grpc::Status NotOwner(grpc::CallbackServerContext* context) {
    context->AddTrailingMetadata(kNotOwnerMetadataKey, "1");
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "not the owner");
  }

  void Describe(grpc::CallbackServerContext* context, EchoReply* reply) {
    reply->set_backend(name_);
    reply->set_authorization(Value(context->client_metadata(), "authorization"));
    reply->set_has_deadline(context->deadline() != std::chrono::system_clock::time_point::max());
    for (const auto& [key, value] : context->client_metadata()) {
      reply->add_metadata(
          absl::StrCat(absl::string_view(key.data(), key.size()), "=",
                       absl::CEscape(absl::string_view(value.data(), value.size()))));
    }
    context->AddInitialMetadata("x-backend", name_);
  }

  grpc::Status Answer(grpc::CallbackServerContext* context, const EchoRequest& request) {
    if (request.behavior() == "not_owner" && misroutes_) return NotOwner(context);
    if (request.behavior() != "error") return grpc::Status::OK;
    google::rpc::Status details;
    details.set_code(grpc::StatusCode::INVALID_ARGUMENT);
    details.set_message("payload is not acceptable");
    google::rpc::ErrorInfo info;
    info.set_reason("PAYLOAD_INVALID");
    info.set_domain("tgrpc.dev");
    details.add_details()->PackFrom(info);
    google::rpc::BadRequest bad;
    bad.add_field_violations()->set_field("payload");
    details.add_details()->PackFrom(bad);
    context->AddTrailingMetadata("x-trailer", "t-1");
    context->AddTrailingMetadata("x-trailer-bin", std::string("\x00\xff", 2));
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "payload is not acceptable",
                        details.SerializeAsString());
  }

  const std::string name_;
  const bool misroutes_;
  mutable absl::Mutex mu_;
  int held_ ABSL_GUARDED_BY(mu_) = 0;
  int cancelled_ ABSL_GUARDED_BY(mu_) = 0;
};

struct RouteRecord {
  std::string account;
  bool refresh = false;
};

class ForwarderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_server_ = Serve(&a_, &a_port_);
    b_server_ = Serve(&b_, &b_port_);
    a_channel_ = Channel(a_port_);
    b_channel_ = Channel(b_port_);
    // A replica that has gone away: its port is closed.
    Backend gone("C", false);
    int gone_port = 0;
    Serve(&gone, &gone_port)->Shutdown();
    gone_channel_ = Channel(gone_port);
    ForwarderOptions options;
    options.on_forward = [this](const std::string& replica, grpc::StatusCode code) {
      absl::MutexLock lock(&mu_);
      forwarded_.push_back(absl::StrCat(replica, ":", code));
    };
    forwarder_ = std::make_unique<Forwarder>(
        [this](const std::string& method, grpc::GenericCallbackServerContext* context,
               const grpc::ByteBuffer& first,
               bool refresh) { return Route(method, first, refresh); },
        std::move(options));
    int port = 0;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterCallbackGenericService(forwarder_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = Echo::NewStub(Channel(port));
  }

  void TearDown() override {
    server_->Shutdown();
    a_server_->Shutdown();
    b_server_->Shutdown();
  }

  static std::unique_ptr<grpc::Server> Serve(Backend* backend, int* port) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
    builder.RegisterService(backend);
    return builder.BuildAndStart();
  }

  static std::shared_ptr<grpc::Channel> Channel(int port) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                               grpc::InsecureChannelCredentials());
  }

  // Accounts starting with "b" live on B, the rest on A; "moving" is on B though A gets it
  // first (A answers "not the owner"), "stuck" always goes to A, "missing" has no owner, "gone"
  // goes to a replica that is down.
  absl::StatusOr<RouteTarget> Route(const std::string& method, const grpc::ByteBuffer& first,
                                    bool refresh) {
    absl::StatusOr<std::string> account = AccountOfRequest(method, first);
    if (!account.ok()) return account.status();
    {
      absl::MutexLock lock(&mu_);
      routes_.push_back({*account, refresh});
    }
    if (*account == "missing") return absl::NotFoundError("accounts/missing has no owner");
    if (*account == "gone") return RouteTarget{gone_channel_, "C"};
    if (absl::StartsWith(*account, "b") || (*account == "moving" && refresh)) {
      return RouteTarget{b_channel_, "B"};
    }
    return RouteTarget{a_channel_, "A"};
  }

  std::vector<std::string> RoutesOf(const std::string& account) {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> out;
    for (const RouteRecord& route : routes_) {
      if (route.account == account) out.push_back(route.refresh ? "refresh" : "first");
    }
    return out;
  }

  std::vector<std::string> Forwarded() {
    absl::MutexLock lock(&mu_);
    return forwarded_;
  }

  static void Authorize(grpc::ClientContext* context) {
    context->AddMetadata("authorization", "Bearer token-1");
    context->AddMetadata("x-custom", "v");
    context->AddMetadata("x-data-bin", std::string("\x00\x01\xff", 3));
    context->set_deadline(Deadline());
  }

  Backend a_{"A", /*misroutes=*/true};
  Backend b_{"B", /*misroutes=*/false};
  int a_port_ = 0;
  int b_port_ = 0;
  std::unique_ptr<grpc::Server> a_server_, b_server_, server_;
  std::shared_ptr<grpc::Channel> a_channel_, b_channel_, gone_channel_;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<Echo::Stub> stub_;
  absl::Mutex mu_;
  std::vector<RouteRecord> routes_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> forwarded_ ABSL_GUARDED_BY(mu_);
};

TEST_F(ForwarderTest, UnaryGoesToTheOwnerWithMetadataAndDeadline) {
  for (const auto& [account, backend] :
       std::vector<std::pair<std::string, std::string>>{{"a-1", "A"}, {"b-1", "B"}}) {
    grpc::ClientContext context;
    Authorize(&context);
    EchoRequest request = Request(account);
    request.set_payload("hello");
    EchoReply reply;
    const grpc::Status status = stub_->Unary(&context, request, &reply);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(reply.backend(), backend);
    EXPECT_EQ(reply.payload(), "hello");
    EXPECT_EQ(reply.authorization(), "Bearer token-1");
    EXPECT_TRUE(reply.has_deadline());
    EXPECT_THAT(reply.metadata(), Contains("x-custom=v"));
    EXPECT_THAT(reply.metadata(), Contains("x-data-bin=\\000\\001\\377"));
    // gRPC's own headers are the forwarder's call's, not copies of the caller's.
    int user_agents = 0;
    for (const std::string& entry : reply.metadata()) {
      user_agents += absl::StartsWith(entry, "user-agent=") ? 1 : 0;
      EXPECT_FALSE(absl::StartsWith(entry, "grpc-timeout=")) << entry;
    }
    EXPECT_LE(user_agents, 1);
    EXPECT_EQ(Value(context.GetServerInitialMetadata(), "x-backend"), backend);
  }
  EXPECT_THAT(Forwarded(), ElementsAre("A:0", "B:0"));
}

TEST_F(ForwarderTest, NoDeadlineStaysNone) {
  grpc::ClientContext context;
  EchoReply reply;
  ASSERT_TRUE(stub_->Unary(&context, Request("a-2"), &reply).ok());
  EXPECT_FALSE(reply.has_deadline());
}

TEST_F(ForwarderTest, ServerStreamRelaysEveryReply) {
  grpc::ClientContext context;
  Authorize(&context);
  EchoRequest request = Request("b-2");
  request.set_replies(5);
  std::unique_ptr<grpc::ClientReader<EchoReply>> reader = stub_->ServerStream(&context, request);
  std::vector<int> indexes;
  EchoReply reply;
  while (reader->Read(&reply)) {
    EXPECT_EQ(reply.backend(), "B");
    EXPECT_EQ(reply.authorization(), "Bearer token-1");
    indexes.push_back(reply.index());
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(indexes, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(Value(context.GetServerInitialMetadata(), "x-backend"), "B");
}

TEST_F(ForwarderTest, ClientStreamDeliversEveryMessage) {
  grpc::ClientContext context;
  Authorize(&context);
  EchoReply reply;
  std::unique_ptr<grpc::ClientWriter<EchoRequest>> writer = stub_->ClientStream(&context, &reply);
  EchoRequest first = Request("b-3");
  first.set_payload("12345");
  ASSERT_TRUE(writer->Write(first));
  EchoRequest more;
  more.set_payload("678");
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(writer->Write(more));
  ASSERT_TRUE(writer->WritesDone());
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(reply.backend(), "B");
  EXPECT_EQ(reply.messages(), 10);
  EXPECT_EQ(reply.bytes(), 5 + 9 * 3);
  EXPECT_EQ(reply.authorization(), "Bearer token-1");
}

TEST_F(ForwarderTest, EmptyClientStreamIsRoutedWithAnEmptyMessage) {
  grpc::ClientContext context;
  EchoReply reply;
  std::unique_ptr<grpc::ClientWriter<EchoRequest>> writer = stub_->ClientStream(&context, &reply);
  ASSERT_TRUE(writer->WritesDone());
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(reply.backend(), "A");
  EXPECT_EQ(reply.messages(), 0);
  EXPECT_THAT(RoutesOf(""), ElementsAre("first"));
}

TEST_F(ForwarderTest, BidiEchoesEachMessageInTurn) {
  grpc::ClientContext context;
  Authorize(&context);
  auto stream = stub_->Bidi(&context);
  for (int i = 0; i < 5; ++i) {
    EchoRequest request = Request("a-4");
    request.set_payload(absl::StrCat("m", i));
    ASSERT_TRUE(stream->Write(request));
    EchoReply reply;
    ASSERT_TRUE(stream->Read(&reply));
    EXPECT_EQ(reply.backend(), "A");
    EXPECT_EQ(reply.payload(), absl::StrCat("m", i));
    EXPECT_EQ(reply.index(), i + 1);
  }
  ASSERT_TRUE(stream->WritesDone());
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_THAT(RoutesOf("a-4"), ElementsAre("first"));
}

TEST_F(ForwarderTest, ErrorStatusDetailsAndTrailersAreRelayed) {
  grpc::ClientContext context;
  EchoReply reply;
  const grpc::Status status = stub_->Unary(&context, Request("b-5", "error"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "payload is not acceptable");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_EQ(details.details_size(), 2);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "PAYLOAD_INVALID");
  google::rpc::BadRequest bad;
  ASSERT_TRUE(details.details(1).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "payload");
  EXPECT_EQ(Value(context.GetServerTrailingMetadata(), "x-trailer"), "t-1");
  EXPECT_EQ(Value(context.GetServerTrailingMetadata(), "x-trailer-bin"),
            std::string("\x00\xff", 2));
  EXPECT_EQ(Value(context.GetServerInitialMetadata(), "x-backend"), "B");
  EXPECT_THAT(Forwarded(), ElementsAre("B:3"));
}

TEST_F(ForwarderTest, RouterErrorFinishesTheCall) {
  grpc::ClientContext context;
  EchoReply reply;
  const grpc::Status status = stub_->Unary(&context, Request("missing"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "accounts/missing has no owner");
  EXPECT_THAT(Forwarded(), ElementsAre(":5"));
}

TEST_F(ForwarderTest, MisroutedUnaryIsRetriedOnTheNewOwner) {
  grpc::ClientContext context;
  Authorize(&context);
  EchoRequest request = Request("moving", "not_owner");
  request.set_payload("p");
  EchoReply reply;
  const grpc::Status status = stub_->Unary(&context, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.backend(), "B");
  EXPECT_EQ(reply.payload(), "p");
  EXPECT_EQ(reply.authorization(), "Bearer token-1");
  // The answer's headers are the new owner's, not the misrouted attempt's.
  EXPECT_EQ(Value(context.GetServerInitialMetadata(), "x-backend"), "B");
  EXPECT_THAT(RoutesOf("moving"), ElementsAre("first", "refresh"));
  EXPECT_THAT(Forwarded(), ElementsAre("B:0"));
}

TEST_F(ForwarderTest, MisroutedServerStreamIsRetriedBeforeAnyReply) {
  grpc::ClientContext context;
  EchoRequest request = Request("moving", "not_owner");
  request.set_replies(3);
  auto reader = stub_->ServerStream(&context, request);
  std::vector<std::string> backends;
  EchoReply reply;
  while (reader->Read(&reply)) backends.push_back(reply.backend());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(backends, ElementsAre("B", "B", "B"));
  EXPECT_THAT(RoutesOf("moving"), ElementsAre("first", "refresh"));
}

TEST_F(ForwarderTest, MisroutedBidiIsRetriedWhileTheCallerAwaitsItsFirstAnswer) {
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  auto stream = stub_->Bidi(&context);
  EchoRequest request = Request("moving", "not_owner");
  request.set_payload("one");
  ASSERT_TRUE(stream->Write(request));
  EchoReply reply;
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.backend(), "B");
  EXPECT_EQ(reply.payload(), "one");
  EchoRequest next;
  next.set_payload("two");
  ASSERT_TRUE(stream->Write(next));
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.payload(), "two");
  EXPECT_EQ(reply.index(), 2);
  ASSERT_TRUE(stream->WritesDone());
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_THAT(RoutesOf("moving"), ElementsAre("first", "refresh"));
}

TEST_F(ForwarderTest, UnreachableOwnerIsUnavailableWithoutRetry) {
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  EchoReply reply;
  const grpc::Status status = stub_->Unary(&context, Request("gone"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(RoutesOf("gone"), ElementsAre("first"));
  EXPECT_THAT(Forwarded(), ElementsAre("C:14"));
}

TEST_F(ForwarderTest, MisrouteAfterAReplyIsRelayedNotRetried) {
  grpc::ClientContext context;
  EchoRequest request = Request("a-6", "reply_then_not_owner");
  auto reader = stub_->ServerStream(&context, request);
  int replies = 0;
  EchoReply reply;
  while (reader->Read(&reply)) ++replies;
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(replies, 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(Value(context.GetServerTrailingMetadata(), kNotOwnerMetadataKey), "<none>");
  EXPECT_THAT(RoutesOf("a-6"), ElementsAre("first"));
}

TEST_F(ForwarderTest, MisrouteAfterTheSecondMessageIsNotReplayed) {
  grpc::ClientContext context;
  EchoReply reply;
  auto writer = stub_->ClientStream(&context, &reply);
  writer->Write(Request("stuck", "not_owner_later"));
  EchoRequest more;
  more.set_payload("x");
  writer->Write(more);
  writer->Write(more);
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(RoutesOf("stuck"), ElementsAre("first"));
}

TEST_F(ForwarderTest, MisroutesStopAfterThreeAttempts) {
  grpc::ClientContext context;
  EchoReply reply;
  const grpc::Status status = stub_->Unary(&context, Request("stuck", "not_owner"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "not the owner");
  EXPECT_NE(Value(context.GetServerTrailingMetadata(), kNotOwnerMetadataKey), "<none>");
  EXPECT_THAT(RoutesOf("stuck"), ElementsAre("first", "refresh", "refresh"));
  EXPECT_THAT(Forwarded(), ElementsAre("A:14"));
}

TEST_F(ForwarderTest, CallerCancelCancelsTheBackendCall) {
  grpc::ClientContext context;
  auto stream = stub_->Bidi(&context);
  ASSERT_TRUE(stream->Write(Request("a-7", "hold")));
  ASSERT_TRUE(a_.AwaitHeld(1));
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(a_.AwaitCancelled(1));
}

TEST_F(ForwarderTest, CallerDeadlineEndsTheBackendCall) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  auto stream = stub_->Bidi(&context);
  stream->Write(Request("b-8", "hold"));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(b_.AwaitCancelled(1));
}

TEST_F(ForwarderTest, LargeClientStreamPassesWithBoundedBuffering) {
  constexpr int kChunks = 64;
  constexpr int kChunk = 1 << 20;
  grpc::ClientContext context;
  context.set_deadline(Deadline());
  EchoReply reply;
  auto writer = stub_->ClientStream(&context, &reply);
  EchoRequest chunk = Request("b-9");
  chunk.set_payload(std::string(kChunk, 'z'));
  for (int i = 0; i < kChunks; ++i) {
    ASSERT_TRUE(writer->Write(chunk)) << i;
    chunk.clear_account();
  }
  ASSERT_TRUE(writer->WritesDone());
  const grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.backend(), "B");
  EXPECT_EQ(reply.messages(), kChunks);
  EXPECT_EQ(reply.bytes(), int64_t{kChunks} * kChunk);
  EXPECT_GE(forwarder_->max_buffered_messages(), 1);
  EXPECT_LE(forwarder_->max_buffered_messages(), 2);
}

TEST_F(ForwarderTest, ConcurrentUnaryCallsAllSucceed) {
  constexpr int kCalls = 200;
  struct Pending {
    grpc::ClientContext context;
    EchoRequest request;
    EchoReply reply;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Pending>> calls;
  absl::Mutex mu;
  int done = 0;
  for (int i = 0; i < kCalls; ++i) {
    auto call = std::make_unique<Pending>();
    call->context.set_deadline(Deadline());
    call->request = Request(absl::StrCat(i % 2 == 0 ? "a-" : "b-", i));
    call->request.set_payload(absl::StrCat(i));
    Pending* p = call.get();
    calls.push_back(std::move(call));
    stub_->async()->Unary(&p->context, &p->request, &p->reply, [&mu, &done, p](grpc::Status s) {
      absl::MutexLock lock(&mu);
      p->status = std::move(s);
      ++done;
    });
  }
  {
    absl::MutexLock lock(&mu);
    auto all_done = [&done]() { return done == kCalls; };
    ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all_done), absl::Seconds(60)));
  }
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(calls[i]->status.ok()) << i << ": " << calls[i]->status.error_message();
    EXPECT_EQ(calls[i]->reply.backend(), i % 2 == 0 ? "A" : "B");
    EXPECT_EQ(calls[i]->reply.payload(), absl::StrCat(i));
  }
}

}  // namespace
}  // namespace tgrpc::service::cluster
