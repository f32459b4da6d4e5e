#include "tl/runtime/binary.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tgrpc::tl {

void Writer::Bytes(absl::string_view v) {
  size_t header;
  if (v.size() < 254) {
    out_->push_back(static_cast<char>(v.size()));
    header = 1;
  } else {
    if (v.size() >= (1u << 24)) {
      Fail(absl::StrCat("TL bytes too long: ", v.size()));
      return;
    }
    uint32_t len = static_cast<uint32_t>(v.size());
    char h[4] = {static_cast<char>(0xfe), static_cast<char>(len & 0xff),
                 static_cast<char>((len >> 8) & 0xff), static_cast<char>((len >> 16) & 0xff)};
    out_->append(h, 4);
    header = 4;
  }
  out_->append(v.data(), v.size());
  size_t pad = (4 - (header + v.size()) % 4) % 4;
  out_->append(pad, '\0');
}

void Writer::Fail(absl::string_view message) {
  if (status_.ok()) status_ = absl::InvalidArgumentError(message);
}

bool Reader::Bool() {
  uint32_t id = U32();
  if (id == kBoolTrueId) return true;
  if (id != kBoolFalseId && ok()) FailUnknownId("Bool", id);
  return false;
}

absl::string_view Reader::BytesView() {
  if (!ok()) return {};
  if (remaining() < 1) {
    Truncated();
    return {};
  }
  size_t len = static_cast<uint8_t>(data_[pos_]);
  size_t header = 1;
  if (len == 254) {
    if (remaining() < 4) {
      Truncated();
      return {};
    }
    len = static_cast<uint8_t>(data_[pos_ + 1]) | (static_cast<uint8_t>(data_[pos_ + 2]) << 8) |
          (static_cast<uint8_t>(data_[pos_ + 3]) << 16);
    header = 4;
  } else if (len == 255) {
    Fail("TL bytes: invalid length marker 0xff");
    return {};
  }
  size_t total = (header + len + 3) / 4 * 4;
  if (remaining() < total) {
    Truncated();
    return {};
  }
  absl::string_view v = data_.substr(pos_ + header, len);
  pos_ += total;
  return v;
}

std::string Reader::Bytes() { return std::string(BytesView()); }

absl::string_view Reader::Raw(size_t n) {
  if (!ok()) return {};
  if (remaining() < n) {
    Truncated();
    return {};
  }
  absl::string_view v = data_.substr(pos_, n);
  pos_ += n;
  return v;
}

uint32_t Reader::VectorLength(size_t min_size) {
  uint32_t n = U32();
  if (!ok()) return 0;
  if (min_size == 0) min_size = 1;
  if (n > remaining() / min_size) {
    Fail(absl::StrFormat("TL vector length %u does not fit in the %u bytes left", n, remaining()));
    return 0;
  }
  return n;
}

uint32_t Reader::BoxedVectorLength(size_t min_size) {
  uint32_t id = U32();
  if (!ok()) return 0;
  if (id != kVectorId) {
    FailUnknownId("Vector", id);
    return 0;
  }
  return VectorLength(min_size);
}

bool Reader::Enter() {
  if (++depth_ > kMaxDepth) {
    Fail("TL object nested too deeply");
    return false;
  }
  return true;
}

uint32_t Reader::PeekU32() const {
  uint32_t v = 0;
  if (remaining() >= 4) std::memcpy(&v, data_.data() + pos_, 4);
  return v;
}

void Reader::Fail(absl::string_view message) {
  if (status_.ok()) status_ = absl::InvalidArgumentError(message);
  pos_ = data_.size();  // stop every later read
}

void Reader::FailUnknownId(absl::string_view type, uint32_t id) {
  Fail(absl::StrFormat("unknown constructor id 0x%08x for type %s at offset %u", id, type, pos_));
}

void Reader::Truncated() {
  Fail(absl::StrFormat("TL input truncated at offset %u of %u", pos_, data_.size()));
}

}  // namespace tgrpc::tl
