// Faults fakedc injects so that clients' recovery paths run: dropped connections, forced salt
// changes, slow answers, update gaps and updatesTooLong, on every DC and connection or on chosen
// ones. Set at start (FakeDcOptions::faults, the binary's flags) or at run time
// (FakeDc::SetFaults; the binary re-reads a file on SIGHUP); one-off actions are
// FakeDc::DropConnections / DropConnection and FakeDc::Restart.
#ifndef TGRPC_TESTS_FAKEDC_FAULTS_H_
#define TGRPC_TESTS_FAKEDC_FAULTS_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tgrpc::fakedc {

struct FaultOptions {
  // Every connection is closed right after its Nth packet (counted from its first) is handled;
  // the answers to that packet are lost, so the client must resend on a new connection.
  // 0: never.
  int drop_after_packets = 0;
  // The next N encrypted packets are answered with bad_server_salt, each time with a new salt:
  // the key's salt schedule starts over, so the salt the client had is no longer valid.
  int bad_salt_packets = 0;
  // Every frame sent is held back this long (in order).
  int delay_ms = 0;
  // The next N update pushes that carry a pts (new, edited, deleted messages; private or channel)
  // are not sent: the client sees the gap when the next one arrives and must fill it with
  // updates.getDifference (getChannelDifference for a channel's).
  int update_gaps = 0;
  // The next N update pushes are replaced by updatesTooLong, as Telegram sends when it has too
  // many updates for a client: the client must catch up with updates.getDifference.
  int updates_too_long = 0;

  // Where the faults apply. dc_ids: only to connections of these DCs (and, for update_gaps and
  // updates_too_long, to pushes to accounts whose home is one of them); empty: every DC.
  // connection_ids: only to these connections (FakeDc::Connections() and the log number them in
  // the order they were accepted, from 1); empty: every connection. Pushes are not tied to a
  // connection, so connection_ids does not limit update_gaps and updates_too_long.
  std::vector<int> dc_ids;
  std::vector<int64_t> connection_ids;

  friend bool operator==(const FaultOptions&, const FaultOptions&) = default;
};

// The faults in force on the server thread, counting down as they are injected.
class FaultInjector {
 public:
  explicit FaultInjector(FaultOptions options = {}) : options_(std::move(options)) {}

  void Set(const FaultOptions& options) { options_ = options; }
  const FaultOptions& options() const { return options_; }

  // Whether faults apply to connection `connection_id` of DC `dc_id`.
  bool Applies(int dc_id, int64_t connection_id) const {
    return AppliesToDc(dc_id) &&
           (options_.connection_ids.empty() ||
            std::find(options_.connection_ids.begin(), options_.connection_ids.end(),
                      connection_id) != options_.connection_ids.end());
  }
  bool AppliesToDc(int dc_id) const {
    return options_.dc_ids.empty() || std::find(options_.dc_ids.begin(), options_.dc_ids.end(),
                                                dc_id) != options_.dc_ids.end();
  }

  // Whether a connection that has just received its `packets`-th packet is to be dropped.
  bool DropAfter(int dc_id, int64_t connection_id, int64_t packets) const {
    return options_.drop_after_packets > 0 && packets >= options_.drop_after_packets &&
           Applies(dc_id, connection_id);
  }
  // Whether the next encrypted packet of the connection gets bad_server_salt (counts it).
  bool TakeBadSalt(int dc_id, int64_t connection_id) {
    return Applies(dc_id, connection_id) && Take(options_.bad_salt_packets);
  }
  // Whether the next pts-carrying push to an account of `home_dc` is to be lost (counts it).
  bool TakeUpdateGap(int home_dc) { return AppliesToDc(home_dc) && Take(options_.update_gaps); }
  // Whether the next push to an account of `home_dc` becomes updatesTooLong (counts it).
  bool TakeUpdatesTooLong(int home_dc) {
    return AppliesToDc(home_dc) && Take(options_.updates_too_long);
  }
  int delay_ms(int dc_id, int64_t connection_id) const {
    return options_.delay_ms > 0 && Applies(dc_id, connection_id) ? options_.delay_ms : 0;
  }

 private:
  static bool Take(int& counter) {
    if (counter <= 0) return false;
    --counter;
    return true;
  }

  FaultOptions options_;
};

// Parses fault settings written as the binary's flags, e.g. "--bad_salt_packets=3
// --fault_dcs=2": whitespace-separated --name=value words, on top of `base`. Names:
// drop_after_packets, bad_salt_packets, delay_ms, update_gaps, updates_too_long, fault_dcs and
// fault_connections (comma-separated lists). kInvalidArgument names the bad word.
absl::StatusOr<FaultOptions> ParseFaultFlags(absl::string_view text, FaultOptions base = {});
// Whether `name` (without the leading dashes) is one of ParseFaultFlags' names.
bool IsFaultFlag(absl::string_view name);
// The settings as ParseFaultFlags reads them (for logs).
std::string FaultFlags(const FaultOptions& options);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_FAULTS_H_
