// A fakedc user who posts from inside a test, with no tgrpcd in between: signed in over MTProto
// with TestClient on its home DC, it creates basic groups and channels with other users in them
// and sends text messages to users, groups and channels, so that the other users' clients get
// real pushes (and the gaps fakedc's faults make in them). Dropped connections and FakeDc::Restart
// are ridden out: a call whose connection closes is sent again on a new connection in the same
// session, and fakedc answers a resent msg_id from its record, so a retried send is stored once.
//
// Not thread-safe: one thread posts. Its calls take the World briefly (FakeDc::Run) for codes and
// access hashes.
#ifndef TGRPC_TESTS_FAKEDC_TEST_POSTING_H_
#define TGRPC_TESTS_FAKEDC_TEST_POSTING_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/fakedc/fakedc.h"
#include "tests/fakedc/test_client.h"
#include "tests/fakedc/world.h"

namespace tgrpc::fakedc {

class TestPoster {
 public:
  // Signs `phone` (an existing account) in on its home DC with the code fakedc issues. Each call
  // (and so each post) gives up after `guard` of reconnecting.
  static absl::StatusOr<std::unique_ptr<TestPoster>> SignIn(
      FakeDc& dc, const std::string& phone, absl::Duration guard = absl::Seconds(30));

  int64_t user_id() const { return user_id_; }

  // The private chat with the user of `phone`.
  absl::StatusOr<PeerRef> PrivateChatWith(const std::string& phone);
  // A new basic group of the poster and the users of `phones` (messages.createChat).
  absl::StatusOr<PeerRef> CreateBasicGroup(const std::string& title,
                                           const std::vector<std::string>& phones);
  // A new supergroup (`megagroup`) or broadcast channel the poster created, with the users of
  // `phones` invited (channels.createChannel, channels.inviteToChannel).
  absl::StatusOr<PeerRef> CreateChannel(const std::string& title,
                                        const std::vector<std::string>& phones, bool megagroup);

  // Sends `text` to `to` (messages.sendMessage). OK once fakedc answered: the message is stored
  // and pushed.
  absl::Status Send(const PeerRef& to, const std::string& text);

  // New connections made after one closed (dropped, or fakedc restarting).
  int reconnects() const { return reconnects_; }

 private:
  TestPoster(FakeDc& dc, absl::Duration guard) : dc_(dc), guard_(guard) {}

  // Sends `call` and waits for its answer, reconnecting (the same session) as often as needed.
  template <class F>
  absl::StatusOr<typename F::Result> Call(const F& call);
  absl::StatusOr<std::string> CallBytes(const tl::Function& call);
  absl::Status ReconnectUntil(absl::Time deadline);
  absl::StatusOr<int64_t> UserIdOf(const std::string& phone);
  // From the World, once per user or channel (basic groups have none).
  int64_t AccessHash(const PeerRef& peer);

  FakeDc& dc_;
  const absl::Duration guard_;
  std::unique_ptr<TestClient> client_;
  int64_t user_id_ = 0;
  int64_t next_random_id_ = 1;
  int reconnects_ = 0;
  std::map<std::pair<int, int64_t>, int64_t> access_hashes_;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_TEST_POSTING_H_
