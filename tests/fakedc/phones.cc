#include "tests/fakedc/phones.h"

#include <cctype>

#include "absl/strings/match.h"

namespace tgrpc::fakedc {

std::string PhoneDigits(absl::string_view phone) {
  std::string out;
  for (char c : phone) {
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  }
  return out;
}

std::optional<int> TestNumberDc(absl::string_view digits) {
  if (digits.size() != 10 || !absl::StartsWith(digits, "99966")) return std::nullopt;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  const int dc_id = digits[5] - '0';
  if (dc_id == 0) return std::nullopt;
  return dc_id;
}

std::string TestNumberCode(int dc_id) { return std::string(5, static_cast<char>('0' + dc_id)); }

}  // namespace tgrpc::fakedc
