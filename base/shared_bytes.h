// SharedBytes: an immutable byte string that copies by reference count. A call's body is kept
// by every layer it passes (the invoker for a retry on another session, the connection for a
// resend after a reconnect, the session for a resend under a new msg_id); with SharedBytes they
// share one buffer, so an upload's 512 KiB part is not copied three times before it is
// encrypted.
#ifndef TGRPC_BASE_SHARED_BYTES_H_
#define TGRPC_BASE_SHARED_BYTES_H_

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace tgrpc::base {

class SharedBytes {
 public:
  SharedBytes() = default;
  // Implicit: a std::string goes wherever SharedBytes is taken. An rvalue is moved in, not
  // copied.
  SharedBytes(std::string bytes)  // NOLINT(google-explicit-constructor)
      : bytes_(bytes.empty() ? nullptr : std::make_shared<const std::string>(std::move(bytes))) {}
  SharedBytes(const char* bytes)  // NOLINT(google-explicit-constructor)
      : SharedBytes(std::string(bytes)) {}

  absl::string_view view() const { return bytes_ == nullptr ? absl::string_view() : *bytes_; }
  operator absl::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  const char* data() const { return view().data(); }
  size_t size() const { return bytes_ == nullptr ? 0 : bytes_->size(); }
  bool empty() const { return size() == 0; }
  // A copy of the bytes, for the rare caller that needs a string of its own.
  std::string str() const { return std::string(view()); }

  friend bool operator==(const SharedBytes& a, absl::string_view b) { return a.view() == b; }

 private:
  std::shared_ptr<const std::string> bytes_;
};

}  // namespace tgrpc::base

#endif  // TGRPC_BASE_SHARED_BYTES_H_
