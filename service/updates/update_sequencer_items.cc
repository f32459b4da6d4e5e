#include "service/updates/update_sequencer_items.h"

#include <utility>

#include "tl/runtime/object.h"

namespace tgrpc::service::updates {
namespace {

namespace api = tl::api;
using internal::Item;
using internal::ItemKind;

template <class T>
void TakePts(const api::Update& u, Item& item) {
  const auto& v = static_cast<const T&>(u);
  item.pts = v.pts;
  item.pts_count = v.pts_count;
}

// Channel updates that name their channel.
template <class T>
void TakeChannelPts(const api::Update& u, Item& item) {
  TakePts<T>(u, item);
  item.channel_id = static_cast<const T&>(u).channel_id;
}

// Channel updates that carry a channel message: the channel is the message's peer.
template <class T>
void TakeChannelMessagePts(const api::Update& u, Item& item) {
  TakePts<T>(u, item);
  item.channel_id = internal::ChannelOf(static_cast<const T&>(u).message.get());
}

template <class T>
void TakeQts(const api::Update& u, Item& item) {
  item.pts = static_cast<const T&>(u).qts;
  item.pts_count = 1;
}

void TakeChannelTooLong(const api::Update& u, Item& item) {
  const auto& v = static_cast<const api::updateChannelTooLong&>(u);
  item.channel_id = v.channel_id;
  item.has_pts = v.pts.has_value();
  item.pts = v.pts.value_or(0);
}

struct Rule {
  uint32_t id;
  UpdateOrdering ordering;
  void (*take)(const api::Update&, Item&);
};

// From tl/schema/api.tl (layer 228): every Update constructor with pts and pts_count, split by
// whether it belongs to a channel (a channel_id, or a channel message), and every one with qts.
// updateReadChannelInbox has a pts but no pts_count (the channel's pts after the read, not an
// event in it), so it is not ordered. update_sequencer_test checks this table against the schema.
constexpr Rule kRules[] = {
    {api::updateNewMessage::kId, UpdateOrdering::kCommonPts, &TakePts<api::updateNewMessage>},
    {api::updateDeleteMessages::kId, UpdateOrdering::kCommonPts,
     &TakePts<api::updateDeleteMessages>},
    {api::updateReadHistoryInbox::kId, UpdateOrdering::kCommonPts,
     &TakePts<api::updateReadHistoryInbox>},
    {api::updateReadHistoryOutbox::kId, UpdateOrdering::kCommonPts,
     &TakePts<api::updateReadHistoryOutbox>},
    {api::updateWebPage::kId, UpdateOrdering::kCommonPts, &TakePts<api::updateWebPage>},
    {api::updateReadMessagesContents::kId, UpdateOrdering::kCommonPts,
     &TakePts<api::updateReadMessagesContents>},
    {api::updateEditMessage::kId, UpdateOrdering::kCommonPts, &TakePts<api::updateEditMessage>},
    {api::updateFolderPeers::kId, UpdateOrdering::kCommonPts, &TakePts<api::updateFolderPeers>},
    {api::updatePinnedMessages::kId, UpdateOrdering::kCommonPts,
     &TakePts<api::updatePinnedMessages>},

    {api::updateNewChannelMessage::kId, UpdateOrdering::kChannelPts,
     &TakeChannelMessagePts<api::updateNewChannelMessage>},
    {api::updateEditChannelMessage::kId, UpdateOrdering::kChannelPts,
     &TakeChannelMessagePts<api::updateEditChannelMessage>},
    {api::updateDeleteChannelMessages::kId, UpdateOrdering::kChannelPts,
     &TakeChannelPts<api::updateDeleteChannelMessages>},
    {api::updateChannelWebPage::kId, UpdateOrdering::kChannelPts,
     &TakeChannelPts<api::updateChannelWebPage>},
    {api::updatePinnedChannelMessages::kId, UpdateOrdering::kChannelPts,
     &TakeChannelPts<api::updatePinnedChannelMessages>},
    // Not sent by Telegram (mtcute's own marker, kept in the pinned schema), ordered like its kin.
    {api::mtcute_dummyUpdate::kId, UpdateOrdering::kChannelPts,
     &TakeChannelPts<api::mtcute_dummyUpdate>},

    {api::updateNewEncryptedMessage::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateNewEncryptedMessage>},
    {api::updateMessagePollVote::kId, UpdateOrdering::kQts, &TakeQts<api::updateMessagePollVote>},
    {api::updateChatParticipant::kId, UpdateOrdering::kQts, &TakeQts<api::updateChatParticipant>},
    {api::updateChannelParticipant::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateChannelParticipant>},
    {api::updateBotStopped::kId, UpdateOrdering::kQts, &TakeQts<api::updateBotStopped>},
    {api::updateBotChatInviteRequester::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotChatInviteRequester>},
    {api::updateBotChatBoost::kId, UpdateOrdering::kQts, &TakeQts<api::updateBotChatBoost>},
    {api::updateBotMessageReaction::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotMessageReaction>},
    {api::updateBotMessageReactions::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotMessageReactions>},
    {api::updateBotBusinessConnect::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotBusinessConnect>},
    {api::updateBotNewBusinessMessage::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotNewBusinessMessage>},
    {api::updateBotEditBusinessMessage::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotEditBusinessMessage>},
    {api::updateBotDeleteBusinessMessage::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotDeleteBusinessMessage>},
    {api::updateBotPurchasedPaidMedia::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotPurchasedPaidMedia>},
    {api::updateManagedBot::kId, UpdateOrdering::kQts, &TakeQts<api::updateManagedBot>},
    {api::updateBotGuestChatQuery::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotGuestChatQuery>},
    {api::updateBotStarsSubscription::kId, UpdateOrdering::kQts,
     &TakeQts<api::updateBotStarsSubscription>},

    {api::updateChannelTooLong::kId, UpdateOrdering::kChannelTooLong, &TakeChannelTooLong},
};

const Rule* FindRule(uint32_t id) {
  for (const Rule& rule : kRules) {
    if (rule.id == id) return &rule;
  }
  return nullptr;
}

std::optional<std::string> Encode(const tl::Object& o) {
  absl::StatusOr<std::string> bytes = tl::Serialize(o);
  if (!bytes.ok()) return std::nullopt;
  return *std::move(bytes);
}

// TL objects are move-only; a short update's parts are copied into the expanded message through
// their encoding. False if one does not encode.
template <class T>
bool Clone(const tl::Ptr<T>& from, tl::Ptr<T>& to) {
  if (from == nullptr) return true;
  std::optional<std::string> bytes = Encode(*from);
  if (!bytes.has_value()) return false;
  absl::StatusOr<tl::Ptr<T>> copy = tl::Decode<T>(*bytes);
  if (!copy.ok()) return false;
  to = *std::move(copy);
  return true;
}

template <class T>
bool Clone(const std::optional<std::vector<tl::Ptr<T>>>& from,
           std::optional<std::vector<tl::Ptr<T>>>& to) {
  if (!from.has_value()) return true;
  to.emplace();
  for (const tl::Ptr<T>& e : *from) {
    if (!Clone(e, to->emplace_back()) || to->back() == nullptr) return false;
  }
  return true;
}

tl::Ptr<api::Peer> UserPeer(int64_t user_id) {
  auto peer = std::make_unique<api::peerUser>();
  peer->user_id = user_id;
  return peer;
}

tl::Ptr<api::Peer> ChatPeer(int64_t chat_id) {
  auto peer = std::make_unique<api::peerChat>();
  peer->chat_id = chat_id;
  return peer;
}

// The fields updateShortMessage and updateShortChatMessage share, onto a full message.
template <class S>
bool CopyShortFields(const S& s, api::message& m) {
  m.out = s.out;
  m.mentioned = s.mentioned;
  m.media_unread = s.media_unread;
  m.silent = s.silent;
  m.id = s.id;
  m.via_bot_id = s.via_bot_id;
  m.date = s.date;
  m.message_ = s.message;
  m.ttl_period = s.ttl_period;
  return Clone(s.fwd_from, m.fwd_from) && Clone(s.reply_to, m.reply_to) &&
         Clone(s.entities, m.entities);
}

std::optional<Item> NewMessageItem(tl::Ptr<api::message> m, int32_t pts, int32_t pts_count,
                                   int32_t date) {
  api::updateNewMessage u;
  u.message = std::move(m);
  u.pts = pts;
  u.pts_count = pts_count;
  return internal::MakeItem(u, date, nullptr);
}

// A private chat's message: the peer is the other user; the sender is us when `out`.
std::optional<Item> Expand(const api::updateShortMessage& s, int64_t self_user_id) {
  auto m = std::make_unique<api::message>();
  if (!CopyShortFields(s, *m)) return std::nullopt;
  m->peer_id = UserPeer(s.user_id);
  m->from_id = UserPeer(s.out ? self_user_id : s.user_id);
  return NewMessageItem(std::move(m), s.pts, s.pts_count, s.date);
}

std::optional<Item> Expand(const api::updateShortChatMessage& s, int64_t self_user_id) {
  auto m = std::make_unique<api::message>();
  if (!CopyShortFields(s, *m)) return std::nullopt;
  m->peer_id = ChatPeer(s.chat_id);
  m->from_id = UserPeer(s.out && s.from_id == 0 ? self_user_id : s.from_id);
  return NewMessageItem(std::move(m), s.pts, s.pts_count, s.date);
}

void AddItems(const std::vector<tl::Ptr<api::Update>>& updates, int32_t date,
              const std::shared_ptr<internal::Peers>& peers, internal::Batch& batch) {
  for (const tl::Ptr<api::Update>& u : updates) {
    if (u == nullptr) continue;
    std::optional<Item> item = internal::MakeItem(*u, date, peers);
    if (item.has_value()) batch.items.push_back(*std::move(item));
  }
}

}  // namespace

UpdateOrdering OrderingOf(uint32_t update_constructor_id) {
  const Rule* rule = FindRule(update_constructor_id);
  return rule == nullptr ? UpdateOrdering::kNone : rule->ordering;
}

namespace internal {

int64_t ChannelOf(const api::Message* m) {
  const api::Peer* peer = nullptr;
  if (const auto* v = dynamic_cast<const api::message*>(m)) {
    peer = v->peer_id.get();
  } else if (const auto* v = dynamic_cast<const api::messageService*>(m)) {
    peer = v->peer_id.get();
  } else if (const auto* v = dynamic_cast<const api::messageEmpty*>(m)) {
    peer = v->peer_id.get();
  }
  const auto* channel = dynamic_cast<const api::peerChannel*>(peer);
  return channel == nullptr ? 0 : channel->channel_id;
}

std::shared_ptr<Peers> MakePeers(const std::vector<tl::Ptr<api::User>>& users,
                                 const std::vector<tl::Ptr<api::Chat>>& chats) {
  if (users.empty() && chats.empty()) return nullptr;
  auto peers = std::make_shared<Peers>();
  for (const tl::Ptr<api::User>& u : users) {
    if (u == nullptr) continue;
    if (std::optional<std::string> bytes = Encode(*u)) peers->users.push_back(*std::move(bytes));
  }
  for (const tl::Ptr<api::Chat>& c : chats) {
    if (c == nullptr) continue;
    if (std::optional<std::string> bytes = Encode(*c)) peers->chats.push_back(*std::move(bytes));
  }
  return peers;
}

std::optional<Item> MakeItem(const api::Update& u, int32_t date, std::shared_ptr<Peers> peers) {
  std::optional<std::string> bytes = Encode(u);
  if (!bytes.has_value()) return std::nullopt;
  Item item;
  item.update.update = *std::move(bytes);
  item.update.date = date;
  item.peers = std::move(peers);
  const Rule* rule = FindRule(u.tl_id());
  if (rule == nullptr) return item;
  rule->take(u, item);
  switch (rule->ordering) {
    case UpdateOrdering::kCommonPts:
      item.kind = ItemKind::kCommonPts;
      break;
    case UpdateOrdering::kChannelPts:
      item.kind = ItemKind::kChannelPts;
      item.update.channel_id = item.channel_id;
      break;
    case UpdateOrdering::kQts:
      item.kind = ItemKind::kQts;
      break;
    case UpdateOrdering::kChannelTooLong:
      item.kind = ItemKind::kChannelTooLong;
      return item;
    case UpdateOrdering::kNone:
      break;
  }
  // Telegram leaves pts / qts at 0 where the order does not matter (seen with qts on
  // updateChannelParticipant), and a channel update whose channel is unknown has no box.
  if (item.pts == 0 || (item.kind == ItemKind::kChannelPts && item.channel_id == 0)) {
    item.kind = ItemKind::kPlain;
    item.update.channel_id = 0;
  }
  return item;
}

std::optional<Item> WrapNewMessage(const api::Message& m, int64_t channel_id,
                                   std::shared_ptr<Peers> peers) {
  Item item;
  tl::Writer w(&item.update.update);
  w.U32(channel_id != 0 ? api::updateNewChannelMessage::kId : api::updateNewMessage::kId);
  tl::WriteBoxed(w, &m);
  w.I32(0);  // pts
  w.I32(0);  // pts_count
  if (!w.ok()) return std::nullopt;
  item.update.channel_id = channel_id;
  if (const auto* v = dynamic_cast<const api::message*>(&m)) {
    item.update.date = v->date;
  } else if (const auto* v = dynamic_cast<const api::messageService*>(&m)) {
    item.update.date = v->date;
  }
  item.peers = std::move(peers);
  return item;
}

std::optional<Item> WrapEncryptedMessage(const api::EncryptedMessage& m,
                                         std::shared_ptr<Peers> peers) {
  Item item;
  tl::Writer w(&item.update.update);
  w.U32(api::updateNewEncryptedMessage::kId);
  tl::WriteBoxed(w, &m);
  w.I32(0);  // qts
  if (!w.ok()) return std::nullopt;
  if (const auto* v = dynamic_cast<const api::encryptedMessage*>(&m)) {
    item.update.date = v->date;
  } else if (const auto* v = dynamic_cast<const api::encryptedMessageService*>(&m)) {
    item.update.date = v->date;
  }
  item.peers = std::move(peers);
  return item;
}

Batch MakeBatch(const api::Updates& updates, int64_t self_user_id) {
  Batch batch;
  if (dynamic_cast<const api::updatesTooLong*>(&updates) != nullptr) {
    batch.items.push_back(Item{.kind = ItemKind::kTooLong});
  } else if (const auto* u = dynamic_cast<const api::updateShort*>(&updates)) {
    batch.date = u->date;
    if (u->update != nullptr) {
      if (std::optional<Item> item = MakeItem(*u->update, u->date, nullptr)) {
        batch.items.push_back(*std::move(item));
      }
    }
  } else if (const auto* u = dynamic_cast<const api::updateShortMessage*>(&updates)) {
    batch.date = u->date;
    if (std::optional<Item> item = Expand(*u, self_user_id)) {
      batch.items.push_back(*std::move(item));
    }
  } else if (const auto* u = dynamic_cast<const api::updateShortChatMessage*>(&updates)) {
    batch.date = u->date;
    if (std::optional<Item> item = Expand(*u, self_user_id)) {
      batch.items.push_back(*std::move(item));
    }
  } else if (const auto* u = dynamic_cast<const api::updateShortSentMessage*>(&updates)) {
    // The answer to our own send lacks the peer and the text, so it cannot become a logged
    // updateNewMessage; only its pts is kept, to ask a difference that returns the full message.
    batch.date = u->date;
    if (u->pts != 0) {
      batch.items.push_back(
          Item{.kind = ItemKind::kSentMessage, .pts = u->pts, .pts_count = u->pts_count});
    }
  } else if (const auto* u = dynamic_cast<const api::updates*>(&updates)) {
    batch.seq_start = u->seq;
    batch.seq = u->seq;
    batch.date = u->date;
    AddItems(u->updates_, u->date, MakePeers(u->users, u->chats), batch);
  } else if (const auto* u = dynamic_cast<const api::updatesCombined*>(&updates)) {
    batch.seq = u->seq;
    // A malformed range counts as the single seq.
    batch.seq_start = u->seq_start > 0 && u->seq_start <= u->seq ? u->seq_start : u->seq;
    batch.date = u->date;
    AddItems(u->updates, u->date, MakePeers(u->users, u->chats), batch);
  }
  return batch;
}

}  // namespace internal
}  // namespace tgrpc::service::updates
