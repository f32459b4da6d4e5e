#include "tests/fakedc/phones.h"

#include <cctype>

namespace tgrpc::fakedc {

std::string PhoneDigits(absl::string_view phone) {
  std::string out;
  for (char c : phone) {
    if (std::isdigit(static_cast<unsigned char>(c))) out += c;
  }
  return out;
}

}  // namespace tgrpc::fakedc
