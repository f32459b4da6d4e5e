// Phone numbers as fakedc keys accounts by them: digits only, as Telegram reads them.
#ifndef TGRPC_TESTS_FAKEDC_PHONES_H_
#define TGRPC_TESTS_FAKEDC_PHONES_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace tgrpc::fakedc {

// The digits of `phone`: Telegram ignores the rest ("+1 555-000 0001" is 15550000001).
std::string PhoneDigits(absl::string_view phone);

// Telegram's test numbers (core.telegram.org/api/auth, "Test accounts"): 99966XYYYY (digits), X
// a DC id and Y any digit, signs in on DC X with the code X repeated five times, so a test needs
// no log to read a code from. X for such a number, nullopt for any other.
std::optional<int> TestNumberDc(absl::string_view digits);
// The sign-in code of DC `dc_id`'s test numbers: 22222 for DC 2.
std::string TestNumberCode(int dc_id);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_PHONES_H_
