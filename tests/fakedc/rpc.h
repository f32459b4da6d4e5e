// RPC plumbing of fakedc: Telegram-style errors, the context a method runs in, and a dispatcher
// that routes a decoded method (pinned layer) to its handler by constructor id and writes the
// typed result as TL bytes.
#ifndef TGRPC_TESTS_FAKEDC_RPC_H_
#define TGRPC_TESTS_FAKEDC_RPC_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tl/runtime/binary.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {

// A Telegram rpc_error carried in an absl::Status: the message is Telegram's error text
// ("PHONE_CODE_INVALID", "FLOOD_WAIT_3") and the numeric error_code rides in a payload.
absl::Status TelegramError(int32_t code, absl::string_view message);
// The rpc_error an arbitrary status becomes: Telegram errors as they are, anything else as
// 500 INTERNAL_SERVER_ERROR (an emulator bug, logged by the caller).
std::pair<int32_t, std::string> ToRpcError(const absl::Status& status);

inline absl::Status BadRequest(absl::string_view message) { return TelegramError(400, message); }
inline absl::Status Unauthorized(absl::string_view message) { return TelegramError(401, message); }
inline absl::Status FloodWait(int seconds) {
  return TelegramError(420, "FLOOD_WAIT_" + std::to_string(seconds));
}
inline absl::Status SeeOther(absl::string_view kind, int dc) {  // PHONE_MIGRATE_2, ...
  return TelegramError(303, std::string(kind) + "_MIGRATE_" + std::to_string(dc));
}

// Who is calling and how. Handlers read it and may update the signed-in user.
struct CallContext {
  int dc_id = 0;
  uint64_t auth_key_id = 0;  // the permanent key (a bound temporary key is resolved to it)
  uint64_t session_id = 0;
  int layer = 0;                 // the layer the client declared with invokeWithLayer
  int64_t user_id = 0;           // 0 while not signed in
  bool without_updates = false;  // invokeWithoutUpdates
  // For a handler that answers later (a button press waits for the bot's answer): takes the
  // call's reply, to be run once, on the server thread, with the result bytes or an error; the
  // handler then returns Deferred(). Not set outside the server (Dispatch in unit tests).
  std::function<std::function<void(absl::StatusOr<std::string>)>()> defer;
};

// What a handler returns once it took context.defer(): no answer now.
absl::Status Deferred();
bool IsDeferred(const absl::Status& status);

// context.defer() for method F: its reply takes the typed result. Null when the context cannot
// defer.
template <class F>
std::function<void(absl::StatusOr<typename F::Result>)> DeferReply(CallContext& context) {
  if (!context.defer) return nullptr;
  return [reply = context.defer()](absl::StatusOr<typename F::Result> result) {
    if (!result.ok()) return reply(result.status());
    std::string out;
    tl::Writer writer(&out);
    tl::Write(writer, *result);
    if (!writer.ok()) return reply(writer.status());
    reply(std::move(out));
  };
}

// Routes methods to handlers by constructor id. Not thread-safe to register; Dispatch is const.
class Dispatcher {
 public:
  // Result bytes, or a status (a Telegram error from TelegramError, or any other error).
  using RawHandler =
      std::function<absl::StatusOr<std::string>(const tl::Function& call, CallContext& context)>;

  // Registers `handler` for method F. It returns StatusOr<F::Result>.
  template <class F, class Handler>
  void On(Handler handler) {
    handlers_[F::kId] = {
        F::kName,
        [handler = std::move(handler)](const tl::Function& call,
                                       CallContext& context) -> absl::StatusOr<std::string> {
          absl::StatusOr<typename F::Result> result = handler(static_cast<const F&>(call), context);
          if (!result.ok()) return result.status();
          std::string out;
          tl::Writer writer(&out);
          tl::Write(writer, *result);
          if (!writer.ok()) return writer.status();
          return out;
        }};
  }

  // Checks that run before every handler, in the order added, with the method's name
  // ("messages.sendMessage"); the first error is the call's answer (USER_MIGRATE, FLOOD_WAIT).
  using Guard = std::function<absl::Status(absl::string_view method, const CallContext& context)>;
  void AddGuard(Guard guard) { guards_.push_back(std::move(guard)); }

  // Runs the guards and the handler for `call`; a method without one is 400
  // INPUT_METHOD_INVALID, as Telegram answers methods it does not know.
  absl::StatusOr<std::string> Dispatch(const tl::Function& call, CallContext& context) const;

  bool Handles(uint32_t id) const { return handlers_.count(id) != 0; }
  // The names of the methods handled, sorted (the emulator documents them from this).
  std::vector<std::string> MethodNames() const;

 private:
  struct Entry {
    const char* name;
    RawHandler handler;
  };
  std::map<uint32_t, Entry> handlers_;
  std::vector<Guard> guards_;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_RPC_H_
