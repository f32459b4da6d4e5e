// The Telegram fakedc emulates: accounts, sign-in codes, the keys they are signed in on, chats,
// messages and update counters. Plain records here; handlers (methods_*.cc) turn them into the
// pinned layer's TL objects. Lives on the server thread: no locks.
#ifndef TGRPC_TESTS_FAKEDC_WORLD_H_
#define TGRPC_TESTS_FAKEDC_WORLD_H_

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mtproto/crypto/srp.h"
#include "tests/fakedc/file_store.h"
#include "tests/fakedc/flood.h"

namespace tgrpc::fakedc {

struct UserRecord {
  int64_t id = 0;
  int64_t access_hash = 0;
  std::string phone;  // digits only; empty for bots
  std::string first_name;
  std::string last_name;
  std::string username;
  bool bot = false;
  std::string bot_token;
  // Telegram Premium (user.premium): files of up to 4000 MiB (8000 parts) instead of 2000 MiB.
  bool premium = false;
  // The DC that keeps the account: sign-in elsewhere is PHONE_MIGRATE / USER_MIGRATE to it.
  int home_dc = 2;
  std::string password;  // 2FA password, empty when none
  std::string password_hint;
  // The user's contact list, and whose lists the user is in (World::AddContact keeps both): the
  // user objects each viewer gets say contact / mutual_contact.
  std::set<int64_t> contacts;
  std::set<int64_t> contact_of;
  PeerPhoto photo;  // the profile photo (photos.uploadProfilePhoto)
  // Every profile photo set (SetPeerPhoto), newest first: photos.getUserPhotos lists them.
  std::vector<int64_t> profile_photos;
  std::string about;  // userFull.about (account.updateProfile)
  // Whom the user blocked (contacts.block), with when: they cannot write to the user.
  std::map<int64_t, int32_t> blocked;
};

// The server's side of a user's 2FA password (core.telegram.org/api/srp): its KDF parameters
// and SRP verifier. Derived from UserRecord::password on first use, since the verifier costs a
// PBKDF2 (about 0.1 s), and derived again only when the password changes.
struct PasswordRecord {
  std::string password;  // the one `verifier` belongs to
  mtproto::crypto::SrpParams params;
  mtproto::crypto::DhValue verifier{};
};

// An account.getPassword answer awaiting its auth.checkPassword.
struct SrpChallengeRecord {
  int64_t user_id = 0;
  std::string password;  // the password it was issued for: SRP_PASSWORD_CHANGED otherwise
  mtproto::crypto::SrpChallenge challenge;
};

enum class PeerKind { kUser, kChat, kChannel };
struct PeerRef {
  PeerKind kind = PeerKind::kUser;
  int64_t id = 0;
  bool operator==(const PeerRef&) const = default;
};

// What a service message (messageService) records: Telegram's messageAction* for a group's or a
// channel's life (created, renamed, members added or removed).
struct ServiceAction {
  enum class Kind {
    kChatCreate,
    kChatEditTitle,
    kChatAddUser,
    kChatDeleteUser,
    kChannelCreate,
    kChatEditPhoto,
    kChatDeletePhoto,
    kTopicCreate,
    kTopicEdit,
    kChatJoinedByLink,
  };
  Kind kind = Kind::kChatCreate;
  std::string title;  // kChatCreate, kChatEditTitle, kChannelCreate
  // kChatCreate, kChatAddUser; kChatDeleteUser: the one removed; kChatJoinedByLink: the link's
  // maker.
  std::vector<int64_t> user_ids;
  int64_t photo_id = 0;  // kChatEditPhoto: the new photo (World::files())
  // kTopicCreate: title, icon_color and icon_emoji_id; kTopicEdit: what changed (title when
  // title_changed).
  int32_t icon_color = 0;
  std::optional<int64_t> icon_emoji_id;
  bool title_changed = false;
  std::optional<bool> closed;
  std::optional<bool> hidden;
};

// One reaction of one user on a message (messages.sendReaction).
struct ReactionRecord {
  int64_t user_id = 0;
  std::string reaction;  // an emoji, or "custom:<document id>"
  int32_t date = 0;
  bool big = false;
};

struct MessageRecord {
  int32_t id = 0;
  int64_t from_id = 0;
  // Sent as this channel (messages.sendMessage's send_as), which it shows as its author; 0: as
  // from_id. from_id stays the user who sent it.
  int64_t sent_as_channel = 0;
  // A bot's reply markup, boxed pinned-layer TL (empty: none).
  std::string reply_markup;
  PeerRef peer;  // the chat it is in, as seen by the box owner
  int32_t date = 0;
  std::string text;
  // Its styled ranges, each a boxed pinned-layer MessageEntity, checked (entities.h).
  std::vector<std::string> entities;
  std::optional<int64_t> document_id;
  std::optional<int64_t> photo_id;  // World::files()
  bool out = false;
  std::optional<ServiceAction> action;  // set for a service message, which has no text
  // A private chat's message with someone else: the id of its copy in the other side's box, which
  // its edits and revoking deletions reach too (0: none).
  int32_t counterpart_id = 0;
  // Every copy of one basic-group message sent with Deliver has the same key
  // (World::NewGroupMessageKey), so pins, reactions and reads reach the other members' copies.
  int64_t group_key = 0;
  bool pinned = false;
  // The album it was sent in (messages.sendMultiMedia), the same for every item; 0: none.
  int64_t grouped_id = 0;
  // The forum topic it was posted in (the id of the topic's creation message); 0: none.
  int32_t topic_id = 0;
  // Media besides documents and photos (a geo point, a contact, a dice): boxed pinned-layer
  // MessageMedia (empty: none).
  std::string media;
  std::vector<ReactionRecord> reactions;  // in the order they were set
  // A poll (World::FindPoll): shown with its results now, whatever `media` says.
  int64_t poll_id = 0;
  int64_t via_bot_id = 0;  // sent through an inline bot (messages.sendInlineBotResult)
};

// A poll or quiz (inputMediaPoll) with its votes (messages.sendVote).
struct PollRecord {
  int64_t id = 0;
  std::string question;
  std::vector<std::pair<std::string, std::string>> answers;  // (text, option bytes)
  bool public_voters = false;
  bool multiple_choice = false;
  bool quiz = false;
  std::string correct_option;  // a quiz's right option
  std::string solution;
  int32_t close_period = 0;
  int32_t close_date = 0;  // 0: open until closed
  bool closed = false;
  int64_t creator_id = 0;
  std::map<int64_t, std::vector<std::string>> votes;  // by voter: the options chosen
};

// What a bot set about itself (bots.*): commands by (scope, language), info by language, menu
// buttons by user (0: the default), each a boxed pinned-layer BotMenuButton.
struct BotSettings {
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::string, std::string>>>
      commands;
  struct Info {
    std::string name;
    std::string about;
    std::string description;
  };
  std::map<std::string, Info> info;
  std::map<int64_t, std::string> menu_buttons;
};

// What a reader has read of one chat: messages.readHistory up to inbox_max_id, its own messages
// read by the others up to outbox_max_id, and readMentions up to mentions_max_id.
struct ReadState {
  int32_t inbox_max_id = 0;
  int32_t outbox_max_id = 0;
  int32_t mentions_max_id = 0;
};

// One change that moved a box's pts, kept so that updates.getDifference (user boxes) and
// updates.getChannelDifference (channel boxes) can replay it to a client that missed it.
struct PtsEvent {
  int32_t pts = 0;        // the box's pts after the event
  int32_t pts_count = 0;  // how far it moved pts (1 per message; a deletion, 1 per id)
  int32_t date = 0;
  // A new message of the box (a difference's new_messages; 0 for other events) ...
  int32_t new_message_id = 0;
  // ... or any other update (a difference's other_updates): the pinned-layer Update, boxed TL,
  // carrying this event's pts and pts_count (updateEditMessage, updateDeleteMessages, ...).
  std::string update;
};

// The pts of a box before its first event. Telegram's boxes start at 1, never 0: a channel's
// (getChannelDifference takes pts 0 as PERSISTENT_TIMESTAMP_EMPTY) and an account's common box
// alike (updates.getState of a fresh account is pts 1; clients take pts 0 as "no state": Telethon's
// MessageBox drops it, mtcute then starts from the first update it sees and misses a gap before
// it, and tdlib rejects an update whose pts - pts_count is below 1).
inline constexpr int32_t kFirstPts = 1;

// The messages of one user's private chats and basic groups, or of one channel, with its pts and
// the log of the events that moved it.
struct MessageBox {
  int32_t pts = kFirstPts;
  int32_t last_id = 0;
  std::map<int32_t, MessageRecord> messages;
  // The newest events, oldest first, at most World::kMaxPtsEvents: a client further behind gets
  // differenceTooLong / channelDifferenceTooLong.
  std::deque<PtsEvent> events;
  // Read state by chat (a user's box: keyed by the chat's kind and id) or by reader (a channel's:
  // {kUser, reader}).
  std::map<std::pair<int, int64_t>, ReadState> reads;
};

// A topic of a forum supergroup (channels.createForumTopic); its id is the id of the service
// message that created it, but for the General topic's (kGeneralTopicId), which holds the messages
// posted in no other topic.
inline constexpr int32_t kGeneralTopicId = 1;
struct ForumTopicRecord {
  int32_t id = 0;
  std::string title;
  int32_t icon_color = 0;
  int64_t icon_emoji_id = 0;
  bool closed = false;
  bool hidden = false;
  int64_t creator_id = 0;
  int32_t date = 0;
};

// Rights as the bits of their TL flags: chatAdminRights' (change_info = 1 << 0, ...) and
// chatBannedRights' (view_messages = 1 << 0, send_messages = 1 << 1, ...), so that a set is
// compared and stored as one number (chat_rights.h converts).
struct AdminRecord {
  uint32_t rights = 0;
  std::string rank;
  int64_t promoted_by = 0;
  int32_t date = 0;
};
struct RestrictionRecord {
  uint32_t banned = 0;  // chatBannedRights bits; view_messages for a ban (see kicked)
  // 0: for good; else lifted once World::Now() reaches it (ChannelRecord::LiftLapsedRestrictions).
  int32_t until_date = 0;
  int64_t kicked_by = 0;
  int32_t date = 0;
};

// One entry of a channel's admin log (channels.getAdminLog): the action as boxed pinned-layer
// TL (a ChannelAdminLogEventAction), with the filter flag it falls under.
struct AdminLogRecord {
  int64_t id = 0;
  int32_t date = 0;
  int64_t user_id = 0;
  uint32_t filter_bit = 0;  // channelAdminLogEventsFilter's flag bit
  std::string action;
};

// An invite link of a channel or basic group (messages.exportChatInvite), and a request to join
// through one that needs approval (channels only).
struct InviteRecord {
  std::string hash;
  int64_t admin_id = 0;
  int32_t date = 0;
  int32_t expire_date = 0;  // 0: never
  int32_t usage_limit = 0;  // 0: none
  int32_t usage = 0;
  bool request_needed = false;
  bool revoked = false;
  std::string title;
};
struct JoinRequestRecord {
  int64_t user_id = 0;
  int32_t date = 0;
  std::string hash;  // the link it came through
};

struct ChannelRecord {
  int64_t id = 0;
  int64_t access_hash = 0;
  std::string title;
  std::string username;
  bool megagroup = false;
  bool forum = false;  // a supergroup with topics (channels.createChannel's forum)
  // Its topics, the General topic (kGeneralTopicId) among them once a forum method saw the forum.
  std::map<int32_t, ForumTopicRecord> topics;
  std::vector<int32_t> pinned_topics;  // messages.updatePinnedForumTopic, the newest pin first
  int64_t creator_id = 0;
  int32_t date = 0;
  std::vector<int64_t> members;  // in join order; the creator first
  std::string about;             // channelFull.about (channels.createChannel)
  // Users banned from viewing it (channels.editBanned with view_messages): not members, and they
  // cannot join again until the ban is lifted or the creator invites them.
  std::set<int64_t> kicked;
  // Admins besides the creator (channels.editAdmin), and members restricted or banned
  // (channels.editBanned; the banned are in `kicked` too).
  std::map<int64_t, AdminRecord> admins;
  std::map<int64_t, RestrictionRecord> restricted;
  uint32_t default_banned = 0;  // messages.editChatDefaultBannedRights
  int32_t slowmode_seconds = 0;
  std::map<int64_t, int32_t> last_sent;  // by member, for slow mode
  bool signatures = false;
  std::vector<AdminLogRecord> admin_log;  // oldest first
  // channels.deleteHistory without for_everyone: the history a member no longer sees, up to this
  // message id.
  std::map<int64_t, int32_t> history_cleared;
  std::vector<InviteRecord> invites;             // oldest first
  std::vector<JoinRequestRecord> join_requests;  // oldest first
  PeerPhoto photo;
  bool HasMember(int64_t user_id) const {
    return std::find(members.begin(), members.end(), user_id) != members.end();
  }
  // Drops the bans and restrictions whose until_date is not after `now`: as in Telegram, the
  // member may write, and the banned may join, again (World::FindChannel calls it).
  void LiftLapsedRestrictions(int32_t now);
  MessageBox box;
};

struct ChatParticipantRecord {
  int64_t user_id = 0;
  int64_t inviter_id = 0;  // the creator's own record: the creator
  int32_t date = 0;
};

// A basic group. It has no box of its own: as in Telegram, each member keeps a copy of every
// message in their own MessageBox, with that box's id and pts.
struct ChatRecord {
  int64_t id = 0;
  std::string title;
  int64_t creator_id = 0;
  int32_t date = 0;
  int32_t version = 1;                              // of the participant list
  std::vector<ChatParticipantRecord> participants;  // in join order
  // Who was a member and is no more, each with whether someone else removed them (true) or they
  // left (false). They keep their copy of the history; the chat looks forbidden or left to them.
  std::map<int64_t, bool> former_members;
  std::set<int64_t> admins;  // messages.editChatAdmin: every right, no title
  uint32_t default_banned = 0;
  std::string about;
  PeerPhoto photo;
  std::vector<InviteRecord> invites;  // oldest first

  const ChatParticipantRecord* Participant(int64_t user_id) const;
  bool HasMember(int64_t user_id) const { return Participant(user_id) != nullptr; }
  // A member now or before: the chat is among the user's peers.
  bool Knows(int64_t user_id) const {
    return HasMember(user_id) || former_members.count(user_id) != 0;
  }
};

struct DocumentRecord {
  int64_t id = 0;
  int64_t access_hash = 0;
  int64_t size = 0;
  std::string name;
  std::string mime_type;
  std::string path;  // contents on disk
  // The attributes sent besides the file name (video, audio, ...), each boxed pinned-layer TL.
  std::vector<std::string> attributes;
  int dc_id = 2;
  int32_t date = 0;
};

// An auth.exportAuthorization answer awaiting its auth.importAuthorization on `dc_id`.
struct ExportedAuthorizationRecord {
  int64_t user_id = 0;
  int dc_id = 0;
  int32_t expires_at = 0;
};

struct PendingCode {
  std::string phone;
  std::string hash;
  std::string code;
};

class World {
 public:
  explicit World(uint64_t seed) : random_(seed) {}

  int64_t NewId() { return next_id_++; }
  int64_t NewGroupMessageKey() { return ++group_message_keys_; }
  int64_t RandomLong();
  int32_t Now() const { return now_ ? now_() : static_cast<int32_t>(time(nullptr)); }
  void SetClock(std::function<int32_t()> now) { now_ = std::move(now); }

  // Accounts.
  UserRecord& AddUser(const std::string& phone, const std::string& first_name,
                      const std::string& last_name = "");
  UserRecord& AddBot(const std::string& username, const std::string& first_name);
  UserRecord* FindUser(int64_t id);
  UserRecord* FindUserByPhone(const std::string& phone);
  UserRecord* FindUserByUsername(const std::string& username);
  UserRecord* FindBotByToken(const std::string& token);
  // Contacts: `contact_id` joins / leaves `owner_id`'s list. False if it was already in / not in.
  bool AddContact(int64_t owner_id, int64_t contact_id);
  bool RemoveContact(int64_t owner_id, int64_t contact_id);

  // Sign-in codes: sendCode issues one (random, or `code` when given); the last code per phone is
  // readable by tests.
  const PendingCode& IssueCode(const std::string& phone,
                               std::optional<std::string> code = std::nullopt);
  const PendingCode* FindCode(const std::string& phone) const;
  void ConsumeCode(const std::string& phone) { codes_.erase(phone); }
  // Every code issued, for tests and the log.
  std::optional<std::string> LastCode(const std::string& phone) const;

  // Which user a permanent auth key is signed in as.
  void SignIn(uint64_t auth_key_id, int64_t user_id) { sessions_[auth_key_id] = user_id; }
  void SignOut(uint64_t auth_key_id) { sessions_.erase(auth_key_id); }
  // Ends every authorization of the user, as "terminate all sessions" on another device does:
  // its keys' calls get 401 AUTH_KEY_UNREGISTERED.
  void SignOutEverywhere(int64_t user_id) {
    std::erase_if(sessions_, [user_id](const auto& session) { return session.second == user_id; });
  }
  int64_t UserOfKey(uint64_t auth_key_id) const;
  // The users signed in on at least one key, ascending: the only ones a push can reach (a channel
  // with 10,000 members pushes to these few, not to every member).
  std::vector<int64_t> SignedInUsers() const;
  // A key whose code was right but whose account has a 2FA password (auth.checkPassword next).
  void SetPendingPassword(uint64_t auth_key_id, int64_t user_id) {
    pending_passwords_[auth_key_id] = user_id;
  }
  // The user a key awaits auth.checkPassword for, or 0.
  int64_t PendingPasswordUser(uint64_t auth_key_id) const;
  void ClearPendingPassword(uint64_t auth_key_id) { pending_passwords_.erase(auth_key_id); }

  // DC migration: the bytes that sign `user_id` in on `dc_id` with auth.importAuthorization until
  // kExportedAuthorizationLifetime seconds from now. Expired ones are dropped here.
  std::string ExportAuthorization(int64_t user_id, int dc_id);
  // The live export with these bytes, or nullptr.
  const ExportedAuthorizationRecord* FindExportedAuthorization(const std::string& bytes) const;
  static constexpr int32_t kExportedAuthorizationLifetime = 600;

  // FLOOD_WAIT limits and the calls counted against them (see flood.h).
  FloodControl& flood() { return flood_; }

  // Every upload.saveFilePart / saveBigFilePart taken, oldest first (the newest kMaxPartSaves):
  // tests count the parts sent again and see which sessions carried them.
  struct PartSave {
    int64_t user_id = 0;
    int64_t file_id = 0;
    int32_t part = 0;
    int32_t total_parts = 0;  // saveBigFilePart's file_total_parts; 0 for saveFilePart
    int dc_id = 0;
    uint64_t session_id = 0;
  };
  static constexpr size_t kMaxPartSaves = 100000;
  void AddPartSave(const PartSave& save) {
    part_saves_.push_back(save);
    if (part_saves_.size() > kMaxPartSaves) part_saves_.pop_front();
  }
  const std::deque<PartSave>& part_saves() const { return part_saves_; }

  // 2FA with SRP. The user's password state, derived (and cached) from UserRecord::password;
  // kFailedPrecondition when the user has none.
  absl::StatusOr<const PasswordRecord*> PasswordOf(int64_t user_id);
  // A new challenge for the user's password, kept for TakeSrpChallenge. The oldest are dropped
  // past kMaxSrpChallenges, so clients that never answer cannot grow the World.
  absl::StatusOr<const SrpChallengeRecord*> IssueSrpChallenge(int64_t user_id);
  // Removes and returns the challenge `srp_id`: each answers one auth.checkPassword.
  std::optional<SrpChallengeRecord> TakeSrpChallenge(int64_t srp_id);
  // Bytes from the World's seeded generator (salts, secure_random, SRP secrets), so a seed
  // reproduces them like every other value the World makes up.
  void RandomBytes(absl::Span<uint8_t> out);
  std::string RandomString(size_t size);

  static constexpr size_t kMaxSrpChallenges = 1024;

  // Messages.
  MessageBox& BoxOf(int64_t user_id) { return boxes_[user_id]; }
  // Stores `record` in `box` under the box's next id (record.id is set), moves pts by one and logs
  // the event. Returns the stored message; its pts is box.pts.
  MessageRecord& AddMessage(MessageBox& box, MessageRecord record);
  // Moves the box's pts by `pts_count` and logs `make_update(new_pts)` (a boxed pinned-layer
  // Update carrying that pts and pts_count) as the event. Returns the new pts.
  int32_t AddEvent(MessageBox& box, int32_t pts_count,
                   const std::function<std::string(int32_t pts)>& make_update);
  static constexpr size_t kMaxPtsEvents = 10000;
  ChannelRecord& AddChannel(const std::string& title, const std::string& username,
                            int64_t creator_id, bool megagroup);
  ChannelRecord* FindChannel(int64_t id);
  ChannelRecord* FindChannelByUsername(const std::string& username);

  // Basic groups: a new one has its creator as the only participant.
  ChatRecord& AddChat(const std::string& title, int64_t creator_id);
  ChatRecord* FindChat(int64_t id);
  std::map<int64_t, ChatRecord>& chats() { return chats_; }

  DocumentRecord& AddDocument(DocumentRecord doc);
  DocumentRecord* FindDocument(int64_t id);
  // Photos and the file references of photos and documents.
  FileStore& files() { return files_; }

  // Bots and polls (methods_bots.cc).
  BotSettings& BotSettingsOf(int64_t bot_id) { return bot_settings_[bot_id]; }
  PollRecord& AddPoll() {
    const int64_t id = RandomLong();
    PollRecord& poll = polls_[id];
    poll.id = id;
    return poll;
  }
  PollRecord* FindPoll(int64_t id) {
    auto it = polls_.find(id);
    return it == polls_.end() ? nullptr : &it->second;
  }
  // How long a button press or an inline query waits for the bot (BOT_RESPONSE_TIMEOUT after).
  int bot_answer_timeout_ms() const { return bot_answer_timeout_ms_; }
  void set_bot_answer_timeout_ms(int ms) { bot_answer_timeout_ms_ = ms; }

  const std::map<int64_t, UserRecord>& users() const { return users_; }
  std::map<int64_t, ChannelRecord>& channels() { return channels_; }

 private:
  std::mt19937_64 random_;
  std::function<int32_t()> now_;
  int64_t next_id_ = 1000000;
  int64_t group_message_keys_ = 0;
  std::map<int64_t, UserRecord> users_;
  std::map<std::string, PendingCode> codes_;
  std::map<std::string, std::string> last_codes_;
  std::map<uint64_t, int64_t> sessions_;
  std::map<uint64_t, int64_t> pending_passwords_;
  std::map<std::string, ExportedAuthorizationRecord> exported_authorizations_;  // by bytes
  FloodControl flood_;
  std::deque<PartSave> part_saves_;
  std::map<int64_t, PasswordRecord> passwords_;           // by user id
  std::map<int64_t, SrpChallengeRecord> srp_challenges_;  // by srp_id
  std::deque<int64_t> srp_challenge_order_;               // srp_ids, oldest first
  std::map<int64_t, MessageBox> boxes_;
  std::map<int64_t, ChannelRecord> channels_;
  std::map<int64_t, ChatRecord> chats_;
  std::map<int64_t, DocumentRecord> documents_;
  FileStore files_;
  std::map<int64_t, BotSettings> bot_settings_;
  std::map<int64_t, PollRecord> polls_;
  int bot_answer_timeout_ms_ = 5000;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_WORLD_H_
