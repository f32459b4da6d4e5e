// Byte-level helpers every layer needs: fixed-width integers in the byte orders MTProto puts on
// the wire, views between strings (how bytes travel) and uint8_t spans (how crypto reads them),
// and hex digits.
#ifndef TGRPC_BASE_BYTES_H_
#define TGRPC_BASE_BYTES_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace tgrpc::base {

namespace bytes_internal {

// Loads and stores take char or uint8_t pointers alike.
template <class Byte>
const unsigned char* Unsigned(const Byte* p) {
  static_assert(sizeof(Byte) == 1, "a pointer to bytes");
  return reinterpret_cast<const unsigned char*>(p);
}

template <int kSize, class Byte>
uint64_t LoadLe(const Byte* p) {
  const unsigned char* b = Unsigned(p);
  uint64_t v = 0;
  for (int i = kSize - 1; i >= 0; --i) v = v << 8 | b[i];
  return v;
}

template <int kSize, class Byte>
void StoreLe(uint64_t v, Byte* p) {
  static_assert(sizeof(Byte) == 1, "a pointer to bytes");
  for (int i = 0; i < kSize; ++i) p[i] = static_cast<Byte>((v >> (8 * i)) & 0xff);
}

}  // namespace bytes_internal

// Loads require at least as many bytes as they read; callers check sizes first.
template <class Byte>
uint32_t LoadLe24(const Byte* p) {
  return static_cast<uint32_t>(bytes_internal::LoadLe<3>(p));
}

template <class Byte>
uint32_t LoadLe32(const Byte* p) {
  return static_cast<uint32_t>(bytes_internal::LoadLe<4>(p));
}

// TL's long is 8 bytes little-endian; callers cast to int64_t where the field is signed.
template <class Byte>
uint64_t LoadLe64(const Byte* p) {
  return bytes_internal::LoadLe<8>(p);
}

template <class Byte>
uint32_t LoadBe32(const Byte* p) {
  const unsigned char* b = bytes_internal::Unsigned(p);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | uint32_t{b[3]};
}

template <class Byte>
void StoreLe32(uint32_t v, Byte* p) {
  bytes_internal::StoreLe<4>(v, p);
}

template <class Byte>
void StoreLe64(uint64_t v, Byte* p) {
  bytes_internal::StoreLe<8>(v, p);
}

inline void AppendLe24(uint32_t v, std::string& out) {
  char b[3];
  bytes_internal::StoreLe<3>(v, b);
  out.append(b, 3);
}

inline void AppendLe32(uint32_t v, std::string& out) {
  char b[4];
  StoreLe32(v, b);
  out.append(b, 4);
}

inline void AppendBe32(uint32_t v, std::string& out) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The bytes of a string as crypto routines take them (a view: `s` must outlive it).
inline absl::Span<const uint8_t> AsBytes(absl::string_view s) {
  return absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// The same bytes seen as characters (a view: `bytes` must outlive it).
inline absl::string_view AsStringView(absl::Span<const uint8_t> bytes) {
  return absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// A copy of `bytes` as a string, the type TL's `bytes` and `int128`/`int256` payloads travel in.
inline std::string AsString(absl::Span<const uint8_t> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// The value of a hex digit (either case), or -1 for any other character.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace tgrpc::base

#endif  // TGRPC_BASE_BYTES_H_
