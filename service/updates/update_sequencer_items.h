// Internal to the update sequencer: turns TL Updates containers and difference contents into
// encoded, classified items, so the ordering logic (update_sequencer.cc) never looks at TL types.
#ifndef TGRPC_SERVICE_UPDATES_UPDATE_SEQUENCER_ITEMS_H_
#define TGRPC_SERVICE_UPDATES_UPDATE_SEQUENCER_ITEMS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/updates/update_sequencer.h"
#include "tl/generated/api.h"

namespace tgrpc::service::updates::internal {

enum class ItemKind {
  kPlain,           // applied as it comes
  kCommonPts,       // pts box of the account
  kChannelPts,      // pts box of channel_id
  kQts,             // qts box (pts holds the qts, pts_count 1)
  kChannelTooLong,  // ask getChannelDifference(channel_id) unless pts shows nothing is missing
  kSentMessage,     // updateShortSentMessage: ask getDifference unless pts is already applied
  kTooLong,         // updatesTooLong: ask getDifference
};

// The users and chats of one container or difference, given out once, with the first of its
// updates that is accepted.
struct Peers {
  std::vector<std::string> users, chats;
  bool given = false;
};

struct Item {
  ItemKind kind = ItemKind::kPlain;
  int64_t channel_id = 0;
  int32_t pts = 0;
  int32_t pts_count = 0;
  bool has_pts = true;  // updateChannelTooLong may come without one
  SequencedUpdate update;
  std::shared_ptr<Peers> peers;
};

// One Updates container. seq 0: not ordered by seq.
struct Batch {
  int32_t seq_start = 0, seq = 0, date = 0;
  std::vector<Item> items;
};

std::shared_ptr<Peers> MakePeers(const std::vector<tl::Ptr<tl::api::User>>& users,
                                 const std::vector<tl::Ptr<tl::api::Chat>>& chats);

// Classifies and encodes one update. nullopt if it does not encode: it then counts as never
// received, so if it carried a pts the gap it leaves is refetched by a difference.
std::optional<Item> MakeItem(const tl::api::Update& u, int32_t date, std::shared_ptr<Peers> peers);

// Any Updates constructor as one batch; short forms expanded (see update_sequencer.h).
Batch MakeBatch(const tl::api::Updates& updates, int64_t self_user_id);

// A difference's new message, as updateNewChannelMessage if channel_id != 0 else updateNewMessage,
// and an encrypted one as updateNewEncryptedMessage; pts / qts 0.
std::optional<Item> WrapNewMessage(const tl::api::Message& m, int64_t channel_id,
                                   std::shared_ptr<Peers> peers);
std::optional<Item> WrapEncryptedMessage(const tl::api::EncryptedMessage& m,
                                         std::shared_ptr<Peers> peers);

// The channel a message was posted in, or 0.
int64_t ChannelOf(const tl::api::Message* m);

}  // namespace tgrpc::service::updates::internal

#endif  // TGRPC_SERVICE_UPDATES_UPDATE_SEQUENCER_ITEMS_H_
