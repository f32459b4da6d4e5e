// TL objects of the pinned layer to tgrpc.v1 messages, and caller input back to TL. What MTProto
// gives is kept (entities, media descriptions, reply and forward headers, reactions, views, edit
// dates, topics), with Telegram's ids visible.
#ifndef TGRPC_SERVICE_API_CONVERT_H_
#define TGRPC_SERVICE_API_CONVERT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tgrpc/v1/chat.pb.h"
#include "tgrpc/v1/message.pb.h"
#include "tgrpc/v1/user.pb.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

// accounts/{account}/users/{id}, accounts/{account}/chats/{marked id}, .../messages/{id}.
std::string UserName(absl::string_view account, int64_t user_id);
std::string ChatName(absl::string_view account, int64_t marked_id);
std::string MessageName(absl::string_view account, int64_t marked_chat, int32_t message_id);

// A Peer's marked id (0 for null).
int64_t MarkedPeerId(const tl::api::Peer* peer);

void ToProto(const tl::api::User& user, absl::string_view account, v1::User* out);
void ToProto(const tl::api::userFull& full, v1::User* out);
// Hidden or unknown (null included): KIND_UNSPECIFIED.
void ToProto(const tl::api::UserStatus* status, v1::User::Status* out);
void ToProto(const tl::api::Chat& chat, absl::string_view account, v1::Chat* out);
// A private chat with `user`.
void ChatFromUser(const v1::User& user, absl::string_view account, v1::Chat* out);
void ToProto(const tl::api::ChatFull& full, v1::Chat* out);
void ToProto(const tl::api::Message& message, absl::string_view account, v1::Message* out);
// A poll with its results (null: none known) as Media.poll.
void PollToProto(const tl::api::Poll& poll, const tl::api::PollResults* results, v1::Poll* out);
void ToProto(const tl::api::MessageEntity& entity, v1::MessageEntity* out);

// The users and chats of a result, converted and indexed by id, to fill private chats' users and
// the users/chats lists of responses.
struct PeerIndex {
  std::vector<const tl::api::User*> users;
  std::vector<const tl::api::Chat*> chats;
  const tl::api::User* FindUser(int64_t id) const;
  const tl::api::Chat* FindChat(int64_t marked_id) const;
};

// A message's reaction counts.
void ToProto(const tl::api::MessageReactions* reactions,
             google::protobuf::RepeatedPtrField<v1::Reaction>* out);

// A channel or basic-group participant (ChannelParticipant / ChatParticipant) of chat
// `marked_chat` as a member, with its user from `index` when there; false if it is not a user.
v1::ChatMember::Status MemberStatus(const tl::Object& participant);
bool MemberToProto(const tl::Object& participant, absl::string_view account, int64_t marked_chat,
                   const PeerIndex& index, v1::ChatMember* out);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_CONVERT_H_
