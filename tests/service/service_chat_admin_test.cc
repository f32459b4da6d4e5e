// ChatService's administration end to end against fakedc: CreateChat (a basic group, a supergroup
// and a broadcast channel), JoinChat and LeaveChat, UpdateChat (the title), AddChatMembers and
// UpdateChatMember's ban, each seen afterwards through GetChat, ListChatMembers and ListChats of
// both accounts; Telegram's refusals (CHAT_ADMIN_REQUIRED as PERMISSION_DENIED,
// USER_ALREADY_PARTICIPANT as ALREADY_EXISTS, a banned user's CHANNEL_PRIVATE), retries of a
// request_id that act once, and bad input naming its field.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

constexpr char kPublicGroup[] = "admin_public";  // a public supergroup alice owns, bob not in it

class ChatAdminTest : public ServiceTest {
 protected:
  // Signs alice and bob in (both of tenant A) and adds the public supergroup alice owns.
  void SetUpAccounts() {
    SignIn("alice", fakedc::kSeedAlicePhone);
    SignIn("bob", fakedc::kSeedBobPhone);
    dc_->Run([](fakedc::World& world) {
      fakedc::UserRecord* alice = world.FindUserByPhone(fakedc::kSeedAlicePhone);
      world.AddChannel("Admin Public", kPublicGroup, alice->id, true);
    });
    alice_id_ = UserId("alice");
    bob_id_ = UserId("bob");
    // alice's dialogs list the supergroup: her peer cache knows it by id from here on.
    DialogOf("alice", 0);
  }

  static std::string Chat(const std::string& account, const std::string& chat) {
    return absl::StrCat("accounts/", account, "/chats/", chat);
  }
  static std::string Chat(const std::string& account, int64_t chat) {
    return Chat(account, absl::StrCat(chat));
  }
  static std::string User(const std::string& account, const std::string& user) {
    return absl::StrCat("accounts/", account, "/users/", user);
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

  grpc::Status CreateStatus(const v1::CreateChatRequest& request, v1::Chat* chat) {
    return chats_->CreateChat(Context().get(), request, chat);
  }
  // alice's new chat of `type` with `users` (references of alice's).
  v1::Chat Create(v1::Chat::Type type, const std::string& title,
                  const std::vector<std::string>& users, const std::string& about = "") {
    v1::CreateChatRequest create;
    create.set_account("accounts/alice");
    create.set_type(type);
    create.set_title(title);
    create.set_about(about);
    for (const std::string& user : users) create.add_users(User("alice", user));
    v1::Chat chat;
    grpc::Status status = CreateStatus(create, &chat);
    EXPECT_TRUE(status.ok()) << title << ": " << status.error_message();
    return chat;
  }

  v1::Chat Get(const std::string& account, int64_t chat_id) {
    v1::GetChatRequest get;
    get.set_name(Chat(account, chat_id));
    v1::Chat chat;
    grpc::Status status = chats_->GetChat(Context().get(), get, &chat);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return chat;
  }

  // The members `account` lists in the chat, by user id, with their status.
  std::map<int64_t, v1::ChatMember::Status> Members(const std::string& account, int64_t chat_id) {
    v1::ListChatMembersRequest list;
    list.set_parent(Chat(account, chat_id));
    v1::ListChatMembersResponse listed;
    grpc::Status status = chats_->ListChatMembers(Context().get(), list, &listed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    std::map<int64_t, v1::ChatMember::Status> out;
    for (const v1::ChatMember& member : listed.members()) {
      EXPECT_EQ(member.name(), Member(account, chat_id, member.user().id()));
      out[member.user().id()] = member.status();
    }
    return out;
  }

  // The account's dialog of the chat, if it lists one.
  std::optional<v1::Dialog> DialogOf(const std::string& account, int64_t chat_id) {
    v1::ListChatsRequest list;
    list.set_account(absl::StrCat("accounts/", account));
    v1::ListChatsResponse listed;
    grpc::Status status = chats_->ListChats(Context().get(), list, &listed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const v1::Dialog& dialog : listed.dialogs()) {
      if (dialog.chat().id() == chat_id) return dialog;
    }
    return std::nullopt;
  }

  // The account's newest message in the chat.
  v1::Message Newest(const std::string& account, int64_t chat_id) {
    v1::ListMessagesRequest list;
    list.set_parent(Chat(account, chat_id));
    list.set_page_size(1);
    v1::ListMessagesResponse page;
    grpc::Status status = messages_->ListMessages(Context().get(), list, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return page.messages_size() > 0 ? page.messages(0) : v1::Message();
  }

  grpc::Status Join(const std::string& name, v1::Chat* chat, const std::string& request_id = "") {
    v1::JoinChatRequest join;
    join.set_name(name);
    join.set_request_id(request_id);
    return chats_->JoinChat(Context().get(), join, chat);
  }
  grpc::Status Leave(const std::string& name, const std::string& request_id = "") {
    v1::LeaveChatRequest leave;
    leave.set_name(name);
    leave.set_request_id(request_id);
    google::protobuf::Empty empty;
    return chats_->LeaveChat(Context().get(), leave, &empty);
  }
  grpc::Status Rename(const std::string& name, const std::string& title, v1::Chat* chat,
                      const std::string& request_id = "") {
    v1::UpdateChatRequest update;
    update.mutable_chat()->set_name(name);
    update.mutable_chat()->set_title(title);
    update.mutable_update_mask()->add_paths("title");
    update.set_request_id(request_id);
    return chats_->UpdateChat(Context().get(), update, chat);
  }
  grpc::Status Add(const std::string& parent, const std::vector<std::string>& users,
                   v1::AddChatMembersResponse* added = nullptr) {
    v1::AddChatMembersRequest add;
    add.set_parent(parent);
    for (const std::string& user : users) add.add_users(user);
    v1::AddChatMembersResponse ignored;
    return chats_->AddChatMembers(Context().get(), add, added != nullptr ? added : &ignored);
  }
  // UpdateChatMember's ban: out of a basic group; banned from a supergroup or channel.
  grpc::Status Remove(const std::string& name, const std::string& request_id = "") {
    v1::UpdateChatMemberRequest remove;
    remove.set_name(name);
    remove.mutable_ban();
    remove.set_request_id(request_id);
    v1::ChatMember member;
    return chats_->UpdateChatMember(Context().get(), remove, &member);
  }

  int64_t alice_id_ = 0;
  int64_t bob_id_ = 0;
};

TEST_F(ChatAdminTest, CreatesABasicGroupWithItsMembers) {
  SetUpAccounts();
  const v1::Chat group = Create(v1::Chat::BASIC_GROUP, "Admin Group", {"bob_example"});
  EXPECT_EQ(group.type(), v1::Chat::BASIC_GROUP);
  EXPECT_LT(group.id(), 0);
  EXPECT_EQ(group.name(), Chat("alice", group.id()));
  EXPECT_EQ(group.title(), "Admin Group");
  EXPECT_TRUE(group.is_creator());
  EXPECT_EQ(group.members_count(), 2);
  EXPECT_EQ(group.full().members_count(), 2);  // answered as GetChat gives it

  const std::map<int64_t, v1::ChatMember::Status> members = Members("alice", group.id());
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members.at(alice_id_), v1::ChatMember::CREATOR);
  EXPECT_EQ(members.at(bob_id_), v1::ChatMember::MEMBER);
  // Both accounts list it, bob with the creation message as its newest.
  for (const char* account : {"alice", "bob"}) {
    std::optional<v1::Dialog> dialog = DialogOf(account, group.id());
    ASSERT_TRUE(dialog.has_value()) << account;
    EXPECT_EQ(dialog->chat().title(), "Admin Group");
  }
  EXPECT_EQ(Newest("bob", group.id()).service_action(), "chatCreate");
  EXPECT_EQ(Get("bob", group.id()).title(), "Admin Group");
}

TEST_F(ChatAdminTest, CreatesASupergroupAndAChannelWithAbout) {
  SetUpAccounts();
  const v1::Chat supergroup =
      Create(v1::Chat::SUPERGROUP, "Admin Super", {"bob_example", "fakedc_bot"}, "What it is for");
  EXPECT_EQ(supergroup.type(), v1::Chat::SUPERGROUP);
  EXPECT_LE(supergroup.id(), -1000000000000);
  EXPECT_EQ(supergroup.title(), "Admin Super");
  EXPECT_TRUE(supergroup.is_creator());
  EXPECT_EQ(supergroup.full().about(), "What it is for");
  EXPECT_EQ(supergroup.members_count(), 3);  // the users were invited before the answer
  const std::map<int64_t, v1::ChatMember::Status> members = Members("alice", supergroup.id());
  EXPECT_EQ(members.size(), 3u);
  EXPECT_EQ(members.count(bob_id_), 1u);
  EXPECT_EQ(Get("alice", supergroup.id()).full().about(), "What it is for");
  ASSERT_TRUE(DialogOf("bob", supergroup.id()).has_value());
  EXPECT_EQ(Get("bob", supergroup.id()).title(), "Admin Super");

  const v1::Chat channel = Create(v1::Chat::CHANNEL, "Admin News", {}, "News");
  EXPECT_EQ(channel.type(), v1::Chat::CHANNEL);
  EXPECT_EQ(channel.members_count(), 1);
  EXPECT_EQ(channel.full().about(), "News");
  EXPECT_EQ(Newest("alice", channel.id()).service_action(), "channelCreate");
  ASSERT_TRUE(DialogOf("alice", channel.id()).has_value());
  EXPECT_FALSE(DialogOf("bob", channel.id()).has_value());
}

TEST_F(ChatAdminTest, JoinsAndLeaves) {
  SetUpAccounts();
  // A public supergroup by its username.
  v1::Chat joined;
  grpc::Status status = Join(Chat("bob", kPublicGroup), &joined);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(joined.type(), v1::Chat::SUPERGROUP);
  EXPECT_EQ(joined.title(), "Admin Public");
  EXPECT_FALSE(joined.has_left());
  EXPECT_EQ(joined.name(), Chat("bob", joined.id()));
  const int64_t public_id = joined.id();
  EXPECT_EQ(Members("alice", public_id).count(bob_id_), 1u);
  EXPECT_TRUE(DialogOf("bob", public_id).has_value());
  EXPECT_EQ(Newest("alice", public_id).service_action(), "chatAddUser");
  // Again: ALREADY_EXISTS, with Telegram's reason.
  status = Join(Chat("bob", kPublicGroup), &joined);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();
  EXPECT_EQ(Reason(status), "USER_ALREADY_PARTICIPANT");

  status = Leave(Chat("bob", public_id));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Get("bob", public_id).has_left());
  EXPECT_EQ(Members("alice", public_id).count(bob_id_), 0u);
  EXPECT_FALSE(DialogOf("bob", public_id).has_value());
  // Leaving what the account is not in is Telegram's USER_NOT_PARTICIPANT.
  status = Leave(Chat("bob", public_id));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "USER_NOT_PARTICIPANT");

  // A basic group: messages.deleteChatUser of the account itself.
  const v1::Chat group = Create(v1::Chat::BASIC_GROUP, "Leave Me", {"bob_example"});
  ASSERT_TRUE(DialogOf("bob", group.id()).has_value());
  status = Leave(Chat("bob", group.id()));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Get("bob", group.id()).has_left());
  const std::map<int64_t, v1::ChatMember::Status> left = Members("alice", group.id());
  EXPECT_EQ(left.count(bob_id_), 0u);
  EXPECT_EQ(left.size(), 1u);
  EXPECT_EQ(Newest("alice", group.id()).service_action(), "chatDeleteUser");
  // A basic group is not joined by reference.
  status = Join(Chat("bob", group.id()), &joined);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(BadField(status), "name");
}

TEST_F(ChatAdminTest, RenamesGroupsAndChannels) {
  SetUpAccounts();
  const v1::Chat group = Create(v1::Chat::BASIC_GROUP, "Old Group", {"bob_example"});
  const v1::Chat supergroup = Create(v1::Chat::SUPERGROUP, "Old Super", {"bob_example"});
  const v1::Chat channel = Create(v1::Chat::CHANNEL, "Old News", {});
  for (const v1::Chat* chat : {&group, &supergroup, &channel}) {
    const std::string title = "New " + chat->title().substr(4);
    v1::Chat renamed;
    grpc::Status status = Rename(chat->name(), title, &renamed);
    ASSERT_TRUE(status.ok()) << chat->title() << ": " << status.error_message();
    EXPECT_EQ(renamed.title(), title);
    EXPECT_EQ(renamed.id(), chat->id());
    EXPECT_EQ(renamed.type(), chat->type());
    EXPECT_EQ(Get("alice", chat->id()).title(), title);
    std::optional<v1::Dialog> dialog = DialogOf("alice", chat->id());
    ASSERT_TRUE(dialog.has_value());
    EXPECT_EQ(dialog->chat().title(), title);
    EXPECT_EQ(Newest("alice", chat->id()).service_action(), "chatEditTitle") << title;
    // The same title again is no change and no error.
    status = Rename(chat->name(), title, &renamed);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(renamed.title(), title);
  }
  // The members see it too.
  ASSERT_TRUE(DialogOf("bob", supergroup.id()).has_value());
  EXPECT_EQ(Get("bob", group.id()).title(), "New Group");
  EXPECT_EQ(Newest("bob", group.id()).service_action(), "chatEditTitle");
  EXPECT_EQ(Get("bob", supergroup.id()).title(), "New Super");
  // Only an admin renames a supergroup (fakedc: its creator).
  v1::Chat renamed;
  grpc::Status status = Rename(Chat("bob", supergroup.id()), "Bob's", &renamed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  EXPECT_EQ(Get("alice", supergroup.id()).title(), "New Super");
}

TEST_F(ChatAdminTest, AddsAndRemovesMembers) {
  SetUpAccounts();
  // A basic group: one messages.addChatUser per user; bob, already in, is skipped.
  const v1::Chat group = Create(v1::Chat::BASIC_GROUP, "Members Group", {"bob_example"});
  v1::AddChatMembersResponse added;
  grpc::Status status =
      Add(group.name(), {User("alice", "fakedc_bot"), User("alice", "bob_example")}, &added);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(added.missing_users_size(), 0);
  std::map<int64_t, v1::ChatMember::Status> members = Members("alice", group.id());
  ASSERT_EQ(members.size(), 3u);
  int64_t bot_id = 0;
  for (const auto& [id, member_status] : members) {
    if (id != alice_id_ && id != bob_id_) bot_id = id;
  }
  ASSERT_NE(bot_id, 0);
  EXPECT_EQ(Newest("bob", group.id()).service_action(), "chatAddUser");
  EXPECT_EQ(Members("bob", group.id()).size(), 3u);
  // Bob did not add the bot: only the creator or whoever added a member removes them.
  status = Remove(Member("bob", group.id(), bot_id));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  status = Remove(Member("alice", group.id(), bot_id));
  ASSERT_TRUE(status.ok()) << status.error_message();
  members = Members("alice", group.id());
  EXPECT_EQ(members.size(), 2u);
  EXPECT_EQ(members.count(bot_id), 0u);
  EXPECT_EQ(Get("alice", group.id()).members_count(), 2);

  // A supergroup: channels.inviteToChannel, then channels.editBanned.
  const v1::Chat supergroup = Create(v1::Chat::SUPERGROUP, "Members Super", {});
  status = Add(supergroup.name(), {User("alice", "bob_example"), User("alice", "fakedc_bot")});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Members("alice", supergroup.id()).size(), 3u);
  EXPECT_EQ(Get("alice", supergroup.id()).members_count(), 3);
  ASSERT_TRUE(DialogOf("bob", supergroup.id()).has_value());
  // A member who is not an admin removes nobody.
  status = Remove(Member("bob", supergroup.id(), bot_id));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  status = Remove(Member("alice", supergroup.id(), bob_id_));
  ASSERT_TRUE(status.ok()) << status.error_message();
  members = Members("alice", supergroup.id());
  EXPECT_EQ(members.size(), 2u);
  EXPECT_EQ(members.count(bob_id_), 0u);
  EXPECT_EQ(Newest("alice", supergroup.id()).service_action(), "chatDeleteUser");
  EXPECT_TRUE(Get("bob", supergroup.id()).has_left());

  // Removed from a public supergroup, bob cannot join it again until alice adds him back.
  v1::Chat joined;
  ASSERT_TRUE(Join(Chat("bob", kPublicGroup), &joined).ok());
  status = Remove(absl::StrCat(Chat("alice", kPublicGroup), "/members/", bob_id_));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Members("alice", joined.id()).count(bob_id_), 0u);
  status = Join(Chat("bob", kPublicGroup), &joined);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(Reason(status), "CHANNEL_PRIVATE");
  status = Add(Chat("alice", kPublicGroup), {User("alice", absl::StrCat(bob_id_))});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Members("alice", joined.id()).count(bob_id_), 1u);
}

TEST_F(ChatAdminTest, RetriedRequestIdActsOnce) {
  SetUpAccounts();
  // CreateChat: one chat, the same answer twice.
  v1::CreateChatRequest create;
  create.set_account("accounts/alice");
  create.set_type(v1::Chat::BASIC_GROUP);
  create.set_title("Once Only");
  create.add_users(User("alice", "bob_example"));
  create.set_request_id("create-1");
  v1::Chat first, second;
  ASSERT_TRUE(CreateStatus(create, &first).ok());
  ASSERT_TRUE(CreateStatus(create, &second).ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  v1::ListChatsRequest list;
  list.set_account("accounts/alice");
  v1::ListChatsResponse listed;
  ASSERT_TRUE(chats_->ListChats(Context().get(), list, &listed).ok());
  int named = 0;
  for (const v1::Dialog& dialog : listed.dialogs()) named += dialog.chat().title() == "Once Only";
  EXPECT_EQ(named, 1);
  // Another request_id is another chat.
  create.set_request_id("create-2");
  ASSERT_TRUE(CreateStatus(create, &second).ok());
  EXPECT_NE(first.id(), second.id());

  // A channel made whose invitations Telegram then refuses (a bot in a broadcast channel): the
  // call fails, and its retry answers the channel made instead of making another.
  v1::CreateChatRequest channel;
  channel.set_account("accounts/alice");
  channel.set_type(v1::Chat::CHANNEL);
  channel.set_title("Made Anyway");
  channel.add_users(User("alice", "fakedc_bot"));
  channel.set_request_id("channel-1");
  v1::Chat made;
  grpc::Status status = CreateStatus(channel, &made);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "USER_BOT");
  status = CreateStatus(channel, &made);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(made.title(), "Made Anyway");
  EXPECT_EQ(made.type(), v1::Chat::CHANNEL);
  v1::ListChatsResponse relisted;
  ASSERT_TRUE(chats_->ListChats(Context().get(), list, &relisted).ok());
  named = 0;
  for (const v1::Dialog& dialog : relisted.dialogs()) {
    named += dialog.chat().title() == "Made Anyway";
  }
  EXPECT_EQ(named, 1);

  // UpdateChatMember and LeaveChat: the retry answers OK where a second call fails.
  const std::string bob_in_group = Member("alice", first.id(), bob_id_);
  ASSERT_TRUE(Remove(bob_in_group, "remove-1").ok());
  ASSERT_TRUE(Remove(bob_in_group, "remove-1").ok());
  EXPECT_EQ(Remove(bob_in_group).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Members("alice", first.id()).size(), 1u);
  ASSERT_TRUE(Leave(Chat("bob", second.id()), "leave-1").ok());
  ASSERT_TRUE(Leave(Chat("bob", second.id()), "leave-1").ok());
  EXPECT_FALSE(Leave(Chat("bob", second.id())).ok());

  // JoinChat and UpdateChat: the first answer again, no second service message.
  v1::Chat joined, again;
  ASSERT_TRUE(Join(Chat("bob", kPublicGroup), &joined, "join-1").ok());
  ASSERT_TRUE(Join(Chat("bob", kPublicGroup), &again, "join-1").ok());
  EXPECT_EQ(joined.id(), again.id());
  const int32_t before = Newest("alice", second.id()).id();
  v1::Chat renamed;
  ASSERT_TRUE(Rename(second.name(), "Renamed Once", &renamed, "rename-1").ok());
  ASSERT_TRUE(Rename(second.name(), "Renamed Twice", &again, "rename-1").ok());
  EXPECT_EQ(again.title(), "Renamed Once");  // the first call's answer
  EXPECT_EQ(Get("alice", second.id()).title(), "Renamed Once");
  EXPECT_EQ(Newest("alice", second.id()).id(), before + 1);

  // The cache is the tenant's: tenant B's call with the same request_id is its own (and B has
  // no account alice).
  v1::Chat other;
  status = chats_->CreateChat(Context(kTokenB).get(), create, &other);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
}

TEST_F(ChatAdminTest, BadInputIsNamed) {
  SetUpAccounts();
  const v1::Chat group = Create(v1::Chat::BASIC_GROUP, "Bad Input", {"bob_example"});
  auto create = [this](const std::function<void(v1::CreateChatRequest&)>& change) {
    v1::CreateChatRequest q;
    q.set_account("accounts/alice");
    q.set_type(v1::Chat::SUPERGROUP);
    q.set_title("Fine");
    change(q);
    v1::Chat out;
    return CreateStatus(q, &out);
  };
  auto update = [this, &group](const std::function<void(v1::UpdateChatRequest&)>& change) {
    v1::UpdateChatRequest q;
    q.mutable_chat()->set_name(group.name());
    q.mutable_chat()->set_title("Fine");
    q.mutable_update_mask()->add_paths("title");
    change(q);
    v1::Chat out;
    return chats_->UpdateChat(Context().get(), q, &out);
  };
  struct Case {
    std::string what;
    std::function<grpc::Status()> call;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"no title", [&] { return create([](auto& q) { q.clear_title(); }); }, "title"},
      {"only spaces", [&] { return create([](auto& q) { q.set_title("   "); }); }, "title"},
      {"129 characters",
       [&] { return create([](auto& q) { q.set_title(std::string(129, 'a')); }); }, "title"},
      {"no type", [&] { return create([](auto& q) { q.clear_type(); }); }, "type"},
      {"private", [&] { return create([](auto& q) { q.set_type(v1::Chat::PRIVATE); }); }, "type"},
      {"about of a basic group",
       [&] {
         return create([this](auto& q) {
           q.set_type(v1::Chat::BASIC_GROUP);
           q.add_users(User("alice", "bob_example"));
           q.set_about("x");
         });
       },
       "about"},
      {"about over 255",
       [&] { return create([](auto& q) { q.set_about(std::string(256, 'a')); }); }, "about"},
      {"basic group without users",
       [&] { return create([](auto& q) { q.set_type(v1::Chat::BASIC_GROUP); }); }, "users"},
      {"another account's user",
       [&] { return create([this](auto& q) { q.add_users(User("bob", "alice_example")); }); },
       "users[0]"},
      {"a chat as a user",
       [&] { return create([this](auto& q) { q.add_users(User("alice", "fakedc_big")); }); },
       "users"},
      {"request_id over 128",
       [&] { return create([](auto& q) { q.set_request_id(std::string(129, 'r')); }); },
       "request_id"},
      {"unknown mask path",
       [&] { return update([](auto& q) { q.mutable_update_mask()->add_paths("username"); }); },
       "update_mask"},
      {"no mask", [&] { return update([](auto& q) { q.clear_update_mask(); }); }, "update_mask"},
      {"empty new title", [&] { return update([](auto& q) { q.mutable_chat()->clear_title(); }); },
       "chat.title"},
      {"renaming a private chat",
       [&] {
         return update([](auto& q) { q.mutable_chat()->set_name(Chat("alice", "bob_example")); });
       },
       "chat.name"},
      {"adding nobody", [&] { return Add(group.name(), {}); }, "users"},
      {"adding a user of another account",
       [&] { return Add(group.name(), {User("bob", "fakedc_bot")}); }, "users[0]"},
      {"a member that is a chat", [&] { return Remove(group.name() + "/members/fakedc_big"); },
       "name"},
      {"removing oneself", [&] { return Remove(Member("alice", group.id(), alice_id_)); }, "name"},
      {"leaving a private chat", [&] { return Leave(Chat("alice", "bob_example")); }, "name"},
      {"joining a private chat",
       [&] {
         v1::Chat out;
         return Join(Chat("alice", "bob_example"), &out);
       },
       "name"},
  };
  for (const Case& c : cases) {
    grpc::Status status = c.call();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.what << ": " << status.error_code() << " " << status.error_message();
    EXPECT_EQ(BadField(status), c.field) << c.what << ": " << status.error_message();
  }
  // Nothing was made or changed.
  EXPECT_EQ(Get("alice", group.id()).title(), "Bad Input");
  EXPECT_EQ(Members("alice", group.id()).size(), 2u);
}

}  // namespace
}  // namespace tgrpc::service_test
