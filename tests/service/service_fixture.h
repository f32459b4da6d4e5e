// The end-to-end fixture for tgrpcd: a fakedc on 127.0.0.1 (port 0), a TgrpcServer in-process
// pointed at it (sandbox DC table, fakedc's key), two tenants with their tokens, and blocking
// stubs of every tgrpc.v1 service.
#ifndef TGRPC_TESTS_SERVICE_SERVICE_FIXTURE_H_
#define TGRPC_TESTS_SERVICE_SERVICE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "service/server/config.h"
#include "tests/fakedc/fakedc.h"
#include "tgrpc/v1/account.grpc.pb.h"
#include "tgrpc/v1/bot.grpc.pb.h"
#include "tgrpc/v1/chat.grpc.pb.h"
#include "tgrpc/v1/file.grpc.pb.h"
#include "tgrpc/v1/message.grpc.pb.h"
#include "tgrpc/v1/update.grpc.pb.h"
#include "tgrpc/v1/user.grpc.pb.h"

// The server itself is declared only (service/server/server.h is the costliest header to
// compile; a test that reaches into the server includes it).
namespace tgrpc::service {
struct ServerOverrides;
class TgrpcServer;
}  // namespace tgrpc::service

namespace tgrpc::service_test {

inline constexpr char kTokenA[] = "tenant-a-token-0123456789";
inline constexpr char kTokenB[] = "tenant-b-token-0123456789";

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest();
  ~ServiceTest() override;
  void SetUp() override;
  void TearDown() override;

  // (Re)starts tgrpcd on the same state directory.
  void StartServer();
  // What StartServer starts with (before Configure): a tgrpcd on 127.0.0.1, port 0, with its
  // state in `state_dir`, talking to dc_.
  service::Config BaseConfig(const std::string& state_dir) const;
  service::ServerOverrides SandboxOverrides() const;
  // fakedc's options a test changes before it starts (the CDN, ...).
  virtual void ConfigureFakeDc(fakedc::FakeDcOptions& options) {}
  // Settings a test changes before the server starts (TLS, ...).
  virtual void Configure(service::Config& config) {}
  // The channel's credentials (TLS tests replace them).
  virtual std::shared_ptr<grpc::ChannelCredentials> Credentials() {
    return grpc::InsecureChannelCredentials();
  }
  void StopServer();

  // A context with tenant A's (or B's) token and a deadline.
  std::unique_ptr<grpc::ClientContext> Context(const char* token = kTokenA, int seconds = 30);

  // A whole DownloadFile stream: the bytes, the responses without their data, the status. Each
  // response must start where the last one ended (checked).
  struct Downloaded {
    grpc::Status status;
    std::string data;
    std::vector<v1::DownloadFileResponse> responses;
  };
  Downloaded Download(const v1::DownloadFileRequest& request, const char* token = kTokenA);
  // A DownloadFile request for a message's media from `offset`, at most `limit` bytes (0: to
  // the end).
  static v1::DownloadFileRequest ByMessage(const std::string& message, int64_t offset = 0,
                                           int64_t limit = 0);
  // `data` uploaded by `account` ("accounts/{id}") as `name` in 1 MiB chunks, with tenant A's
  // token; fails the test unless UploadFile answers OK. Its answer.
  v1::UploadedFile UploadBytes(const std::string& account, const std::string& name,
                               absl::string_view data);

  // Creates accounts/{id} for `phone` and signs it in with the code fakedc issued (and the
  // password when given), as the tenant of `token`. Fails the test on any error.
  void SignIn(const std::string& id, const std::string& phone, const std::string& password = "",
              const char* token = kTokenA);
  // The code fakedc last issued for a phone (digits).
  std::string LastCode(const std::string& phone);
  // Opens WatchAccountStatus on account `name` and reads its first status into `first` (failing
  // the test if there is none).
  std::unique_ptr<grpc::ClientReader<v1::AccountStatus>> WatchStatus(grpc::ClientContext* context,
                                                                     const std::string& name,
                                                                     v1::AccountStatus* first);

  std::unique_ptr<fakedc::FakeDc> dc_;
  std::unique_ptr<service::TgrpcServer> server_;
  std::string state_dir_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AccountService::Stub> accounts_;
  std::unique_ptr<v1::UserService::Stub> users_;
  std::unique_ptr<v1::BotService::Stub> bots_;
  std::unique_ptr<v1::ChatService::Stub> chats_;
  std::unique_ptr<v1::MessageService::Stub> messages_;
  std::unique_ptr<v1::FileService::Stub> files_;
  std::unique_ptr<v1::UpdateService::Stub> updates_;
};

// The ErrorInfo reason in a status's details ("" if none).
std::string Reason(const grpc::Status& status);
// The first BadRequest field violation's field ("" if none).
std::string BadField(const grpc::Status& status);
// RetryInfo's delay in seconds (-1 if none).
int64_t RetrySeconds(const grpc::Status& status);

}  // namespace tgrpc::service_test

#endif  // TGRPC_TESTS_SERVICE_SERVICE_FIXTURE_H_
