// Faults fakedc injects so that clients' recovery paths run: dropped connections, forced salt
// changes, slow answers and update gaps. Set at start (FakeDcOptions::faults, the binary's
// flags) or at run time (FakeDc::SetFaults); one-off actions are FakeDc::DropConnections and
// FakeDc::Restart.
#ifndef TGRPC_TESTS_FAKEDC_FAULTS_H_
#define TGRPC_TESTS_FAKEDC_FAULTS_H_

#include <cstdint>
#include <string>

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
  // The next N update pushes that carry a pts are not sent: the client sees the gap when the
  // next one arrives and must fill it with updates.getDifference.
  int update_gaps = 0;

  friend bool operator==(const FaultOptions&, const FaultOptions&) = default;
};

// The faults in force on the server thread, counting down as they are injected.
class FaultInjector {
 public:
  explicit FaultInjector(FaultOptions options = {}) : options_(options) {}

  void Set(const FaultOptions& options) { options_ = options; }
  const FaultOptions& options() const { return options_; }

  // Whether a connection that has just received its `packets`-th packet is to be dropped.
  bool DropAfter(int64_t packets) const {
    return options_.drop_after_packets > 0 && packets >= options_.drop_after_packets;
  }
  // Whether the next encrypted packet gets bad_server_salt (counts it).
  bool TakeBadSalt() { return Take(options_.bad_salt_packets); }
  // Whether the next pts-carrying push is to be lost (counts it).
  bool TakeUpdateGap() { return Take(options_.update_gaps); }
  int delay_ms() const { return options_.delay_ms; }

 private:
  static bool Take(int& counter) {
    if (counter <= 0) return false;
    --counter;
    return true;
  }

  FaultOptions options_;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_FAULTS_H_
