// Phone numbers as fakedc keys accounts by them: digits only, as Telegram reads them.
#ifndef TGRPC_TESTS_FAKEDC_PHONES_H_
#define TGRPC_TESTS_FAKEDC_PHONES_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tgrpc::fakedc {

// The digits of `phone`: Telegram ignores the rest ("+1 555-000 0001" is 15550000001).
std::string PhoneDigits(absl::string_view phone);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_PHONES_H_
