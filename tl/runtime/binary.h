// TL binary serialization primitives: a growing writer and a bounds-checked reader with a sticky
// error, shared by the generated codec, the schema-driven codec and the MTProto layer.
#ifndef TGRPC_TL_RUNTIME_BINARY_H_
#define TGRPC_TL_RUNTIME_BINARY_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tgrpc::tl {

using Int128 = std::array<uint8_t, 16>;
using Int256 = std::array<uint8_t, 32>;

inline constexpr uint32_t kVectorId = 0x1cb5c415;
inline constexpr uint32_t kBoolTrueId = 0x997275b5;
inline constexpr uint32_t kBoolFalseId = 0xbc799737;

class Writer {
 public:
  Writer() = default;
  explicit Writer(std::string* out) : out_(out) {}

  void U32(uint32_t v) { Put(&v, 4); }
  void I32(int32_t v) { Put(&v, 4); }
  void I64(int64_t v) { Put(&v, 8); }
  void F64(double v) { Put(&v, 8); }
  void Bool(bool v) { U32(v ? kBoolTrueId : kBoolFalseId); }
  void I128(const Int128& v) { Put(v.data(), v.size()); }
  void I256(const Int256& v) { Put(v.data(), v.size()); }
  // TL `string` / `bytes`: length prefix (1 byte, or 0xfe + 3 bytes), data, zero padding to 4.
  void Bytes(absl::string_view v);
  void Raw(absl::string_view v) { Put(v.data(), v.size()); }

  // Records the first encoding error (e.g. a required field left null); later writes go on.
  void Fail(absl::string_view message);
  const absl::Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }

  std::string& buffer() { return *out_; }
  size_t size() const { return out_->size(); }

 private:
  void Put(const void* p, size_t n) { out_->append(static_cast<const char*>(p), n); }

  std::string own_;
  std::string* out_ = &own_;
  absl::Status status_;
};

class Reader {
 public:
  // Nesting deeper than this is rejected, so hostile input cannot exhaust the stack.
  static constexpr int kMaxDepth = 64;

  explicit Reader(absl::string_view data) : data_(data) {}

  uint32_t U32() { return Get<uint32_t>(); }
  int32_t I32() { return Get<int32_t>(); }
  int64_t I64() { return Get<int64_t>(); }
  double F64() { return Get<double>(); }
  bool Bool();
  Int128 I128() { return GetArray<16>(); }
  Int256 I256() { return GetArray<32>(); }
  std::string Bytes();
  absl::string_view BytesView();
  absl::string_view Raw(size_t n);
  // Reads a vector length and checks that `count` elements of at least `min_size` bytes fit in
  // what is left, so a forged length cannot make the decoder allocate without bound.
  uint32_t VectorLength(size_t min_size);
  // Reads the boxed Vector id and then its length.
  uint32_t BoxedVectorLength(size_t min_size);

  bool Enter();  // false (and an error) past kMaxDepth
  void Leave() { --depth_; }

  void Fail(absl::string_view message);
  void FailUnknownId(absl::string_view type, uint32_t id);
  bool ok() const { return status_.ok(); }
  const absl::Status& status() const { return status_; }
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  absl::string_view rest() const { return data_.substr(pos_); }
  uint32_t PeekU32() const;

 private:
  template <class T>
  T Get() {
    T v{};
    if (remaining() < sizeof(T)) {
      Truncated();
      return v;
    }
    std::memcpy(&v, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <size_t N>
  std::array<uint8_t, N> GetArray() {
    std::array<uint8_t, N> v{};
    if (remaining() < N) {
      Truncated();
      return v;
    }
    std::memcpy(v.data(), data_.data() + pos_, N);
    pos_ += N;
    return v;
  }
  void Truncated();

  absl::string_view data_;
  size_t pos_ = 0;
  int depth_ = 0;
  absl::Status status_;
};

}  // namespace tgrpc::tl

#endif  // TGRPC_TL_RUNTIME_BINARY_H_
