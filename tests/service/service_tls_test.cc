// TLS and mutual TLS for callers (--tls_cert, --tls_key, --tls_client_ca): a CA, a server
// certificate for 127.0.0.1 and a client certificate are made with the openssl command at test
// time; a caller with the client certificate is served, one without it or without TLS is not.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/server/server.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Makes ca.pem, server.pem/server.key (for IP 127.0.0.1) and client.pem/client.key in `dir`.
bool MakeCertificates(const std::string& dir) {
  const std::string script = absl::StrCat(
      "set -e; cd '", dir, "'; ",
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=tgrpc-test-ca "
      "-keyout ca.key -out ca.pem 2>/dev/null; ",
      "printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext; ",
      "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key "
      "-out server.csr 2>/dev/null; ",
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-extfile server.ext -out server.pem 2>/dev/null; ",
      "openssl req -newkey rsa:2048 -nodes -subj /CN=caller -keyout client.key "
      "-out client.csr 2>/dev/null; ",
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
      "-out client.pem 2>/dev/null");
  return std::system(script.c_str()) == 0;
}

class TlsTest : public ServiceTest {
 protected:
  void SetUp() override {
    dir_ = std::string(getenv("TEST_TMPDIR")) + "/certs";
    ASSERT_EQ(std::system(("mkdir -p '" + dir_ + "'").c_str()), 0);
    ASSERT_TRUE(MakeCertificates(dir_)) << "openssl could not make the test certificates";
    ServiceTest::SetUp();
  }
  void Configure(service::Config& config) override {
    config.tls_cert = dir_ + "/server.pem";
    config.tls_key = dir_ + "/server.key";
    config.tls_client_ca = dir_ + "/ca.pem";
  }
  std::shared_ptr<grpc::ChannelCredentials> Credentials() override {
    return WithClientCertificate(true);
  }
  std::shared_ptr<grpc::ChannelCredentials> WithClientCertificate(bool with) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = Read(dir_ + "/ca.pem");
    if (with) {
      options.pem_cert_chain = Read(dir_ + "/client.pem");
      options.pem_private_key = Read(dir_ + "/client.key");
    }
    return grpc::SslCredentials(options);
  }
  grpc::Status ListAccountsOver(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), std::move(credentials));
    auto stub = v1::AccountService::NewStub(channel);
    v1::ListAccountsRequest request;
    v1::ListAccountsResponse response;
    return stub->ListAccounts(Context(kTokenA, 5).get(), request, &response);
  }
  std::string dir_;
};

TEST_F(TlsTest, OnlyCallersWithAClientCertificateAreServed) {
  EXPECT_TRUE(ListAccountsOver(WithClientCertificate(true)).ok());
  grpc::Status without = ListAccountsOver(WithClientCertificate(false));
  EXPECT_EQ(without.error_code(), grpc::StatusCode::UNAVAILABLE) << without.error_message();
  grpc::Status plain = ListAccountsOver(grpc::InsecureChannelCredentials());
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE) << plain.error_message();
  // Over mTLS the whole API works, sign-in included.
  SignIn("alice", fakedc::kSeedAlicePhone);
}

}  // namespace
}  // namespace tgrpc::service_test
