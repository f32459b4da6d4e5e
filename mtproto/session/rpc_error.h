// A Telegram rpc_error as a typed value. Error messages carry an argument inside the name
// (FLOOD_WAIT_42, PHONE_MIGRATE_2, FILE_PART_3_MISSING); the split follows the naming of
// tl/schema/errors.tsv, where the argument is written %d.
#ifndef TGRPC_MTPROTO_SESSION_RPC_ERROR_H_
#define TGRPC_MTPROTO_SESSION_RPC_ERROR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace tgrpc::mtproto::session {

struct RpcError {
  // 303, 400, 401, 403, 406, 420, 500, ... (negative for some internal errors).
  int32_t code = 0;
  // As received, e.g. "FLOOD_WAIT_42".
  std::string message;
  // The message without its numeric argument: "FLOOD_WAIT", "FILE_PART_MISSING".
  std::string type;
  // The numeric argument, if the message has one: 42.
  std::optional<int64_t> argument;
  // The message with the argument written %d, as errors.tsv names it: "FLOOD_WAIT_%d".
  std::string pattern;

  std::string ToString() const;
  friend bool operator==(const RpcError&, const RpcError&) = default;
};

// Splits `message` into type and argument. The argument is the last '_'-separated word (never the
// first) that starts with a digit and has only capital letters after its digits
// ("..._WAIT_5MIN"); a word with letters first ("INVALID2") is part of the type.
RpcError ParseRpcError(int32_t code, absl::string_view message);

}  // namespace tgrpc::mtproto::session

#endif  // TGRPC_MTPROTO_SESSION_RPC_ERROR_H_
