// A FIFO of received bytes that frames are parsed from: append at the back, consume at the front,
// amortised O(1) per byte however the input is split.
#ifndef TGRPC_MTPROTO_TRANSPORT_RECEIVE_BUFFER_H_
#define TGRPC_MTPROTO_TRANSPORT_RECEIVE_BUFFER_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace tgrpc::mtproto::transport {

class ReceiveBuffer {
 public:
  void Append(absl::string_view bytes);

  // The unconsumed bytes; valid until the next Append or Consume.
  absl::string_view View() const { return absl::string_view(data_).substr(start_); }
  size_t size() const { return data_.size() - start_; }
  bool empty() const { return size() == 0; }

  // Drops the first `n` bytes; `n` must not exceed size().
  void Consume(size_t n);

 private:
  static constexpr size_t kRetainedCapacity = size_t{1} << 20;

  std::string data_;
  size_t start_ = 0;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_RECEIVE_BUFFER_H_
