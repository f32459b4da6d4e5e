// ChatService's UpdateChatMember (ban, unban, kick, restrict, promote, demote), UpdateChat's
// settings (about, default permissions, slow mode, signatures, topics) and DeleteChatHistory end
// to end against fakedc, which checks Telegram's rights: each change is seen afterwards through
// ListChatMembers, GetChat, SendMessage and ListMessages of the accounts involved, and each
// refusal (CHAT_ADMIN_REQUIRED, RIGHT_FORBIDDEN, USER_ADMIN_INVALID, CHAT_WRITE_FORBIDDEN,
// SLOWMODE_WAIT) as the status the API promises.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/empty.pb.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

constexpr char kPublicGroup[] = "members_public";  // a public supergroup alice owns

class ChatMembersTest : public ServiceTest {
 protected:
  // alice, bob and carol (tenant A); a public supergroup of alice's that bob and carol are in.
  void SetUpAccounts() {
    SignIn("alice", fakedc::kSeedAlicePhone);
    SignIn("bob", fakedc::kSeedBobPhone);
    SignIn("carol", fakedc::kSeedCarolPhone, fakedc::kSeedCarolPassword);
    dc_->Run([](fakedc::World& world) {
      fakedc::ChannelRecord& group = world.AddChannel(
          "Members", kPublicGroup, world.FindUserByPhone(fakedc::kSeedAlicePhone)->id, true);
      group.members.push_back(world.FindUserByPhone(fakedc::kSeedBobPhone)->id);
      group.members.push_back(world.FindUserByPhone(fakedc::kSeedCarolPhone)->id);
    });
    alice_id_ = UserId("alice");
    bob_id_ = UserId("bob");
    carol_id_ = UserId("carol");
    // Each account's dialogs list the supergroup: their peer caches know it by id from here on.
    for (const char* account : {"alice", "bob", "carol"}) {
      v1::ListChatsRequest list;
      list.set_account(absl::StrCat("accounts/", account));
      v1::ListChatsResponse listed;
      ASSERT_TRUE(chats_->ListChats(Context().get(), list, &listed).ok());
      for (const v1::Dialog& dialog : listed.dialogs()) {
        if (dialog.chat().username() == kPublicGroup) group_id_ = dialog.chat().id();
      }
    }
    ASSERT_NE(group_id_, 0);
    // ... and, from its member list, the other two.
    for (const char* account : {"alice", "bob", "carol"}) {
      EXPECT_EQ(Members(account, group_id_, v1::ListChatMembersRequest::RECENT).size(), 3u);
    }
  }

  static std::string Chat(const std::string& account, int64_t chat) {
    return absl::StrCat("accounts/", account, "/chats/", chat);
  }
  static std::string Member(const std::string& account, int64_t chat, int64_t user) {
    return absl::StrCat(Chat(account, chat), "/members/", user);
  }

  int64_t UserId(const std::string& account) {
    v1::GetMeRequest me;
    me.set_account(absl::StrCat("accounts/", account));
    v1::User user;
    EXPECT_TRUE(users_->GetMe(Context().get(), me, &user).ok());
    return user.id();
  }

  grpc::Status Change(const std::string& name, v1::UpdateChatMemberRequest request,
                      v1::ChatMember* member = nullptr) {
    request.set_name(name);
    v1::ChatMember ignored;
    return chats_->UpdateChatMember(Context().get(), request,
                                    member != nullptr ? member : &ignored);
  }
  static v1::UpdateChatMemberRequest Promote(const v1::ChatAdminRights& rights,
                                             const std::string& title = "") {
    v1::UpdateChatMemberRequest q;
    *q.mutable_promote()->mutable_rights() = rights;
    q.mutable_promote()->set_custom_title(title);
    return q;
  }
  static v1::UpdateChatMemberRequest Of(void (*set)(v1::UpdateChatMemberRequest&)) {
    v1::UpdateChatMemberRequest q;
    set(q);
    return q;
  }

  // The members `account` lists with `filter`, by user id.
  std::map<int64_t, v1::ChatMember> Members(const std::string& account, int64_t chat_id,
                                            v1::ListChatMembersRequest::Filter filter) {
    v1::ListChatMembersRequest list;
    list.set_parent(Chat(account, chat_id));
    list.set_filter(filter);
    v1::ListChatMembersResponse listed;
    grpc::Status status = chats_->ListChatMembers(Context().get(), list, &listed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::map<int64_t, v1::ChatMember> out;
    for (const v1::ChatMember& member : listed.members()) out[member.user().id()] = member;
    return out;
  }

  grpc::Status Send(const std::string& account, int64_t chat_id, const std::string& text) {
    v1::SendMessageRequest send;
    send.set_parent(Chat(account, chat_id));
    send.set_text(text);
    v1::Message sent;
    return messages_->SendMessage(Context().get(), send, &sent);
  }

  // UpdateChat of the mask paths in `paths`, the values in `request` (chat.name set here).
  grpc::Status Update(const std::string& name, v1::UpdateChatRequest request,
                      const std::vector<std::string>& paths, v1::Chat* chat = nullptr) {
    request.mutable_chat()->set_name(name);
    for (const std::string& path : paths) request.mutable_update_mask()->add_paths(path);
    v1::Chat ignored;
    return chats_->UpdateChat(Context().get(), request, chat != nullptr ? chat : &ignored);
  }

  grpc::Status DeleteHistory(const std::string& name, bool revoke) {
    v1::DeleteChatHistoryRequest clear;
    clear.set_name(name);
    clear.set_revoke(revoke);
    google::protobuf::Empty empty;
    return chats_->DeleteChatHistory(Context().get(), clear, &empty);
  }

  // The texts of the account's messages in the chat that have text, newest first.
  std::vector<std::string> Texts(const std::string& account, int64_t chat_id) {
    v1::ListMessagesRequest list;
    list.set_parent(Chat(account, chat_id));
    v1::ListMessagesResponse page;
    grpc::Status status = messages_->ListMessages(Context().get(), list, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::vector<std::string> out;
    for (const v1::Message& m : page.messages()) {
      if (!m.text().empty()) out.push_back(m.text());
    }
    return out;
  }

  grpc::Status Join(const std::string& account) {
    v1::JoinChatRequest join;
    join.set_name(absl::StrCat("accounts/", account, "/chats/", kPublicGroup));
    v1::Chat chat;
    return chats_->JoinChat(Context().get(), join, &chat);
  }

  int64_t alice_id_ = 0;
  int64_t bob_id_ = 0;
  int64_t carol_id_ = 0;
  int64_t group_id_ = 0;
};

TEST_F(ChatMembersTest, PromotesWithRightsAndTitleAndChecksThem) {
  SetUpAccounts();
  v1::ChatAdminRights moderator;
  moderator.set_ban_users(true);
  moderator.set_add_admins(true);
  v1::ChatMember promoted;
  grpc::Status status =
      Change(Member("alice", group_id_, bob_id_), Promote(moderator, "Moderator"), &promoted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(promoted.status(), v1::ChatMember::ADMINISTRATOR);
  EXPECT_EQ(promoted.name(), Member("alice", group_id_, bob_id_));
  EXPECT_EQ(promoted.rank(), "Moderator");
  // Telegram's admin list has him, with his rights and title.
  std::map<int64_t, v1::ChatMember> admins =
      Members("alice", group_id_, v1::ListChatMembersRequest::ADMINS);
  ASSERT_EQ(admins.size(), 2u);
  EXPECT_EQ(admins[alice_id_].status(), v1::ChatMember::CREATOR);
  EXPECT_EQ(admins[bob_id_].status(), v1::ChatMember::ADMINISTRATOR);
  EXPECT_EQ(admins[bob_id_].rank(), "Moderator");
  EXPECT_TRUE(admins[bob_id_].admin_rights().ban_users());
  EXPECT_TRUE(admins[bob_id_].admin_rights().add_admins());
  EXPECT_FALSE(admins[bob_id_].admin_rights().change_info());

  // Bob grants only rights he holds, and never changes the creator.
  v1::ChatAdminRights more = moderator;
  more.set_change_info(true);
  status = Change(Member("bob", group_id_, carol_id_), Promote(more));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "RIGHT_FORBIDDEN");
  status = Change(Member("bob", group_id_, alice_id_), Promote(moderator));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "USER_ADMIN_INVALID");
  v1::ChatAdminRights banner;
  banner.set_ban_users(true);
  status = Change(Member("bob", group_id_, carol_id_), Promote(banner));
  ASSERT_TRUE(status.ok()) << status.error_message();
  // Carol, without add_admins, promotes and demotes nobody.
  status = Change(Member("carol", group_id_, bob_id_), Of([](auto& q) { q.mutable_demote(); }));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");

  // The creator demotes bob: a member again, who bans nobody.
  v1::ChatMember demoted;
  status = Change(Member("alice", group_id_, bob_id_), Of([](auto& q) { q.mutable_demote(); }),
                  &demoted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(demoted.status(), v1::ChatMember::MEMBER);
  admins = Members("alice", group_id_, v1::ListChatMembersRequest::ADMINS);
  EXPECT_EQ(admins.count(bob_id_), 0u);
  EXPECT_EQ(admins.count(carol_id_), 1u);
  status = Change(Member("bob", group_id_, alice_id_), Of([](auto& q) { q.mutable_kick(); }));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
}

TEST_F(ChatMembersTest, RestrictsBansUnbansAndKicks) {
  SetUpAccounts();
  ASSERT_TRUE(Send("bob", group_id_, "before").ok());
  // Restricted to reading and pinning: bob stays, and cannot write.
  v1::UpdateChatMemberRequest restrict;
  restrict.mutable_restrict()->mutable_permissions()->set_pin_messages(true);
  restrict.mutable_restrict()->mutable_until_time()->set_seconds(2000000000);
  v1::ChatMember restricted;
  grpc::Status status = Change(Member("alice", group_id_, bob_id_), restrict, &restricted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(restricted.status(), v1::ChatMember::RESTRICTED);
  status = Send("bob", group_id_, "muted");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_WRITE_FORBIDDEN");
  std::map<int64_t, v1::ChatMember> listed =
      Members("alice", group_id_, v1::ListChatMembersRequest::RESTRICTED);
  ASSERT_EQ(listed.count(bob_id_), 1u);
  EXPECT_EQ(listed[bob_id_].status(), v1::ChatMember::RESTRICTED);
  EXPECT_TRUE(listed[bob_id_].permissions().pin_messages());
  EXPECT_FALSE(listed[bob_id_].permissions().send_messages());
  EXPECT_EQ(listed[bob_id_].until_time().seconds(), 2000000000);
  // Unbanned: he writes again.
  status = Change(Member("alice", group_id_, bob_id_), Of([](auto& q) { q.mutable_unban(); }));
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Send("bob", group_id_, "free").ok());

  // Banned: out, and cannot join the public group again until unbanned.
  v1::ChatMember banned;
  status =
      Change(Member("alice", group_id_, bob_id_), Of([](auto& q) { q.mutable_ban(); }), &banned);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(banned.status(), v1::ChatMember::BANNED);
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::RECENT).count(bob_id_), 0u);
  listed = Members("alice", group_id_, v1::ListChatMembersRequest::BANNED);
  ASSERT_EQ(listed.count(bob_id_), 1u);
  EXPECT_EQ(listed[bob_id_].status(), v1::ChatMember::BANNED);
  status = Join("bob");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(Reason(status), "CHANNEL_PRIVATE");
  status = Change(Member("alice", group_id_, bob_id_), Of([](auto& q) { q.mutable_unban(); }));
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_TRUE(Join("bob").ok());

  // Kicked: out, and free to come back at once.
  v1::ChatMember kicked;
  status =
      Change(Member("alice", group_id_, carol_id_), Of([](auto& q) { q.mutable_kick(); }), &kicked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(kicked.status(), v1::ChatMember::LEFT);
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::RECENT).count(carol_id_), 0u);
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::BANNED).count(carol_id_), 0u);
  ASSERT_TRUE(Join("carol").ok());

  // A member is named by username as well as by id.
  status = Change(absl::StrCat(Chat("alice", group_id_), "/members/bob_example"),
                  Of([](auto& q) { q.mutable_ban(); }));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::BANNED).count(bob_id_), 1u);
}

TEST_F(ChatMembersTest, BasicGroupAdminsAndRemovals) {
  SetUpAccounts();
  v1::CreateChatRequest create;
  create.set_account("accounts/alice");
  create.set_type(v1::Chat::BASIC_GROUP);
  create.set_title("Basic Members");
  create.add_users("accounts/alice/users/bob_example");
  create.add_users(absl::StrCat("accounts/alice/users/", carol_id_));
  v1::Chat group;
  ASSERT_TRUE(chats_->CreateChat(Context().get(), create, &group).ok());
  v1::ChatAdminRights all;
  all.set_other(true);
  grpc::Status status = Change(Member("alice", group.id(), bob_id_), Promote(all));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::map<int64_t, v1::ChatMember> members =
      Members("alice", group.id(), v1::ListChatMembersRequest::RECENT);
  EXPECT_EQ(members[bob_id_].status(), v1::ChatMember::ADMINISTRATOR);
  EXPECT_EQ(members[carol_id_].status(), v1::ChatMember::MEMBER);
  // Bob, an admin now, removes carol (whom alice added).
  status = Change(Member("bob", group.id(), carol_id_), Of([](auto& q) { q.mutable_kick(); }));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Members("alice", group.id(), v1::ListChatMembersRequest::RECENT).count(carol_id_), 0u);
  // A basic group has no titles, restrictions or bans to lift.
  status = Change(Member("alice", group.id(), bob_id_), Promote(all, "Chief"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "promote.custom_title");
  v1::UpdateChatMemberRequest restrict;
  restrict.mutable_restrict();
  status = Change(Member("alice", group.id(), bob_id_), restrict);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "change");
  // Only the creator makes admins.
  status = Change(Member("bob", group.id(), alice_id_), Promote(all));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  status = Change(Member("alice", group.id(), bob_id_), Of([](auto& q) { q.mutable_demote(); }));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Members("alice", group.id(), v1::ListChatMembersRequest::RECENT)[bob_id_].status(),
            v1::ChatMember::MEMBER);
}

TEST_F(ChatMembersTest, RetriedRequestIdActsOnceAndBadInputIsNamed) {
  SetUpAccounts();
  v1::UpdateChatMemberRequest kick = Of([](auto& q) { q.mutable_kick(); });
  kick.set_request_id("kick-1");
  ASSERT_TRUE(Change(Member("alice", group_id_, bob_id_), kick).ok());
  ASSERT_TRUE(Join("bob").ok());
  // The retry answers what the first call did and kicks nobody again.
  v1::ChatMember again;
  ASSERT_TRUE(Change(Member("alice", group_id_, bob_id_), kick, &again).ok());
  EXPECT_EQ(again.status(), v1::ChatMember::LEFT);
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::RECENT).count(bob_id_), 1u);

  struct Case {
    std::string what;
    std::string name;
    v1::UpdateChatMemberRequest request;
    std::string field;
  };
  v1::ChatAdminRights none;
  v1::ChatAdminRights some;
  some.set_pin_messages(true);
  v1::UpdateChatMemberRequest early_ban = Of([](auto& q) { q.mutable_ban(); });
  early_ban.mutable_ban()->mutable_until_time()->set_seconds(-5);
  v1::UpdateChatMemberRequest long_id = kick;
  long_id.set_request_id(std::string(129, 'r'));
  kick.clear_request_id();  // a request_id answered before would answer again
  const std::vector<Case> cases = {
      {"no change", Member("alice", group_id_, bob_id_), v1::UpdateChatMemberRequest(), "change"},
      {"promote without rights", Member("alice", group_id_, bob_id_), Promote(none),
       "promote.rights"},
      {"a 17-character title", Member("alice", group_id_, bob_id_),
       Promote(some, std::string(17, 't')), "promote.custom_title"},
      {"a ban until before 1970", Member("alice", group_id_, bob_id_), early_ban, "ban.until_time"},
      {"request_id over 128", Member("alice", group_id_, bob_id_), long_id, "request_id"},
      {"oneself", Member("alice", group_id_, alice_id_), kick, "name"},
      {"a private chat", absl::StrCat("accounts/alice/chats/", bob_id_, "/members/", bob_id_), kick,
       "name"},
      {"a chat as the member", absl::StrCat(Chat("alice", group_id_), "/members/fakedc_big"), kick,
       "name"},
      {"no member", Chat("alice", group_id_), kick, "name"},
  };
  for (const Case& c : cases) {
    grpc::Status status = Change(c.name, c.request);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.what << ": " << status.error_code() << " " << status.error_message();
    EXPECT_EQ(BadField(status), c.field) << c.what << ": " << status.error_message();
  }
}

TEST_F(ChatMembersTest, UpdatesAboutPermissionsSlowModeTopicsAndSignatures) {
  SetUpAccounts();
  const std::string group = Chat("alice", group_id_);
  v1::UpdateChatRequest about;
  about.set_about("Be kind");
  v1::Chat chat;
  grpc::Status status = Update(group, about, {"about"}, &chat);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(chat.full().about(), "Be kind");
  ASSERT_TRUE(Update(group, about, {"about"}).ok());  // no change, no error
  // A member who is no admin changes nothing.
  status = Update(Chat("bob", group_id_), about, {"about"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");

  // Default permissions without sending: members read only; the creator still writes.
  v1::UpdateChatRequest read_only;
  read_only.mutable_default_permissions()->set_pin_messages(true);
  ASSERT_TRUE(Update(group, read_only, {"default_permissions"}).ok());
  status = Send("bob", group_id_, "can I?");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_WRITE_FORBIDDEN");
  ASSERT_TRUE(Send("alice", group_id_, "announcement").ok());
  v1::UpdateChatRequest open;
  open.mutable_default_permissions()->set_send_messages(true);
  ASSERT_TRUE(Update(group, open, {"default_permissions"}).ok());
  status = Send("bob", group_id_, "yes");
  ASSERT_TRUE(status.ok()) << status.error_message();

  // Slow mode: bob's second message within the minute waits, with the wait as RetryInfo.
  v1::UpdateChatRequest slow;
  slow.set_slow_mode_seconds(60);
  status = Update(group, slow, {"slow_mode"}, &chat);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(chat.full().slow_mode_seconds(), 60);
  ASSERT_TRUE(Send("bob", group_id_, "one").ok());
  status = Send("bob", group_id_, "two");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_EQ(Reason(status), "SLOWMODE_WAIT");
  EXPECT_GT(RetrySeconds(status), 0);
  EXPECT_LE(RetrySeconds(status), 60);
  ASSERT_TRUE(Send("alice", group_id_, "admins are exempt").ok());
  slow.set_slow_mode_seconds(0);
  ASSERT_TRUE(Update(group, slow, {"slow_mode"}).ok());
  ASSERT_TRUE(Send("bob", group_id_, "three").ok());

  // Topics on and off.
  v1::UpdateChatRequest topics;
  topics.set_topics(true);
  status = Update(group, topics, {"topics"}, &chat);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(chat.is_forum());
  topics.set_topics(false);
  ASSERT_TRUE(Update(group, topics, {"topics"}, &chat).ok());
  EXPECT_FALSE(chat.is_forum());

  // Signatures, a broadcast channel's.
  v1::CreateChatRequest create;
  create.set_account("accounts/alice");
  create.set_type(v1::Chat::CHANNEL);
  create.set_title("Signed");
  v1::Chat channel;
  ASSERT_TRUE(chats_->CreateChat(Context().get(), create, &channel).ok());
  v1::UpdateChatRequest signatures;
  signatures.set_signatures(true);
  status = Update(channel.name(), signatures, {"signatures"});
  ASSERT_TRUE(status.ok()) << status.error_message();
  bool signed_posts = false;
  dc_->Run([&](fakedc::World& world) {
    signed_posts = world.FindChannel(channel.raw_id())->signatures;
  });
  EXPECT_TRUE(signed_posts);

  // Bad values, and settings a basic group has not.
  v1::CreateChatRequest basic;
  basic.set_account("accounts/alice");
  basic.set_type(v1::Chat::BASIC_GROUP);
  basic.set_title("Basic Settings");
  basic.add_users("accounts/alice/users/bob_example");
  v1::Chat basic_group;
  ASSERT_TRUE(chats_->CreateChat(Context().get(), basic, &basic_group).ok());
  status = Update(basic_group.name(), about, {"about"}, &chat);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(chat.full().about(), "Be kind");
  slow.set_slow_mode_seconds(10);
  status = Update(basic_group.name(), slow, {"slow_mode"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "update_mask");
  slow.set_slow_mode_seconds(5);
  status = Update(group, slow, {"slow_mode"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "slow_mode_seconds");
  about.set_about(std::string(256, 'a'));
  status = Update(group, about, {"about"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "about");
}

TEST_F(ChatMembersTest, RestrictionsAndBansLapseWhenTheirTimeComes) {
  SetUpAccounts();
  // fakedc's clock, moved by the test.
  auto now = std::make_shared<std::atomic<int32_t>>(
      static_cast<int32_t>(absl::ToUnixSeconds(absl::Now())));
  const int32_t start = now->load();
  dc_->Run([now](fakedc::World& world) { world.SetClock([now] { return now->load(); }); });
  v1::UpdateChatMemberRequest restrict;
  restrict.mutable_restrict()->mutable_permissions()->set_pin_messages(true);
  restrict.mutable_restrict()->mutable_until_time()->set_seconds(start + 3600);
  grpc::Status status = Change(Member("alice", group_id_, bob_id_), restrict);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::UpdateChatMemberRequest ban;
  ban.mutable_ban()->mutable_until_time()->set_seconds(start + 3600);
  status = Change(Member("alice", group_id_, carol_id_), ban);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Reason(Send("bob", group_id_, "muted")), "CHAT_WRITE_FORBIDDEN");
  EXPECT_EQ(Reason(Join("carol")), "CHANNEL_PRIVATE");
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::RESTRICTED).count(bob_id_), 1u);
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::BANNED).count(carol_id_), 1u);

  // An hour on, both ended: bob writes, carol joins, and neither list has them.
  *now = start + 3600;
  status = Send("bob", group_id_, "free again");
  EXPECT_TRUE(status.ok()) << status.error_message();
  status = Join("carol");
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::RESTRICTED).count(bob_id_), 0u);
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::BANNED).count(carol_id_), 0u);
  EXPECT_EQ(Members("alice", group_id_, v1::ListChatMembersRequest::RECENT).count(carol_id_), 1u);
}

TEST_F(ChatMembersTest, DeletesHistoryForOneselfOrEveryone) {
  SetUpAccounts();
  // A private chat, for both sides.
  v1::SendMessageRequest send;
  send.set_parent(Chat("alice", bob_id_));
  send.set_text("private one");
  v1::Message sent;
  ASSERT_TRUE(messages_->SendMessage(Context().get(), send, &sent).ok());
  send.set_text("private two");
  ASSERT_TRUE(messages_->SendMessage(Context().get(), send, &sent).ok());
  ASSERT_EQ(Texts("bob", alice_id_).size(), 2u);
  grpc::Status status = DeleteHistory(Chat("alice", bob_id_), true);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Texts("alice", bob_id_).empty());
  EXPECT_TRUE(Texts("bob", alice_id_).empty());

  // A supergroup: bob clears it for himself only; for everyone takes delete_messages.
  ASSERT_TRUE(Send("alice", group_id_, "group one").ok());
  ASSERT_TRUE(Send("bob", group_id_, "group two").ok());
  status = DeleteHistory(Chat("bob", group_id_), false);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Texts("bob", group_id_).empty());
  EXPECT_EQ(Texts("alice", group_id_).size(), 2u);
  status = DeleteHistory(Chat("bob", group_id_), true);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  status = DeleteHistory(Chat("alice", group_id_), true);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Texts("alice", group_id_).empty());
  EXPECT_TRUE(Texts("carol", group_id_).empty());
  // Later messages are seen again.
  ASSERT_TRUE(Send("carol", group_id_, "after").ok());
  EXPECT_EQ(Texts("bob", group_id_), std::vector<std::string>{"after"});
}

TEST_F(ChatMembersTest, AdminLogListsTheActionsPagedAndFiltered) {
  SetUpAccounts();
  v1::ChatAdminRights banner;
  banner.set_ban_users(true);
  ASSERT_TRUE(Change(Member("alice", group_id_, bob_id_), Promote(banner)).ok());
  v1::UpdateChatRequest about;
  about.set_about("Logged");
  ASSERT_TRUE(Update(Chat("alice", group_id_), about, {"about"}).ok());
  ASSERT_TRUE(
      Change(Member("bob", group_id_, carol_id_), Of([](auto& q) { q.mutable_ban(); })).ok());

  v1::ListAdminLogRequest list;
  list.set_parent(Chat("alice", group_id_));
  v1::ListAdminLogResponse log;
  grpc::Status status = chats_->ListAdminLog(Context().get(), list, &log);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(log.events_size(), 3);
  // Newest first.
  EXPECT_EQ(log.events(0).action(), "ParticipantToggleBan");
  EXPECT_EQ(log.events(0).user_id(), bob_id_);
  EXPECT_EQ(log.events(1).action(), "ChangeAbout");
  EXPECT_NE(log.events(1).action_json().find("Logged"), std::string::npos)
      << log.events(1).action_json();
  EXPECT_EQ(log.events(2).action(), "ParticipantToggleAdmin");
  EXPECT_GT(log.events(0).id(), log.events(1).id());

  // Paged.
  list.set_page_size(2);
  ASSERT_TRUE(chats_->ListAdminLog(Context().get(), list, &log).ok());
  ASSERT_EQ(log.events_size(), 2);
  ASSERT_FALSE(log.next_page_token().empty());
  list.set_page_token(log.next_page_token());
  v1::ListAdminLogResponse rest;
  ASSERT_TRUE(chats_->ListAdminLog(Context().get(), list, &rest).ok());
  ASSERT_EQ(rest.events_size(), 1);
  EXPECT_EQ(rest.events(0).action(), "ParticipantToggleAdmin");

  // Filtered by kind and by admin.
  v1::ListAdminLogRequest info;
  info.set_parent(Chat("alice", group_id_));
  info.add_filters(v1::ListAdminLogRequest::INFO);
  ASSERT_TRUE(chats_->ListAdminLog(Context().get(), info, &log).ok());
  ASSERT_EQ(log.events_size(), 1);
  EXPECT_EQ(log.events(0).action(), "ChangeAbout");
  v1::ListAdminLogRequest bobs;
  bobs.set_parent(Chat("alice", group_id_));
  bobs.add_admins(absl::StrCat("accounts/alice/users/", bob_id_));
  ASSERT_TRUE(chats_->ListAdminLog(Context().get(), bobs, &log).ok());
  ASSERT_EQ(log.events_size(), 1);
  EXPECT_EQ(log.events(0).user_id(), bob_id_);

  // Matched by query: a text an action carries, or the name of the member it concerns.
  v1::ListAdminLogRequest search;
  search.set_parent(Chat("alice", group_id_));
  search.set_query("LOGGED");
  ASSERT_TRUE(chats_->ListAdminLog(Context().get(), search, &log).ok());
  ASSERT_EQ(log.events_size(), 1);
  EXPECT_EQ(log.events(0).action(), "ChangeAbout");
  search.set_query("Carol");
  ASSERT_TRUE(chats_->ListAdminLog(Context().get(), search, &log).ok());
  ASSERT_EQ(log.events_size(), 1);
  EXPECT_EQ(log.events(0).action(), "ParticipantToggleBan");
  search.set_query("nobody at all");
  ASSERT_TRUE(chats_->ListAdminLog(Context().get(), search, &log).ok());
  EXPECT_EQ(log.events_size(), 0);
  // With a kind too: both must match.
  search.set_query("Bob");
  search.add_filters(v1::ListAdminLogRequest::PROMOTE);
  ASSERT_TRUE(chats_->ListAdminLog(Context().get(), search, &log).ok());
  ASSERT_EQ(log.events_size(), 1);
  EXPECT_EQ(log.events(0).action(), "ParticipantToggleAdmin");

  // Members who are no admins read no log; bad input is named.
  v1::ListAdminLogRequest carols;
  carols.set_parent(Chat("bob", group_id_));
  ASSERT_TRUE(
      Change(Member("alice", group_id_, bob_id_), Of([](auto& q) { q.mutable_demote(); })).ok());
  status = chats_->ListAdminLog(Context().get(), carols, &log);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  v1::ListAdminLogRequest bad = info;
  bad.add_filters(static_cast<v1::ListAdminLogRequest::Filter>(99));
  status = chats_->ListAdminLog(Context().get(), bad, &log);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "filters[1]");
  bad = info;
  bad.set_page_size(101);
  EXPECT_EQ(BadField(chats_->ListAdminLog(Context().get(), bad, &log)), "page_size");
}

}  // namespace
}  // namespace tgrpc::service_test
