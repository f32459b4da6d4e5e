#include "tests/fakedc/faults.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tgrpc::fakedc {
namespace {

constexpr absl::string_view kNames[] = {"drop_after_packets", "bad_salt_packets", "delay_ms",
                                        "update_gaps",        "updates_too_long", "fault_dcs",
                                        "fault_connections"};

template <class T>
bool ParseList(absl::string_view value, std::vector<T>& out) {
  out.clear();
  for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipEmpty())) {
    T number = 0;
    if (!absl::SimpleAtoi(part, &number) || number <= 0) return false;
    out.push_back(number);
  }
  return true;
}

}  // namespace

bool IsFaultFlag(absl::string_view name) {
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

absl::StatusOr<FaultOptions> ParseFaultFlags(absl::string_view text, FaultOptions base) {
  FaultOptions out = std::move(base);
  for (absl::string_view word :
       absl::StrSplit(text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty())) {
    const size_t eq = word.find('=');
    if (!absl::StartsWith(word, "--") || eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("not --name=value: ", word));
    }
    const absl::string_view name = word.substr(2, eq - 2);
    const absl::string_view value = word.substr(eq + 1);
    bool ok = true;
    if (name == "drop_after_packets") {
      ok = absl::SimpleAtoi(value, &out.drop_after_packets) && out.drop_after_packets >= 0;
    } else if (name == "bad_salt_packets") {
      ok = absl::SimpleAtoi(value, &out.bad_salt_packets) && out.bad_salt_packets >= 0;
    } else if (name == "delay_ms") {
      ok = absl::SimpleAtoi(value, &out.delay_ms) && out.delay_ms >= 0;
    } else if (name == "update_gaps") {
      ok = absl::SimpleAtoi(value, &out.update_gaps) && out.update_gaps >= 0;
    } else if (name == "updates_too_long") {
      ok = absl::SimpleAtoi(value, &out.updates_too_long) && out.updates_too_long >= 0;
    } else if (name == "fault_dcs") {
      ok = ParseList(value, out.dc_ids);
    } else if (name == "fault_connections") {
      ok = ParseList(value, out.connection_ids);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown fault setting: ", word));
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("bad value: ", word));
  }
  return out;
}

std::string FaultFlags(const FaultOptions& options) {
  std::string out = absl::StrCat(
      "--drop_after_packets=", options.drop_after_packets,
      " --bad_salt_packets=", options.bad_salt_packets, " --delay_ms=", options.delay_ms,
      " --update_gaps=", options.update_gaps, " --updates_too_long=", options.updates_too_long);
  if (!options.dc_ids.empty())
    absl::StrAppend(&out, " --fault_dcs=", absl::StrJoin(options.dc_ids, ","));
  if (!options.connection_ids.empty()) {
    absl::StrAppend(&out, " --fault_connections=", absl::StrJoin(options.connection_ids, ","));
  }
  return out;
}

}  // namespace tgrpc::fakedc
