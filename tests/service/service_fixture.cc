#include "tests/service/service_fixture.h"

#include <chrono>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "mtproto/crypto/rsa_key.h"
#include "service/server/server.h"
#include "tests/e2e/e2e_util.h"
#include "tests/fakedc/seed.h"

namespace tgrpc::service_test {

ServiceTest::ServiceTest() = default;
ServiceTest::~ServiceTest() = default;

void ServiceTest::SetUp() {
  fakedc::FakeDcOptions options;
  options.rsa_key_pem = e2e::ServerKeyPem();
  options.schema_dir = "tl/schema";
  options.big_channel_members = 450;
  ConfigureFakeDc(options);
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = fakedc::FakeDc::Start(std::move(options));
  ASSERT_TRUE(dc.ok()) << dc.status();
  dc_ = *std::move(dc);
  static int counter = 0;
  state_dir_ = absl::StrCat(getenv("TEST_TMPDIR"), "/tgrpc-", ::getpid(), "-", ++counter);
  StartServer();
}

void ServiceTest::TearDown() {
  StopServer();
  dc_.reset();
}

service::Config ServiceTest::BaseConfig(const std::string& state_dir) const {
  service::Config config;
  config.listen = "127.0.0.1:0";
  config.metrics_listen = "127.0.0.1:0";
  config.state_dir = state_dir;
  config.db = state_dir + "/tgrpc.db";
  config.key_file = state_dir + "/master.key";
  config.telegram = "sandbox";
  config.api_id = 1;
  config.api_hash = "e2e";
  config.tokens = {{kTokenA, "tenant-a"}, {kTokenB, "tenant-b"}};
  config.flood_wait_threshold = absl::Seconds(3);
  config.shutdown_grace = absl::Seconds(2);
  return config;
}

service::ServerOverrides ServiceTest::SandboxOverrides() const {
  service::ServerOverrides overrides;
  service::DcTable table;
  table.network = "sandbox";
  for (int id = 1; id <= 3; ++id) table.dcs[id] = {"127.0.0.1", dc_->port(id)};
  absl::StatusOr<mtproto::crypto::RsaPrivateKey> key =
      mtproto::crypto::RsaPrivateKey::FromPem(e2e::ServerKeyPem());
  EXPECT_TRUE(key.ok());
  if (key.ok()) table.keys.push_back(key->public_key());
  overrides.dcs = table;
  return overrides;
}

void ServiceTest::StartServer() {
  service::Config config = BaseConfig(state_dir_);
  Configure(config);
  service::ServerOverrides overrides = SandboxOverrides();
  absl::StatusOr<std::unique_ptr<service::TgrpcServer>> server =
      service::TgrpcServer::Start(config, overrides);
  ASSERT_TRUE(server.ok()) << server.status();
  server_ = *std::move(server);
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), Credentials());
  accounts_ = v1::AccountService::NewStub(channel_);
  users_ = v1::UserService::NewStub(channel_);
  bots_ = v1::BotService::NewStub(channel_);
  chats_ = v1::ChatService::NewStub(channel_);
  messages_ = v1::MessageService::NewStub(channel_);
  files_ = v1::FileService::NewStub(channel_);
  updates_ = v1::UpdateService::NewStub(channel_);
}

void ServiceTest::StopServer() {
  accounts_.reset();
  users_.reset();
  chats_.reset();
  messages_.reset();
  files_.reset();
  channel_.reset();
  server_.reset();
}

std::unique_ptr<grpc::ClientContext> ServiceTest::Context(const char* token, int seconds) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

v1::DownloadFileRequest ServiceTest::ByMessage(const std::string& message, int64_t offset,
                                               int64_t limit) {
  v1::DownloadFileRequest request;
  request.set_message(message);
  request.set_offset(offset);
  request.set_limit(limit);
  return request;
}

v1::UploadedFile ServiceTest::UploadBytes(const std::string& account, const std::string& name,
                                          absl::string_view data) {
  constexpr size_t kChunk = 1024 * 1024;
  v1::UploadedFile file;
  std::unique_ptr<grpc::ClientContext> context = Context(kTokenA, 60);
  auto writer = files_->UploadFile(context.get(), &file);
  v1::UploadFileRequest header;
  header.mutable_header()->set_account(account);
  header.mutable_header()->set_file_name(name);
  header.mutable_header()->set_size(static_cast<int64_t>(data.size()));
  bool open = writer->Write(header);
  for (size_t at = 0; open && at < data.size(); at += kChunk) {
    v1::UploadFileRequest chunk;
    chunk.set_chunk(std::string(data.substr(at, kChunk)));
    open = writer->Write(chunk);
  }
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  EXPECT_TRUE(status.ok()) << name << ": " << status.error_message();
  return file;
}

ServiceTest::Downloaded ServiceTest::Download(const v1::DownloadFileRequest& request,
                                              const char* token) {
  Downloaded out;
  std::unique_ptr<grpc::ClientContext> context = Context(token, 60);
  std::unique_ptr<grpc::ClientReader<v1::DownloadFileResponse>> reader =
      files_->DownloadFile(context.get(), request);
  v1::DownloadFileResponse response;
  while (reader->Read(&response)) {
    EXPECT_EQ(response.offset(), request.offset() + static_cast<int64_t>(out.data.size()));
    out.data += response.data();
    response.clear_data();
    out.responses.push_back(response);
  }
  out.status = reader->Finish();
  return out;
}

std::string ServiceTest::LastCode(const std::string& phone) {
  std::optional<std::string> code;
  dc_->Run([&](fakedc::World& world) { code = world.LastCode(phone); });
  return code.value_or("");
}

std::unique_ptr<grpc::ClientReader<v1::AccountStatus>> ServiceTest::WatchStatus(
    grpc::ClientContext* context, const std::string& name, v1::AccountStatus* first) {
  v1::GetAccountStatusRequest request;
  request.set_name(name);
  std::unique_ptr<grpc::ClientReader<v1::AccountStatus>> reader =
      accounts_->WatchAccountStatus(context, request);
  EXPECT_TRUE(reader->Read(first)) << "no first status";
  return reader;
}

void ServiceTest::SignIn(const std::string& id, const std::string& phone,
                         const std::string& password, const char* token) {
  v1::CreateAccountRequest create;
  create.set_account_id(id);
  create.mutable_account()->set_phone_number("+" + phone);
  v1::Account account;
  grpc::Status status = accounts_->CreateAccount(Context(token).get(), create, &account);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::StartLoginRequest start;
  start.set_name("accounts/" + id);
  v1::LoginState state;
  status = accounts_->StartLogin(Context(token).get(), start, &state);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(state.step(), v1::LoginState::CODE_SENT);
  v1::SubmitCodeRequest code;
  code.set_name("accounts/" + id);
  code.set_code(LastCode(phone));
  status = accounts_->SubmitCode(Context(token).get(), code, &state);
  ASSERT_TRUE(status.ok()) << status.error_message();
  if (!password.empty()) {
    ASSERT_EQ(state.step(), v1::LoginState::PASSWORD_NEEDED);
    v1::SubmitPasswordRequest submit;
    submit.set_name("accounts/" + id);
    submit.set_password(password);
    status = accounts_->SubmitPassword(Context(token).get(), submit, &state);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  ASSERT_EQ(state.step(), v1::LoginState::SIGNED_IN);
}

namespace {
google::rpc::Status DetailsOf(const grpc::Status& status) {
  google::rpc::Status details;
  details.ParseFromString(status.error_details());
  return details;
}
}  // namespace

std::string Reason(const grpc::Status& status) {
  const google::rpc::Status details = DetailsOf(status);
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

std::string BadField(const grpc::Status& status) {
  const google::rpc::Status details = DetailsOf(status);
  for (const auto& any : details.details()) {
    google::rpc::BadRequest bad;
    if (any.UnpackTo(&bad) && bad.field_violations_size() > 0) {
      return bad.field_violations(0).field();
    }
  }
  return "";
}

int64_t RetrySeconds(const grpc::Status& status) {
  const google::rpc::Status details = DetailsOf(status);
  for (const auto& any : details.details()) {
    google::rpc::RetryInfo retry;
    if (any.UnpackTo(&retry)) return retry.retry_delay().seconds();
  }
  return -1;
}

}  // namespace tgrpc::service_test
