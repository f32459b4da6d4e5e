#include "tests/fakedc/rpc.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace tgrpc::fakedc {
namespace {

constexpr char kErrorCodePayload[] = "tgrpc.fakedc/error_code";

}  // namespace

absl::Status TelegramError(int32_t code, absl::string_view message) {
  absl::Status status(code == 420 || code == 429 ? absl::StatusCode::kResourceExhausted
                      : code == 401              ? absl::StatusCode::kUnauthenticated
                      : code == 403              ? absl::StatusCode::kPermissionDenied
                      : code == 303              ? absl::StatusCode::kUnavailable
                      : code >= 500              ? absl::StatusCode::kInternal
                                                 : absl::StatusCode::kInvalidArgument,
                      message);
  status.SetPayload(kErrorCodePayload, absl::Cord(absl::StrCat(code)));
  return status;
}

std::pair<int32_t, std::string> ToRpcError(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorCodePayload);
  int32_t code = 0;
  if (payload.has_value() && absl::SimpleAtoi(std::string(*payload), &code)) {
    return {code, std::string(status.message())};
  }
  return {500, "INTERNAL_SERVER_ERROR"};
}

absl::Status Deferred() { return absl::CancelledError("fakedc: answered later"); }

bool IsDeferred(const absl::Status& status) {
  return absl::IsCancelled(status) && status.message() == "fakedc: answered later";
}

absl::StatusOr<std::string> Dispatcher::Dispatch(const tl::Function& call,
                                                 CallContext& context) const {
  auto it = handlers_.find(call.tl_id());
  if (it == handlers_.end()) return BadRequest("INPUT_METHOD_INVALID");
  for (const Guard& guard : guards_) {
    if (absl::Status status = guard(it->second.name, context); !status.ok()) return status;
  }
  return it->second.handler(call, context);
}

std::vector<std::string> Dispatcher::MethodNames() const {
  std::vector<std::string> names;
  for (const auto& [id, entry] : handlers_) names.push_back(entry.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace tgrpc::fakedc
