// Padded intermediate framing: intermediate with 0..15 random bytes appended to every payload and
// counted in the length, so lengths on the wire say less about the content. The receiver cannot
// tell padding from payload: decoded payloads include it and the MTProto layer, which knows its
// message length, ignores trailing bytes. Quick acks and transport errors are never padded. The
// 0xdddddddd connection marker is not part of this class.
#ifndef TGRPC_MTPROTO_TRANSPORT_PADDED_INTERMEDIATE_H_
#define TGRPC_MTPROTO_TRANSPORT_PADDED_INTERMEDIATE_H_

#include <cstddef>

#include "mtproto/crypto/random_source.h"
#include "mtproto/transport/frame.h"
#include "mtproto/transport/intermediate.h"

namespace tgrpc::mtproto::transport {

inline constexpr size_t kMaxPadding = 15;

class PaddedIntermediateFraming final : public IntermediateFraming {
 public:
  // Padding sizes and bytes come from `options.random`.
  PaddedIntermediateFraming(Role role, const FramingOptions& options);

 private:
  size_t PaddingSize() override;
  void FillPadding(char* data, size_t size) override;
  size_t MaxTrailingBytes() const override { return kMaxPadding; }

  crypto::RandomSource random_;
  size_t max_padding_;
};

}  // namespace tgrpc::mtproto::transport

#endif  // TGRPC_MTPROTO_TRANSPORT_PADDED_INTERMEDIATE_H_
