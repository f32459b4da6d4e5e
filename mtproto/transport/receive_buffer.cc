#include "mtproto/transport/receive_buffer.h"

#include <algorithm>

namespace tgrpc::mtproto::transport {

void ReceiveBuffer::Append(absl::string_view bytes) {
  // Reclaim consumed space only when it dominates, so each byte moves O(1) times on average.
  if (start_ > 0 && start_ >= data_.size() / 2) {
    data_.erase(0, start_);
    start_ = 0;
  }
  data_.append(bytes.data(), bytes.size());
}

void ReceiveBuffer::Consume(size_t n) {
  start_ += std::min(n, size());
  if (start_ == data_.size()) {
    // After a large frame, give the memory back instead of holding it per idle connection.
    if (data_.capacity() > kRetainedCapacity) {
      std::string().swap(data_);
    } else {
      data_.clear();
    }
    start_ = 0;
  }
}

}  // namespace tgrpc::mtproto::transport
