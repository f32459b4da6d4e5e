#include "tests/e2e/e2e_util.h"

#include <iostream>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mtproto/crypto/rsa_key.h"

namespace tgrpc::e2e {

namespace api = tl::api;
using mtproto::net::ClientConnection;
using mtproto::net::ClientConnectionOptions;
using mtproto::net::LogLevel;

mtproto::crypto::RandomSource SeededRandom(uint64_t seed) {
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine](absl::Span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*engine)() >> 56);
  };
}

const std::string& ServerKeyPem() {
  static const std::string* pem = [] {
    absl::StatusOr<mtproto::crypto::RsaPrivateKey> key =
        mtproto::crypto::RsaPrivateKey::Generate(2048);
    absl::StatusOr<std::string> text = key.ok() ? key->ToPem() : key.status();
    if (!text.ok()) {
      std::cerr << "cannot make the server key: " << text.status() << "\n";
      std::abort();
    }
    return new std::string(*std::move(text));
  }();
  return *pem;
}

absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> StartFakeDc(fakedc::FakeDcOptions options) {
  options.rsa_key_pem = ServerKeyPem();
  options.schema_dir = "tl/schema";  // runfiles
  options.big_channel_members = 5;
  return fakedc::FakeDc::Start(std::move(options));
}

ClientConnectionOptions ConnectionOptions(uint16_t port, uint64_t seed, absl::string_view name) {
  ClientConnectionOptions options;
  options.port = port;
  options.dc_id = 2;
  absl::StatusOr<mtproto::crypto::RsaPrivateKey> key =
      mtproto::crypto::RsaPrivateKey::FromPem(ServerKeyPem());
  if (key.ok()) options.server_keys = {key->public_key()};
  options.random = SeededRandom(seed);
  options.log = [name = std::string(name)](LogLevel level, absl::string_view message) {
    static std::mutex mutex;
    std::lock_guard<std::mutex> lock(mutex);
    std::cerr << name << ": " << message << "\n";
  };
  return options;
}

bool WaitUntil(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + kGuard;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

absl::StatusOr<tl::Ptr<api::user>> SignIn(ClientConnection& connection, fakedc::FakeDc& dc,
                                          const std::string& phone) {
  absl::StatusOr<tl::Ptr<api::Config>> config = Await(
      connection.Call<api::help_getConfig>(*WithLayer(std::make_unique<api::help_getConfig>())));
  if (!config.ok()) return config.status();

  api::auth_sendCode send_code;
  send_code.phone_number = absl::StrCat("+", phone);
  send_code.api_id = 1;
  send_code.api_hash = "e2e";
  send_code.settings = std::make_unique<api::codeSettings>();
  absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent =
      Await(connection.Call<api::auth_sendCode>(send_code));
  if (!sent.ok()) return sent.status();
  const auto* sent_code = dynamic_cast<const api::auth_sentCode*>(sent->get());
  if (sent_code == nullptr) return absl::InternalError("auth.sendCode: not an auth.sentCode");

  std::optional<std::string> code;
  dc.Run([&](fakedc::World& world) { code = world.LastCode(phone); });
  if (!code.has_value()) return absl::InternalError("fakedc issued no code");

  api::auth_signIn sign_in;
  sign_in.phone_number = send_code.phone_number;
  sign_in.phone_code_hash = sent_code->phone_code_hash;
  sign_in.phone_code = *code;
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> authorization =
      Await(connection.Call<api::auth_signIn>(sign_in));
  if (!authorization.ok()) return authorization.status();
  auto* signed_in = dynamic_cast<api::auth_authorization*>(authorization->get());
  if (signed_in == nullptr) return absl::InternalError("auth.signIn: not an auth.authorization");
  auto* user = dynamic_cast<api::user*>(signed_in->user.get());
  if (user == nullptr) return absl::InternalError("auth.signIn: no user");
  signed_in->user.release();
  return tl::Ptr<api::user>(user);
}

}  // namespace tgrpc::e2e
