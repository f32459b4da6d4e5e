// Fixed-width integer loads and stores in the byte orders the MTProto transports use on the wire.
// Internal to mtproto/transport.
#ifndef TGRPC_MTPROTO_TRANSPORT_BYTE_ORDER_H_
#define TGRPC_MTPROTO_TRANSPORT_BYTE_ORDER_H_

#include <cstdint>
#include <string>

namespace tgrpc::mtproto::transport::internal {

// Loads require at least as many bytes as they read; callers check sizes first.
inline uint32_t LoadLe32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
}

inline uint32_t LoadBe32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
}

inline uint32_t LoadLe24(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16;
}

inline void StoreLe32(uint32_t v, char* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

inline void AppendLe32(uint32_t v, std::string& out) {
  char b[4];
  StoreLe32(v, b);
  out.append(b, 4);
}

inline void AppendBe32(uint32_t v, std::string& out) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

inline void AppendLe24(uint32_t v, std::string& out) {
  for (int i = 0; i < 3; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace tgrpc::mtproto::transport::internal

#endif  // TGRPC_MTPROTO_TRANSPORT_BYTE_ORDER_H_
