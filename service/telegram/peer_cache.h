// One account's peer cache: the ids, access hashes, usernames and phones of every user, group and
// channel it has seen, filled from every result and update and persisted, so callers address
// chats by id or username and never get PEER_ID_INVALID for a peer the account has seen. A
// "min" object (seen in a group, without a hash usable by this account) never overwrites a full
// one's access hash.
//
// Thread-safe.
#ifndef TGRPC_SERVICE_TELEGRAM_PEER_CACHE_H_
#define TGRPC_SERVICE_TELEGRAM_PEER_CACHE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/storage/storage.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

class PeerCache {
 public:
  PeerCache(AccountKey account, Storage* storage)
      : account_(std::move(account)), storage_(storage) {}

  void AddUsers(const std::vector<tl::Ptr<tl::api::User>>& users);
  void AddUser(const tl::api::User& user);
  void AddChats(const std::vector<tl::Ptr<tl::api::Chat>>& chats);
  // The users and chats of any Updates object.
  void AddFromUpdates(const tl::api::Updates& updates);

  // By marked id (peer_id.h); memory first, then storage.
  std::optional<PeerRecord> Get(int64_t marked_id);
  std::optional<PeerRecord> FindByUsername(absl::string_view username);
  std::optional<PeerRecord> FindByPhone(absl::string_view digits);

  // inputPeer*, inputUser*, inputChannel for a known peer (NotFound with PEER_ID_INVALID's wording
  // when it was never seen). `self_id` becomes inputPeerSelf.
  absl::StatusOr<tl::Ptr<tl::api::InputPeer>> InputPeer(int64_t marked_id, int64_t self_id);
  absl::StatusOr<tl::Ptr<tl::api::InputUser>> InputUser(int64_t user_id, int64_t self_id);
  absl::StatusOr<tl::Ptr<tl::api::InputChannel>> InputChannel(int64_t marked_id);

 private:
  void Store(std::vector<PeerRecord> records);
  std::optional<PeerRecord> Lookup(int64_t marked_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const AccountKey account_;
  Storage* const storage_;
  absl::Mutex mutex_;
  std::map<int64_t, PeerRecord> peers_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_PEER_CACHE_H_
