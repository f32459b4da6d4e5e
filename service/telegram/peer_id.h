// Telegram's "marked" peer ids, one int64 for users, basic groups and channels (the convention of
// the Bot API, TDLib and Telethon): a user's id as is, -id for a basic group, -(10^12 + id) for a
// channel or supergroup. Resource names carry them: accounts/{a}/chats/-1001234567890.
#ifndef TGRPC_SERVICE_TELEGRAM_PEER_ID_H_
#define TGRPC_SERVICE_TELEGRAM_PEER_ID_H_

#include <cstdint>

#include "service/storage/storage.h"

namespace tgrpc::service {

inline constexpr int64_t kChannelMarkOffset = 1000000000000LL;

inline int64_t MarkUser(int64_t user_id) { return user_id; }
inline int64_t MarkChat(int64_t chat_id) { return -chat_id; }
inline int64_t MarkChannel(int64_t channel_id) { return -(kChannelMarkOffset + channel_id); }

inline PeerType MarkedType(int64_t marked) {
  if (marked > 0) return PeerType::kUser;
  if (marked <= -kChannelMarkOffset) return PeerType::kChannel;
  return PeerType::kChat;
}

// The raw user, chat or channel id.
inline int64_t Unmark(int64_t marked) {
  switch (MarkedType(marked)) {
    case PeerType::kUser:
      return marked;
    case PeerType::kChat:
      return -marked;
    case PeerType::kChannel:
      return -marked - kChannelMarkOffset;
  }
  return 0;
}

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_TELEGRAM_PEER_ID_H_
