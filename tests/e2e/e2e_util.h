// Shared pieces of the end-to-end tests: a fakedc with a fixed server key, connection options
// that trust it, the invokeWithLayer(initConnection(...)) wrapper, sign-in with a code read from
// fakedc's World, and waiting with a failure guard.
#ifndef TGRPC_TESTS_E2E_E2E_UTIL_H_
#define TGRPC_TESTS_E2E_E2E_UTIL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/net/client_connection.h"
#include "tests/e2e/with_layer.h"
#include "tests/fakedc/fakedc.h"
#include "tl/generated/api.h"

namespace tgrpc::e2e {

// Only a guard against hangs: no test waits this long unless it fails.
inline constexpr std::chrono::seconds kGuard{30};

mtproto::crypto::RandomSource SeededRandom(uint64_t seed);

// The server's RSA key (PEM), made once per process, so a restarted fakedc keeps its identity.
const std::string& ServerKeyPem();

// A fakedc on 127.0.0.1 (port 0 unless `options.ports` says otherwise) with the server key above,
// the pinned schema from the runfiles and a small seed world.
absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> StartFakeDc(fakedc::FakeDcOptions options = {});

// Options for a connection to DC 2 at `port` trusting the fakedc key, with every random byte
// from `seed` and the log on stderr prefixed with `name`.
mtproto::net::ClientConnectionOptions ConnectionOptions(uint16_t port, uint64_t seed,
                                                        absl::string_view name);

// WithLayer (invokeWithLayer(layer, initConnection(..., query)), a client's first call) comes
// from tests/e2e/with_layer.h, included above.

// Waits for a future, guarded by kGuard (DeadlineExceeded if it expires).
template <class T>
absl::StatusOr<T> Await(std::future<absl::StatusOr<T>> future) {
  if (future.wait_for(kGuard) != std::future_status::ready) {
    return absl::DeadlineExceededError("no answer within the test guard");
  }
  return future.get();
}

// Polls `done` until it holds or kGuard passes; returns whether it held.
bool WaitUntil(const std::function<bool()>& done);

// The first call (help.getConfig under WithLayer); then auth.sendCode, the code from fakedc's
// World, auth.signIn. Returns the signed-in user.
absl::StatusOr<tl::Ptr<tl::api::user>> SignIn(mtproto::net::ClientConnection& connection,
                                              fakedc::FakeDc& dc, const std::string& phone);

}  // namespace tgrpc::e2e

#endif  // TGRPC_TESTS_E2E_E2E_UTIL_H_
