#include "service/telegram/peer_cache.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "service/api/errors.h"
#include "service/telegram/peer_id.h"

namespace tgrpc::service {

namespace api = tl::api;

namespace {

std::string MainUsername(const std::optional<std::string>& username,
                         const std::optional<std::vector<tl::Ptr<api::Username>>>& usernames) {
  if (username.has_value() && !username->empty()) return absl::AsciiStrToLower(*username);
  if (usernames.has_value()) {
    for (const auto& u : *usernames) {
      const auto* name = dynamic_cast<const api::username*>(u.get());
      if (name != nullptr && name->active) return absl::AsciiStrToLower(name->username_);
    }
  }
  return "";
}

absl::Status NotSeen(int64_t marked_id) {
  return ServiceError(
      absl::StatusCode::kNotFound, "PEER_ID_INVALID",
      absl::StrCat("PEER_ID_INVALID: the account has not seen peer ", marked_id,
                   " (resolve it by username or phone first, or read a chat where it appears)"));
}

}  // namespace

void PeerCache::AddUser(const api::User& user) {
  const auto* full = dynamic_cast<const api::user*>(&user);
  if (full == nullptr) return;
  PeerRecord record;
  record.account = account_;
  record.peer_id = MarkUser(full->id);
  record.type = PeerType::kUser;
  record.access_hash = full->access_hash.value_or(0);
  record.username = MainUsername(full->username, full->usernames);
  record.phone = full->phone.value_or("");
  bool min = full->min;
  std::vector<PeerRecord> changed;
  {
    absl::MutexLock lock(&mutex_);
    std::optional<PeerRecord> known = Lookup(record.peer_id);
    if (known.has_value()) {
      if (min) {
        // A min object's hash is not ours to use, and it may omit the phone.
        record.access_hash = known->access_hash;
        if (record.phone.empty()) record.phone = known->phone;
      }
      if (*known == record) return;
    } else if (min) {
      record.access_hash = 0;
    }
    peers_[record.peer_id] = record;
    changed.push_back(record);
  }
  Store(std::move(changed));
}

void PeerCache::AddUsers(const std::vector<tl::Ptr<api::User>>& users) {
  for (const auto& user : users) {
    if (user != nullptr) AddUser(*user);
  }
}

void PeerCache::AddChats(const std::vector<tl::Ptr<api::Chat>>& chats) {
  std::vector<PeerRecord> changed;
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& chat : chats) {
      PeerRecord record;
      record.account = account_;
      bool min = false;
      if (const auto* c = dynamic_cast<const api::chat*>(chat.get())) {
        record.peer_id = MarkChat(c->id);
        record.type = PeerType::kChat;
      } else if (const auto* c = dynamic_cast<const api::chatForbidden*>(chat.get())) {
        record.peer_id = MarkChat(c->id);
        record.type = PeerType::kChat;
      } else if (const auto* c = dynamic_cast<const api::channel*>(chat.get())) {
        record.peer_id = MarkChannel(c->id);
        record.type = PeerType::kChannel;
        record.access_hash = c->access_hash.value_or(0);
        record.username = MainUsername(c->username, c->usernames);
        min = c->min;
      } else if (const auto* c = dynamic_cast<const api::channelForbidden*>(chat.get())) {
        record.peer_id = MarkChannel(c->id);
        record.type = PeerType::kChannel;
        record.access_hash = c->access_hash;
      } else {
        continue;
      }
      std::optional<PeerRecord> known = Lookup(record.peer_id);
      if (known.has_value()) {
        if (min || record.access_hash == 0) record.access_hash = known->access_hash;
        if (*known == record) continue;
      } else if (min) {
        record.access_hash = 0;
      }
      peers_[record.peer_id] = record;
      changed.push_back(record);
    }
  }
  Store(std::move(changed));
}

void PeerCache::AddFromUpdates(const api::Updates& updates) {
  if (const auto* u = dynamic_cast<const api::updates*>(&updates)) {
    AddUsers(u->users);
    AddChats(u->chats);
  } else if (const auto* u = dynamic_cast<const api::updatesCombined*>(&updates)) {
    AddUsers(u->users);
    AddChats(u->chats);
  }
}

void PeerCache::Store(std::vector<PeerRecord> records) {
  if (records.empty() || storage_ == nullptr) return;
  // A failed write costs a later lookup, not correctness: the memory copy stays.
  (void)storage_->PutPeers(records);
}

std::optional<PeerRecord> PeerCache::Lookup(int64_t marked_id) {
  if (auto it = peers_.find(marked_id); it != peers_.end()) return it->second;
  if (storage_ == nullptr) return std::nullopt;
  absl::StatusOr<std::optional<PeerRecord>> stored = storage_->GetPeer(account_, marked_id);
  if (!stored.ok() || !stored->has_value()) return std::nullopt;
  peers_[marked_id] = **stored;
  return *stored;
}

std::optional<PeerRecord> PeerCache::Get(int64_t marked_id) {
  absl::MutexLock lock(&mutex_);
  return Lookup(marked_id);
}

std::optional<PeerRecord> PeerCache::FindByUsername(absl::string_view username) {
  const std::string lower = absl::AsciiStrToLower(username);
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& [id, record] : peers_) {
      if (record.username == lower) return record;
    }
  }
  if (storage_ == nullptr) return std::nullopt;
  absl::StatusOr<std::optional<PeerRecord>> stored = storage_->FindPeerByUsername(account_, lower);
  if (!stored.ok()) return std::nullopt;
  return *stored;
}

std::optional<PeerRecord> PeerCache::FindByPhone(absl::string_view digits) {
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& [id, record] : peers_) {
      if (!record.phone.empty() && record.phone == digits) return record;
    }
  }
  if (storage_ == nullptr) return std::nullopt;
  absl::StatusOr<std::optional<PeerRecord>> stored = storage_->FindPeerByPhone(account_, digits);
  if (!stored.ok()) return std::nullopt;
  return *stored;
}

absl::StatusOr<tl::Ptr<api::InputPeer>> PeerCache::InputPeer(int64_t marked_id, int64_t self_id) {
  if (marked_id == self_id && self_id != 0) return std::make_unique<api::inputPeerSelf>();
  switch (MarkedType(marked_id)) {
    case PeerType::kChat: {
      // Basic groups need no access hash.
      auto peer = std::make_unique<api::inputPeerChat>();
      peer->chat_id = Unmark(marked_id);
      return peer;
    }
    case PeerType::kUser: {
      std::optional<PeerRecord> known = Get(marked_id);
      if (!known.has_value()) return NotSeen(marked_id);
      auto peer = std::make_unique<api::inputPeerUser>();
      peer->user_id = marked_id;
      peer->access_hash = known->access_hash;
      return peer;
    }
    case PeerType::kChannel: {
      std::optional<PeerRecord> known = Get(marked_id);
      if (!known.has_value()) return NotSeen(marked_id);
      auto peer = std::make_unique<api::inputPeerChannel>();
      peer->channel_id = Unmark(marked_id);
      peer->access_hash = known->access_hash;
      return peer;
    }
  }
  return NotSeen(marked_id);
}

absl::StatusOr<tl::Ptr<api::InputUser>> PeerCache::InputUser(int64_t user_id, int64_t self_id) {
  if (user_id == self_id && self_id != 0) return std::make_unique<api::inputUserSelf>();
  if (MarkedType(user_id) != PeerType::kUser) {
    return absl::InvalidArgumentError(absl::StrCat(user_id, " is not a user id"));
  }
  std::optional<PeerRecord> known = Get(user_id);
  if (!known.has_value()) return NotSeen(user_id);
  auto user = std::make_unique<api::inputUser>();
  user->user_id = user_id;
  user->access_hash = known->access_hash;
  return user;
}

absl::StatusOr<tl::Ptr<api::InputChannel>> PeerCache::InputChannel(int64_t marked_id) {
  if (MarkedType(marked_id) != PeerType::kChannel) {
    return absl::InvalidArgumentError(absl::StrCat(marked_id, " is not a channel id"));
  }
  std::optional<PeerRecord> known = Get(marked_id);
  if (!known.has_value()) return NotSeen(marked_id);
  auto channel = std::make_unique<api::inputChannel>();
  channel->channel_id = Unmark(marked_id);
  channel->access_hash = known->access_hash;
  return channel;
}

}  // namespace tgrpc::service
