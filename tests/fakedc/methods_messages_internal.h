// The helpers the message methods share (methods_messages.cc: sends, reads, search, dialogs;
// methods_messages_edit.cc: edits, deletions, forwards; methods_messages_actions.cc: pins, read
// marks, typing, reactions). Internal to fakedc_lib.
#ifndef TGRPC_TESTS_FAKEDC_METHODS_MESSAGES_INTERNAL_H_
#define TGRPC_TESTS_FAKEDC_METHODS_MESSAGES_INTERNAL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {

// An Update as boxed TL for the box's event log (World::AddEvent). Empty, and so skipped by
// getDifference, only if the generated code cannot write it.
std::string UpdateBytes(const tl::api::Update& update);

// Stores a new message with `content`'s text, entities and document in the boxes that see it
// and answers the sender like Telegram: updates{updateMessageID, updateNew(Channel)Message}.
// Other users' sessions get a push.
absl::StatusOr<tl::Ptr<tl::api::Updates>> Deliver(MethodEnv& env, const CallContext& context,
                                                  const PeerRef& peer, const MessageRecord& content,
                                                  int64_t random_id);

// The users and channels the messages mention, for the answer's users/chats vectors.
void AddReferenced(const std::vector<const MessageRecord*>& messages, World& world, int64_t viewer,
                   std::vector<tl::Ptr<tl::api::User>>& users,
                   std::vector<tl::Ptr<tl::api::Chat>>& chats);

// The box that holds `peer`'s messages for the caller: the channel's own, or the caller's.
absl::StatusOr<MessageBox*> BoxFor(World& world, const CallContext& context, const PeerRef& peer);

// A message of `peer` in `box`, or nullptr (a private box holds every chat of its owner).
MessageRecord* FindIn(MessageBox& box, const PeerRef& peer, int32_t id);

// MakeMessage with its reactions as `viewer` sees them (chosen_order for the viewer's own).
tl::Ptr<tl::api::Message> MakeMessageFor(const MessageRecord& message, World& world,
                                         int64_t viewer);

// inputMediaGeoPoint, inputMediaContact and inputMediaDice as the boxed MessageMedia a message
// keeps (GEO_POINT_INVALID, CONTACT_NAME_EMPTY, EMOTICON_INVALID, ...); nullopt for other media.
std::optional<absl::StatusOr<std::string>> SimpleMedia(const tl::api::InputMedia& media,
                                                       World& world);

// inputMediaPoll as a new PollRecord of `creator_id` (POLL_ANSWERS_INVALID,
// QUIZ_CORRECT_ANSWERS_EMPTY, ...): its id; nullopt for other media (methods_bots.cc).
std::optional<absl::StatusOr<int64_t>> PollFromInput(const tl::api::InputMedia& media, World& world,
                                                     int64_t creator_id);

// messages.sendVote (methods_polls.cc); called by RegisterBotMethods.
void RegisterPollMethods(Dispatcher& d, MethodEnv& env);

// A chat's unread messages and unread mentions for `viewer` (messages.getDialogs).
int32_t UnreadCount(World& world, int64_t viewer, const PeerRef& peer);
int32_t UnreadMentionsCount(World& world, int64_t viewer, const PeerRef& peer);

// Pins, reads, typing, reactions (methods_messages_actions.cc); called by RegisterMessageMethods.
void RegisterMessageActions(Dispatcher& d, MethodEnv& env);

// The forum topic a message sent to `peer` with `reply_to` is posted in (methods_forum.cc): 0
// outside forums and topics; TOPIC_ID_INVALID for an unknown one, TOPIC_CLOSED for a closed one
// (but for the forum's creator).
absl::StatusOr<int32_t> TopicOf(World& world, const CallContext& context, const PeerRef& peer,
                                const tl::api::InputReplyTo* reply_to);

// messages.createForumTopic and messages.editForumTopic (methods_forum.cc); called by
// RegisterMessageMethods.
void RegisterForumMethods(Dispatcher& d, MethodEnv& env);

// messages.uploadMedia and messages.sendMultiMedia (methods_albums.cc); called by
// RegisterMessageMethods.
void RegisterAlbumMethods(Dispatcher& d, MethodEnv& env);

// messages.editMessage, messages.deleteMessages, channels.deleteMessages and
// messages.forwardMessages (methods_messages_edit.cc); called by RegisterMessageMethods.
void RegisterMessageEditing(Dispatcher& d, MethodEnv& env);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_METHODS_MESSAGES_INTERNAL_H_
