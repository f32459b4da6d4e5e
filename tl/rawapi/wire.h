// Protobuf wire format and the raw API's string escape, by hand (the raw API's messages exist
// only as data in the model, so there are no generated classes to lean on). Private to
// //tl/rawapi:convert; the escape itself is specified in convert.h.
#ifndef TGRPC_TL_RAWAPI_WIRE_H_
#define TGRPC_TL_RAWAPI_WIRE_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/string_view.h"

namespace tgrpc::tl::raw::wire {

// Protobuf wire types.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLen = 2, kStartGroup = 3, kEndGroup = 4,
                   kFixed32 = 5;
constexpr uint64_t kMaxFieldNumber = (1u << 29) - 1;

// The length of the valid UTF-8 sequence at p (1 to 4), or 0 when the bytes there are not one.
inline int Utf8Length(const uint8_t* p, const uint8_t* end) {
  const uint8_t b = p[0];
  const size_t left = end - p;
  if (b < 0x80) return 1;
  if (b < 0xC2) return 0;
  if (b < 0xE0) return left >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
  if (b < 0xF0) {
    if (left < 3 || (p[2] & 0xC0) != 0x80) return 0;
    const uint8_t lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    return p[1] >= lo && p[1] <= hi ? 3 : 0;
  }
  if (b >= 0xF5 || left < 4 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80) return 0;
  const uint8_t lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
  return p[1] >= lo && p[1] <= hi ? 4 : 0;
}

// How much of `s` the escape leaves as is: valid UTF-8 without a code point of U+10FD00..U+10FDFF
// (F4 8F B4..B7 xx).
inline size_t PlainPrefix(absl::string_view s) {
  const uint8_t* const begin = reinterpret_cast<const uint8_t*>(s.data());
  const uint8_t* const end = begin + s.size();
  const uint8_t* p = begin;
  while (p < end) {
    uint64_t word;
    if (end - p >= 8 && (std::memcpy(&word, p, 8), (word & 0x8080808080808080ull) == 0)) {
      p += 8;  // eight ASCII bytes
      continue;
    }
    const int len = Utf8Length(p, end);
    if (len == 0 || (len == 4 && p[0] == 0xF4 && p[1] == 0x8F && (p[2] & 0xFC) == 0xB4)) break;
    p += len;
  }
  return p - begin;
}

inline void AppendEscaped(uint8_t byte, std::string& out) {
  const uint32_t cp = 0x10FD00 + byte;
  const char utf8[4] = {static_cast<char>(0xF4), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
                        static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
                        static_cast<char>(0x80 | (cp & 0x3F))};
  out.append(utf8, 4);
}

// Bounds-checked reading; the host is little-endian (x86-64, as the build flags assume).
struct Input {
  const uint8_t* p;
  const uint8_t* end;

  explicit Input(absl::string_view s)
      : p(reinterpret_cast<const uint8_t*>(s.data())), end(p + s.size()) {}
  bool more() const { return p < end; }

  bool Varint(uint64_t* v) {
    if (p < end && *p < 0x80) {
      *v = *p++;
      return true;
    }
    uint64_t r = 0;
    for (int shift = 0; shift < 70 && p < end; shift += 7) {
      const uint8_t b = *p++;
      r |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) return *v = r, true;
    }
    return false;  // truncated, or longer than ten bytes
  }
  bool Fixed(int size, uint64_t* v) {
    if (end - p < size) return false;
    *v = 0;
    std::memcpy(v, p, size);
    p += size;
    return true;
  }
  // A varint (size 0) or a fixed64.
  bool Number(int size, uint64_t* v) { return size == 0 ? Varint(v) : Fixed(size, v); }
  bool Len(absl::string_view* s) {
    uint64_t n;
    if (!Varint(&n) || n > static_cast<uint64_t>(end - p)) return false;
    *s = absl::string_view(reinterpret_cast<const char*>(p), n);
    p += n;
    return true;
  }
};

// One growing buffer. A nested message's length goes before its body, so the body is written
// after a one-byte length and moved up in the rarer case its length needs more bytes: no size
// pass and no buffer per message.
class Sink {
 public:
  size_t size() const { return n_; }
  void Truncate(size_t n) { n_ = n; }
  std::string Take() {
    buf_.resize(n_);
    return std::move(buf_);
  }

  void Varint(uint64_t v) {
    Reserve(10);
    uint8_t* p = data() + n_;
    for (; v >= 0x80; v >>= 7) *p++ = static_cast<uint8_t>(v) | 0x80;
    *p++ = static_cast<uint8_t>(v);
    n_ = p - data();
  }
  void Tag(int number, uint32_t wire) { Varint((static_cast<uint64_t>(number) << 3) | wire); }
  void Number(uint32_t wire, uint64_t v) {
    if (wire == kVarint) return Varint(v);
    Reserve(8);
    std::memcpy(data() + n_, &v, 8);
    n_ += 8;
  }
  void Bytes(int number, absl::string_view s) {
    Tag(number, kLen);
    Varint(s.size());
    Reserve(s.size());
    if (!s.empty()) std::memcpy(data() + n_, s.data(), s.size());
    n_ += s.size();
  }
  size_t BeginLen(int number) {
    Tag(number, kLen);
    Reserve(1);
    return n_++;
  }
  void EndLen(size_t at) {
    const size_t len = n_ - at - 1;
    if (len < 0x80) {
      data()[at] = static_cast<uint8_t>(len);
      return;
    }
    int extra = 0;
    for (size_t v = len >> 7; v != 0; v >>= 7) ++extra;
    Reserve(extra);
    std::memmove(data() + at + 1 + extra, data() + at + 1, len);
    const size_t end = n_ + extra;
    n_ = at;
    Varint(len);
    n_ = end;
  }

 private:
  uint8_t* data() { return reinterpret_cast<uint8_t*>(buf_.data()); }
  void Reserve(size_t k) {
    if (n_ + k > buf_.size()) buf_.resize(std::max(2 * buf_.size(), n_ + k + 256));
  }

  std::string buf_;
  size_t n_ = 0;
};

// convert.h's escape, both ways (Converter::EscapeString and UnescapeString).
inline std::string Escape(absl::string_view tl) {
  size_t plain = PlainPrefix(tl);
  if (plain == tl.size()) return std::string(tl);
  std::string out;
  out.reserve(tl.size() + 16);
  const uint8_t* const end = reinterpret_cast<const uint8_t*>(tl.data()) + tl.size();
  const uint8_t* p = reinterpret_cast<const uint8_t*>(tl.data());
  while (true) {
    out.append(reinterpret_cast<const char*>(p), plain);
    p += plain;
    if (p == end) return out;
    // Where the plain run stops: a byte that is not UTF-8 (escaped alone), or a code point of the
    // escape's own range (its four bytes escaped).
    const int len = Utf8Length(p, end) == 4 ? 4 : 1;
    for (int i = 0; i < len; ++i) AppendEscaped(*p++, out);
    plain = PlainPrefix(absl::string_view(reinterpret_cast<const char*>(p), end - p));
  }
}

inline std::string Unescape(absl::string_view proto) {
  const char* p = proto.data();
  const char* const end = p + proto.size();
  const void* first = proto.empty() ? nullptr : std::memchr(p, 0xF4, proto.size());
  if (first == nullptr) return std::string(proto);
  std::string out;
  out.reserve(proto.size());
  for (const char* q = static_cast<const char*>(first); q != nullptr;
       q = static_cast<const char*>(std::memchr(p, 0xF4, end - p))) {
    out.append(p, q - p);
    const uint8_t* u = reinterpret_cast<const uint8_t*>(q);
    if (end - q >= 4 && u[1] == 0x8F && (u[2] & 0xFC) == 0xB4 && (u[3] & 0xC0) == 0x80) {
      out.push_back(static_cast<char>(((u[2] & 0x03) << 6) | (u[3] & 0x3F)));
      p = q + 4;
    } else {
      out.push_back(*q);
      p = q + 1;
    }
  }
  out.append(p, end - p);
  return out;
}

}  // namespace tgrpc::tl::raw::wire

#endif  // TGRPC_TL_RAWAPI_WIRE_H_
