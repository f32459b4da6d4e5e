#include "tests/fakedc/world.h"

#include <ctime>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tgrpc::fakedc {

int64_t World::RandomLong() { return static_cast<int64_t>(random_() >> 1); }

void World::RandomBytes(absl::Span<uint8_t> out) {
  uint64_t word = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i % 8 == 0) word = random_();
    out[i] = static_cast<uint8_t>(word >> (8 * (i % 8)));
  }
}

std::string World::RandomString(size_t size) {
  std::string out(size, '\0');
  RandomBytes(absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

namespace {

void TrimEvents(MessageBox& box) {
  while (box.events.size() > World::kMaxPtsEvents) box.events.pop_front();
}

}  // namespace

MessageRecord& World::AddMessage(MessageBox& box, MessageRecord record) {
  record.id = ++box.last_id;
  PtsEvent event;
  event.pts = ++box.pts;
  event.pts_count = 1;
  event.date = Now();
  event.new_message_id = record.id;
  box.events.push_back(std::move(event));
  TrimEvents(box);
  return box.messages[record.id] = std::move(record);
}

int32_t World::AddEvent(MessageBox& box, int32_t pts_count,
                        const std::function<std::string(int32_t pts)>& make_update) {
  PtsEvent event;
  event.pts = box.pts + pts_count;
  event.pts_count = pts_count;
  event.date = Now();
  event.update = make_update(event.pts);
  box.pts = event.pts;
  box.events.push_back(std::move(event));
  TrimEvents(box);
  return box.pts;
}

UserRecord& World::AddUser(const std::string& phone, const std::string& first_name,
                           const std::string& last_name) {
  UserRecord user;
  user.id = NewId();
  user.access_hash = RandomLong();
  user.phone = phone;
  user.first_name = first_name;
  user.last_name = last_name;
  return users_[user.id] = std::move(user);
}

UserRecord& World::AddBot(const std::string& username, const std::string& first_name) {
  UserRecord bot;
  bot.id = NewId();
  bot.access_hash = RandomLong();
  bot.username = username;
  bot.first_name = first_name;
  bot.bot = true;
  bot.bot_token = absl::StrCat(bot.id, ":", absl::StrFormat("%016x", random_()));
  return users_[bot.id] = std::move(bot);
}

UserRecord* World::FindUser(int64_t id) {
  auto it = users_.find(id);
  return it == users_.end() ? nullptr : &it->second;
}

UserRecord* World::FindUserByPhone(const std::string& phone) {
  for (auto& [id, user] : users_) {
    if (!user.phone.empty() && user.phone == phone) return &user;
  }
  return nullptr;
}

UserRecord* World::FindUserByUsername(const std::string& username) {
  for (auto& [id, user] : users_) {
    if (!user.username.empty() &&
        absl::AsciiStrToLower(user.username) == absl::AsciiStrToLower(username)) {
      return &user;
    }
  }
  return nullptr;
}

UserRecord* World::FindBotByToken(const std::string& token) {
  for (auto& [id, user] : users_) {
    if (user.bot && user.bot_token == token) return &user;
  }
  return nullptr;
}

bool World::AddContact(int64_t owner_id, int64_t contact_id) {
  UserRecord* owner = FindUser(owner_id);
  UserRecord* contact = FindUser(contact_id);
  if (owner == nullptr || contact == nullptr || !owner->contacts.insert(contact_id).second) {
    return false;
  }
  contact->contact_of.insert(owner_id);
  return true;
}

bool World::RemoveContact(int64_t owner_id, int64_t contact_id) {
  UserRecord* owner = FindUser(owner_id);
  UserRecord* contact = FindUser(contact_id);
  if (owner == nullptr || contact == nullptr || owner->contacts.erase(contact_id) == 0) {
    return false;
  }
  contact->contact_of.erase(owner_id);
  return true;
}

const PendingCode& World::IssueCode(const std::string& phone,
                                    std::optional<std::string> fixed_code) {
  PendingCode code;
  code.phone = phone;
  code.hash = absl::StrFormat("%016x", random_());
  // Drawn even when fixed: other numbers' codes stay what the seed made them.
  code.code = absl::StrFormat("%05d", static_cast<int>(random_() % 100000));
  if (fixed_code.has_value()) code.code = *std::move(fixed_code);
  last_codes_[phone] = code.code;
  return codes_[phone] = std::move(code);
}

const PendingCode* World::FindCode(const std::string& phone) const {
  auto it = codes_.find(phone);
  return it == codes_.end() ? nullptr : &it->second;
}

std::optional<std::string> World::LastCode(const std::string& phone) const {
  auto it = last_codes_.find(phone);
  if (it == last_codes_.end()) return std::nullopt;
  return it->second;
}

int64_t World::UserOfKey(uint64_t auth_key_id) const {
  auto it = sessions_.find(auth_key_id);
  return it == sessions_.end() ? 0 : it->second;
}

std::vector<int64_t> World::SignedInUsers() const {
  std::set<int64_t> users;
  for (const auto& [key, user_id] : sessions_) users.insert(user_id);
  return {users.begin(), users.end()};
}

int64_t World::PendingPasswordUser(uint64_t auth_key_id) const {
  auto it = pending_passwords_.find(auth_key_id);
  return it == pending_passwords_.end() ? 0 : it->second;
}

std::string World::ExportAuthorization(int64_t user_id, int dc_id) {
  const int32_t now = Now();
  for (auto it = exported_authorizations_.begin(); it != exported_authorizations_.end();) {
    it = it->second.expires_at <= now ? exported_authorizations_.erase(it) : std::next(it);
  }
  std::string bytes = RandomString(128);
  exported_authorizations_[bytes] = {user_id, dc_id, now + kExportedAuthorizationLifetime};
  return bytes;
}

const ExportedAuthorizationRecord* World::FindExportedAuthorization(
    const std::string& bytes) const {
  auto it = exported_authorizations_.find(bytes);
  if (it == exported_authorizations_.end() || it->second.expires_at <= Now()) return nullptr;
  return &it->second;
}

absl::StatusOr<const PasswordRecord*> World::PasswordOf(int64_t user_id) {
  const UserRecord* user = FindUser(user_id);
  if (user == nullptr || user->password.empty()) {
    return absl::FailedPreconditionError("the user has no 2FA password");
  }
  PasswordRecord& record = passwords_[user_id];
  if (record.password == user->password) return &record;
  // Salt sizes as Telegram's: salt1 is the 8 bytes the server offered in new_algo plus the 32 a
  // client appends when it sets the password (api/srp, "Setting a new 2FA password").
  record.params = mtproto::crypto::SrpParams();
  record.params.salt1.resize(40);
  record.params.salt2.resize(16);
  RandomBytes(absl::MakeSpan(record.params.salt1));
  RandomBytes(absl::MakeSpan(record.params.salt2));
  const mtproto::crypto::Sha256Digest x =
      mtproto::crypto::SrpPasswordHash(user->password, record.params.salt1, record.params.salt2);
  absl::StatusOr<mtproto::crypto::DhValue> verifier =
      mtproto::crypto::SrpVerifier(record.params, x);
  if (!verifier.ok()) {
    passwords_.erase(user_id);
    return verifier.status();
  }
  record.verifier = *verifier;
  record.password = user->password;
  return &record;
}

absl::StatusOr<const SrpChallengeRecord*> World::IssueSrpChallenge(int64_t user_id) {
  absl::StatusOr<const PasswordRecord*> password = PasswordOf(user_id);
  if (!password.ok()) return password.status();
  absl::StatusOr<mtproto::crypto::SrpChallenge> challenge =
      mtproto::crypto::NewSrpChallenge((*password)->params, (*password)->verifier,
                                       [this](absl::Span<uint8_t> out) { RandomBytes(out); });
  if (!challenge.ok()) return challenge.status();
  const int64_t srp_id = challenge->srp_id;
  SrpChallengeRecord& record = srp_challenges_[srp_id];
  record.user_id = user_id;
  record.password = (*password)->password;
  record.challenge = *std::move(challenge);
  srp_challenge_order_.push_back(srp_id);
  while (srp_challenge_order_.size() > kMaxSrpChallenges) {
    srp_challenges_.erase(srp_challenge_order_.front());
    srp_challenge_order_.pop_front();
  }
  return &record;
}

std::optional<SrpChallengeRecord> World::TakeSrpChallenge(int64_t srp_id) {
  auto it = srp_challenges_.find(srp_id);
  if (it == srp_challenges_.end()) return std::nullopt;
  SrpChallengeRecord record = std::move(it->second);
  srp_challenges_.erase(it);
  return record;
}

ChannelRecord& World::AddChannel(const std::string& title, const std::string& username,
                                 int64_t creator_id, bool megagroup) {
  ChannelRecord channel;
  channel.id = NewId();
  channel.access_hash = RandomLong();
  channel.title = title;
  channel.username = username;
  channel.creator_id = creator_id;
  channel.megagroup = megagroup;
  channel.date = Now();
  // A new channel's box starts at kFirstPts (MessageBox's default), so its dialog never carries
  // pts 0, which getChannelDifference takes as PERSISTENT_TIMESTAMP_EMPTY.
  channel.members.push_back(creator_id);
  return channels_[channel.id] = std::move(channel);
}

void ChannelRecord::LiftLapsedRestrictions(int32_t now) {
  for (auto it = restricted.begin(); it != restricted.end();) {
    if (it->second.until_date != 0 && it->second.until_date <= now) {
      kicked.erase(it->first);
      it = restricted.erase(it);
    } else {
      ++it;
    }
  }
}

ChannelRecord* World::FindChannel(int64_t id) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return nullptr;
  it->second.LiftLapsedRestrictions(Now());
  return &it->second;
}

ChannelRecord* World::FindChannelByUsername(const std::string& username) {
  for (auto& [id, channel] : channels_) {
    if (!channel.username.empty() &&
        absl::AsciiStrToLower(channel.username) == absl::AsciiStrToLower(username)) {
      channel.LiftLapsedRestrictions(Now());
      return &channel;
    }
  }
  return nullptr;
}

const ChatParticipantRecord* ChatRecord::Participant(int64_t user_id) const {
  for (const ChatParticipantRecord& p : participants) {
    if (p.user_id == user_id) return &p;
  }
  return nullptr;
}

ChatRecord& World::AddChat(const std::string& title, int64_t creator_id) {
  ChatRecord chat;
  chat.id = NewId();
  chat.title = title;
  chat.creator_id = creator_id;
  chat.date = Now();
  chat.participants.push_back({creator_id, creator_id, chat.date});
  return chats_[chat.id] = std::move(chat);
}

ChatRecord* World::FindChat(int64_t id) {
  auto it = chats_.find(id);
  return it == chats_.end() ? nullptr : &it->second;
}

DocumentRecord& World::AddDocument(DocumentRecord doc) {
  const int64_t id = doc.id;
  return documents_[id] = std::move(doc);
}

DocumentRecord* World::FindDocument(int64_t id) {
  auto it = documents_.find(id);
  return it == documents_.end() ? nullptr : &it->second;
}

}  // namespace tgrpc::fakedc
