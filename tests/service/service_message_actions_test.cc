// MessageService's actions end to end against fakedc, in a private chat, a basic group, a
// supergroup and a broadcast channel: pins (one side or both, one or all unpinned), read marks
// (history and mentions, seen in the dialogs' unread counts), chat actions, reactions (with who
// reacted, paged) and location, contact and dice messages; Telegram's refusals
// (CHAT_ADMIN_REQUIRED, REACTION_INVALID, REACTIONS_TOO_MANY, PREMIUM_ACCOUNT_REQUIRED,
// BROADCAST_FORBIDDEN, EMOTICON_INVALID) and bad input. What one account does reaches the other
// account's StreamUpdates as typed events (pinned_messages, read, typing, reactions).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

constexpr char kNews[] = "actions_news";  // a broadcast channel alice owns, bob reads

class MessageActionsTest : public ServiceTest {
 protected:
  // Signs alice and bob in, and makes a basic group of the two and a broadcast channel alice owns
  // that bob joined. group_ is the group's marked id, known to both accounts' peer caches.
  void SetUpChats() {
    SignIn("alice", fakedc::kSeedAlicePhone);
    SignIn("bob", fakedc::kSeedBobPhone);
    int64_t chat_id = 0;
    dc_->Run([&](fakedc::World& world) {
      fakedc::UserRecord* alice = world.FindUserByPhone(fakedc::kSeedAlicePhone);
      fakedc::UserRecord* bob = world.FindUserByPhone(fakedc::kSeedBobPhone);
      fakedc::ChatRecord& chat = world.AddChat("Actions Group", alice->id);
      chat.participants.push_back({bob->id, alice->id, world.Now()});
      chat_id = chat.id;
      // The group's first message, in both boxes, so that both dialogs list it.
      for (const fakedc::UserRecord* user : {alice, bob}) {
        fakedc::MessageRecord created;
        created.from_id = alice->id;
        created.peer = {fakedc::PeerKind::kChat, chat.id};
        created.date = world.Now();
        created.out = user == alice;
        created.action = fakedc::ServiceAction{
            fakedc::ServiceAction::Kind::kChatCreate, chat.title, {alice->id, bob->id}};
        world.AddMessage(world.BoxOf(user->id), created);
      }
      fakedc::ChannelRecord& news = world.AddChannel("Actions News", kNews, alice->id, false);
      news.members.push_back(bob->id);
    });
    group_ = -chat_id;
    for (const char* account : {"alice", "bob"}) Dialogs(account);
  }

  std::string Chat(const std::string& account, const std::string& chat) {
    return absl::StrCat("accounts/", account, "/chats/", chat);
  }
  std::string Group(const std::string& account) { return Chat(account, absl::StrCat(group_)); }
  static std::string MessageNameIn(const std::string& chat, int32_t id) {
    return absl::StrCat(chat, "/messages/", id);
  }

  v1::Message Send(const std::string& parent, const std::string& text) {
    v1::SendMessageRequest send;
    send.set_parent(parent);
    send.set_text(text);
    v1::Message sent;
    grpc::Status status = messages_->SendMessage(Context().get(), send, &sent);
    EXPECT_TRUE(status.ok()) << parent << ": " << status.error_message();
    return sent;
  }

  // The account's newest message in the chat.
  v1::Message Newest(const std::string& parent) {
    v1::ListMessagesRequest list;
    list.set_parent(parent);
    list.set_page_size(1);
    v1::ListMessagesResponse page;
    grpc::Status status = messages_->ListMessages(Context().get(), list, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return page.messages_size() > 0 ? page.messages(0) : v1::Message();
  }

  v1::Message Get(const std::string& message_name) {
    const size_t cut = message_name.find("/messages/");
    v1::GetMessagesRequest get;
    get.set_parent(message_name.substr(0, cut));
    get.add_ids(std::stoi(message_name.substr(cut + 10)));
    v1::GetMessagesResponse got;
    grpc::Status status = messages_->GetMessages(Context().get(), get, &got);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return got.messages_size() > 0 ? got.messages(0) : v1::Message();
  }

  std::vector<v1::Dialog> Dialogs(const std::string& account) {
    v1::ListChatsRequest list;
    list.set_account(absl::StrCat("accounts/", account));
    v1::ListChatsResponse listed;
    grpc::Status status = chats_->ListChats(Context().get(), list, &listed);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {listed.dialogs().begin(), listed.dialogs().end()};
  }
  v1::Dialog DialogOf(const std::string& account, int64_t chat_id) {
    for (const v1::Dialog& d : Dialogs(account)) {
      if (d.chat().id() == chat_id) return d;
    }
    ADD_FAILURE() << "no dialog with " << chat_id << " for " << account;
    return {};
  }

  struct Stream {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientReader<v1::UpdateEvent>> reader;
  };
  // A live stream of `account`'s events of `kind`, open once its first checkpoint came.
  Stream Watch(const std::string& account, const std::string& kind) {
    v1::StreamUpdatesRequest request;
    request.add_accounts(absl::StrCat("accounts/", account));
    request.mutable_filter()->add_kinds(kind);
    request.set_now(true);
    request.mutable_checkpoint_interval()->set_nanos(200'000'000);
    Stream stream;
    stream.context = Context(kTokenA, 30);
    stream.reader = updates_->StreamUpdates(stream.context.get(), request);
    v1::UpdateEvent event;
    EXPECT_TRUE(stream.reader->Read(&event));
    EXPECT_TRUE(event.has_checkpoint()) << event.DebugString();
    return stream;
  }
  // The next event that is not a checkpoint and that `wanted` takes (events of an action taken
  // before the stream opened may still come first).
  static v1::UpdateEvent Next(
      Stream& stream, const std::function<bool(const v1::UpdateEvent&)>& wanted =
                          [](const v1::UpdateEvent&) { return true; }) {
    v1::UpdateEvent event;
    while (stream.reader->Read(&event)) {
      if (!event.has_checkpoint() && wanted(event)) return event;
    }
    ADD_FAILURE() << "the stream ended: " << stream.reader->Finish().error_message();
    return {};
  }

  int64_t UserId(const std::string& account) {
    v1::GetMeRequest me;
    me.set_account(absl::StrCat("accounts/", account));
    v1::User user;
    EXPECT_TRUE(users_->GetMe(Context().get(), me, &user).ok());
    return user.id();
  }

  int64_t group_ = 0;
};

TEST_F(MessageActionsTest, PinsAndUnpinsInEveryKindOfChat) {
  SetUpChats();
  const int64_t bob_id = UserId("bob");
  // A private chat: Bob pins his message for both sides; Alice's stream sees her copy pinned.
  const v1::Message first = Send(Chat("bob", "alice_example"), "pin me");
  const v1::Message alices = Newest(Chat("alice", "bob_example"));
  ASSERT_EQ(alices.text(), "pin me");
  EXPECT_FALSE(alices.pinned());
  Stream alice = Watch("alice", "pinned_messages");
  v1::PinMessageRequest pin;
  pin.set_name(first.name());
  google::protobuf::Empty empty;
  grpc::Status status = messages_->PinMessage(Context().get(), pin, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Get(first.name()).pinned());
  EXPECT_TRUE(Get(alices.name()).pinned());
  v1::UpdateEvent event = Next(alice);
  ASSERT_TRUE(event.has_pinned_messages()) << event.DebugString();
  EXPECT_EQ(event.pinned_messages().chat(), Chat("alice", absl::StrCat(bob_id)));
  ASSERT_EQ(event.pinned_messages().message_ids_size(), 1);
  EXPECT_EQ(event.pinned_messages().message_ids(0), alices.id());
  EXPECT_TRUE(event.pinned_messages().pinned());
  alice.context->TryCancel();

  // One side only: Alice's copy stays unpinned.
  const v1::Message second = Send(Chat("bob", "alice_example"), "mine only");
  pin.set_name(second.name());
  pin.set_one_side(true);
  ASSERT_TRUE(messages_->PinMessage(Context().get(), pin, &empty).ok());
  EXPECT_TRUE(Get(second.name()).pinned());
  EXPECT_FALSE(Newest(Chat("alice", "bob_example")).pinned());

  // Unpin one, then all (the other one).
  v1::UnpinMessageRequest unpin;
  unpin.set_name(first.name());
  v1::UnpinMessageResponse unpinned;
  status = messages_->UnpinMessage(Context().get(), unpin, &unpinned);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(unpinned.unpinned_count(), 1);
  EXPECT_FALSE(Get(first.name()).pinned());
  EXPECT_FALSE(Get(alices.name()).pinned());
  EXPECT_TRUE(Get(second.name()).pinned());
  unpin.set_parent(Chat("bob", "alice_example"));
  status = messages_->UnpinMessage(Context().get(), unpin, &unpinned);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(unpinned.unpinned_count(), 1);
  EXPECT_FALSE(Get(second.name()).pinned());

  // A basic group: Bob's copy of Alice's message is pinned too.
  Send(Group("alice"), "group pin");
  const v1::Message in_group = Newest(Group("bob"));
  ASSERT_EQ(in_group.text(), "group pin");
  pin.Clear();
  pin.set_name(Newest(Group("alice")).name());
  ASSERT_TRUE(messages_->PinMessage(Context().get(), pin, &empty).ok());
  EXPECT_TRUE(Get(in_group.name()).pinned());

  // A supergroup: any member may pin.
  const std::string big = fakedc::kSeedBigChannel;
  const v1::Message posted = Send(Chat("alice", big), "supergroup pin");
  pin.set_name(MessageNameIn(Chat("bob", big), posted.id()));
  status = messages_->PinMessage(Context().get(), pin, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(Get(posted.name()).pinned());

  // A broadcast channel: only its admins.
  const v1::Message post = Send(Chat("alice", kNews), "news");
  pin.set_name(MessageNameIn(Chat("bob", kNews), post.id()));
  status = messages_->PinMessage(Context().get(), pin, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
  EXPECT_FALSE(Get(post.name()).pinned());
  pin.set_name(post.name());
  ASSERT_TRUE(messages_->PinMessage(Context().get(), pin, &empty).ok());
  EXPECT_TRUE(Get(post.name()).pinned());
  unpin.Clear();
  unpin.set_parent(Chat("bob", kNews));
  status = messages_->UnpinMessage(Context().get(), unpin, &unpinned);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  unpin.set_parent(Chat("alice", kNews));
  ASSERT_TRUE(messages_->UnpinMessage(Context().get(), unpin, &unpinned).ok());
  EXPECT_EQ(unpinned.unpinned_count(), 1);
  EXPECT_FALSE(Get(post.name()).pinned());

  // A message that is not there; a name without a message id; no target.
  pin.set_name(MessageNameIn(Chat("alice", kNews), 99999));
  status = messages_->PinMessage(Context().get(), pin, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << status.error_message();
  EXPECT_EQ(Reason(status), "MESSAGE_ID_INVALID");
  pin.set_name(Chat("alice", kNews));
  status = messages_->PinMessage(Context().get(), pin, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "name");
  unpin.Clear();
  status = messages_->UnpinMessage(Context().get(), unpin, &unpinned);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "name");
}

TEST_F(MessageActionsTest, MarksHistoryAndMentionsRead) {
  SetUpChats();
  const int64_t alice_id = UserId("alice");
  const v1::Message chat_top = Send(Chat("alice", "bob_example"), "one");
  Send(Chat("alice", "bob_example"), "two");
  const v1::Message last = Send(Chat("alice", "bob_example"), "three");
  EXPECT_EQ(DialogOf("bob", alice_id).unread_count(), 3);

  // Bob reads up to the first: two stay unread. Then all; Alice's stream sees her outbox read.
  const v1::Message bobs_first = Get(
      MessageNameIn(Chat("bob", "alice_example"), Newest(Chat("bob", "alice_example")).id() - 2));
  ASSERT_EQ(bobs_first.text(), "one");
  v1::MarkReadRequest read;
  read.set_parent(Chat("bob", "alice_example"));
  read.set_max_id(bobs_first.id());
  v1::MarkReadResponse done;
  grpc::Status status = messages_->MarkRead(Context().get(), read, &done);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(DialogOf("bob", alice_id).unread_count(), 2);
  Stream alice = Watch("alice", "read");
  read.set_max_id(0);
  ASSERT_TRUE(messages_->MarkRead(Context().get(), read, &done).ok());
  EXPECT_EQ(DialogOf("bob", alice_id).unread_count(), 0);
  v1::UpdateEvent event =
      Next(alice, [&](const v1::UpdateEvent& e) { return e.read().max_id() != chat_top.id(); });
  ASSERT_TRUE(event.has_read()) << event.DebugString();
  EXPECT_TRUE(event.read().outbox());
  EXPECT_EQ(event.read().chat(), Chat("alice", absl::StrCat(UserId("bob"))));
  EXPECT_EQ(event.read().max_id(), last.id());

  // A basic group.
  Send(Group("alice"), "group news");
  EXPECT_EQ(DialogOf("bob", group_).unread_count(), 1);
  read.set_parent(Group("bob"));
  ASSERT_TRUE(messages_->MarkRead(Context().get(), read, &done).ok());
  EXPECT_EQ(DialogOf("bob", group_).unread_count(), 0);
  event = Next(alice);
  EXPECT_EQ(event.read().chat(), Group("alice")) << event.DebugString();
  EXPECT_TRUE(event.read().outbox());

  // A supergroup: history and mentions are read apart. Alice's stream sees her messages read.
  const std::string big = fakedc::kSeedBigChannel;
  const v1::Message mention = Send(Chat("alice", big), "hello @bob_example");
  Send(Chat("alice", big), "and everyone");
  const int64_t big_id = mention.chat_id();
  v1::Dialog dialog = DialogOf("bob", big_id);
  EXPECT_EQ(dialog.unread_count(), 2);
  EXPECT_EQ(dialog.unread_mentions_count(), 1);
  read.set_parent(Chat("bob", big));
  ASSERT_TRUE(messages_->MarkRead(Context().get(), read, &done).ok());
  dialog = DialogOf("bob", big_id);
  EXPECT_EQ(dialog.unread_count(), 0);
  EXPECT_EQ(dialog.unread_mentions_count(), 1);
  event = Next(alice);
  ASSERT_TRUE(event.has_read()) << event.DebugString();
  EXPECT_TRUE(event.read().outbox());
  EXPECT_EQ(event.read().chat(), Chat("alice", absl::StrCat(big_id)));
  EXPECT_EQ(event.read().max_id(), mention.id() + 1);
  read.set_scope(v1::MarkReadRequest::MENTIONS);
  ASSERT_TRUE(messages_->MarkRead(Context().get(), read, &done).ok());
  EXPECT_EQ(DialogOf("bob", big_id).unread_mentions_count(), 0);
  alice.context->TryCancel();

  // Bad input.
  read.set_scope(static_cast<v1::MarkReadRequest::Scope>(9));
  status = messages_->MarkRead(Context().get(), read, &done);
  EXPECT_EQ(BadField(status), "scope") << status.error_message();
  read.set_scope(v1::MarkReadRequest::HISTORY);
  read.set_max_id(-1);
  status = messages_->MarkRead(Context().get(), read, &done);
  EXPECT_EQ(BadField(status), "max_id") << status.error_message();
}

TEST_F(MessageActionsTest, ChatActionsReachTheOtherMembers) {
  SetUpChats();
  const int64_t bob_id = UserId("bob");
  Send(Chat("bob", "alice_example"), "hi");  // Bob's cache learns Alice, Alice's Bob
  Stream alice = Watch("alice", "typing");
  v1::SendChatActionRequest action;
  action.set_parent(Chat("bob", "alice_example"));
  v1::SendChatActionResponse sent;
  grpc::Status status = messages_->SendChatAction(Context().get(), action, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::UpdateEvent event = Next(alice);
  ASSERT_TRUE(event.has_typing()) << event.DebugString();
  EXPECT_EQ(event.typing().chat(), Chat("alice", absl::StrCat(bob_id)));
  EXPECT_EQ(event.typing().action(), "typing");

  action.set_parent(Chat("bob", fakedc::kSeedBigChannel));
  action.set_action(v1::SendChatActionRequest::UPLOAD_PHOTO);
  action.set_progress(50);
  ASSERT_TRUE(messages_->SendChatAction(Context().get(), action, &sent).ok());
  event = Next(alice);
  EXPECT_EQ(event.typing().action(), "uploadPhoto") << event.DebugString();
  EXPECT_EQ(event.typing().from(), absl::StrCat("accounts/alice/users/", bob_id));

  action.set_parent(Group("bob"));
  action.set_action(v1::SendChatActionRequest::RECORD_VOICE);
  action.set_progress(0);
  ASSERT_TRUE(messages_->SendChatAction(Context().get(), action, &sent).ok());
  event = Next(alice);
  EXPECT_EQ(event.typing().chat(), Group("alice")) << event.DebugString();
  EXPECT_EQ(event.typing().action(), "recordAudio");
  alice.context->TryCancel();

  // Only admins act in a broadcast channel; progress is a percentage.
  action.set_parent(Chat("bob", kNews));
  status = messages_->SendChatAction(Context().get(), action, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  action.set_progress(101);
  status = messages_->SendChatAction(Context().get(), action, &sent);
  EXPECT_EQ(BadField(status), "progress") << status.error_message();
}

TEST_F(MessageActionsTest, ReactionsAndWhoReacted) {
  SetUpChats();
  const int64_t bob_id = UserId("bob");
  const v1::Message sent = Send(Chat("alice", "bob_example"), "react to me");
  const v1::Message bobs = Newest(Chat("bob", "alice_example"));
  ASSERT_EQ(bobs.text(), "react to me");

  // Bob reacts; Alice's stream sees her copy's new totals.
  Stream alice = Watch("alice", "reactions");
  v1::SetReactionRequest react;
  react.set_name(bobs.name());
  react.add_reactions("👍");
  v1::SetReactionResponse reacted;
  grpc::Status status = messages_->SetReaction(Context().get(), react, &reacted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reacted.reactions_size(), 1);
  EXPECT_EQ(reacted.reactions(0).reaction(), "👍");
  EXPECT_EQ(reacted.reactions(0).count(), 1);
  EXPECT_TRUE(reacted.reactions(0).chosen());
  v1::UpdateEvent event = Next(alice);
  ASSERT_TRUE(event.has_reactions()) << event.DebugString();
  EXPECT_EQ(event.reactions().chat(), Chat("alice", absl::StrCat(bob_id)));
  EXPECT_EQ(event.reactions().message_id(), sent.id());
  ASSERT_EQ(event.reactions().reactions_size(), 1);
  EXPECT_EQ(event.reactions().reactions(0).count(), 1);
  EXPECT_FALSE(event.reactions().reactions(0).chosen());
  alice.context->TryCancel();

  // Alice reacts too; both see two, each its own chosen.
  react.set_name(sent.name());
  react.set_reactions(0, "❤");
  ASSERT_TRUE(messages_->SetReaction(Context().get(), react, &reacted).ok());
  EXPECT_EQ(reacted.reactions_size(), 2);
  const v1::Message seen = Get(bobs.name());
  ASSERT_EQ(seen.reactions_size(), 2);
  for (const v1::Reaction& r : seen.reactions()) EXPECT_EQ(r.chosen(), r.reaction() == "👍");

  // Who reacted, a page at a time, and filtered.
  v1::ListReactionsRequest list;
  list.set_name(sent.name());
  list.set_page_size(1);
  v1::ListReactionsResponse page;
  status = messages_->ListReactions(Context().get(), list, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(page.reactors_size(), 1);
  EXPECT_EQ(page.total_size(), 2);
  ASSERT_FALSE(page.next_page_token().empty());
  std::vector<int64_t> reactors = {page.reactors(0).peer_id()};
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(messages_->ListReactions(Context().get(), list, &page).ok());
  ASSERT_EQ(page.reactors_size(), 1);
  EXPECT_TRUE(page.next_page_token().empty());
  reactors.push_back(page.reactors(0).peer_id());
  EXPECT_EQ(reactors.size(), 2u);
  EXPECT_NE(reactors[0], reactors[1]);
  list.Clear();
  list.set_name(sent.name());
  list.set_reaction("👍");
  ASSERT_TRUE(messages_->ListReactions(Context().get(), list, &page).ok());
  ASSERT_EQ(page.reactors_size(), 1);
  EXPECT_EQ(page.reactors(0).peer_id(), bob_id);
  EXPECT_FALSE(page.reactors(0).own());
  ASSERT_GE(page.users_size(), 1);

  // Telegram's rules: an emoji no chat allows, two without Premium, custom emoji without Premium.
  react.set_reactions(0, "🍕");
  status = messages_->SetReaction(Context().get(), react, &reacted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "REACTION_INVALID");
  react.set_reactions(0, "👍");
  react.add_reactions("🔥");
  status = messages_->SetReaction(Context().get(), react, &reacted);
  EXPECT_EQ(Reason(status), "REACTIONS_TOO_MANY") << status.error_message();
  react.clear_reactions();
  react.add_reactions("custom_emoji:5368324170671202286");
  status = messages_->SetReaction(Context().get(), react, &reacted);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "PREMIUM_ACCOUNT_REQUIRED");
  dc_->Run(
      [](fakedc::World& world) { world.FindUserByPhone(fakedc::kSeedAlicePhone)->premium = true; });
  react.add_reactions("👍");
  status = messages_->SetReaction(Context().get(), react, &reacted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reacted.reactions_size(), 2);  // 👍 from both, and Alice's custom emoji
  for (const v1::Reaction& r : reacted.reactions()) {
    EXPECT_TRUE(r.chosen());
    EXPECT_EQ(r.count(), r.reaction() == "👍" ? 2 : 1) << r.reaction();
  }

  // None removes Alice's.
  react.clear_reactions();
  ASSERT_TRUE(messages_->SetReaction(Context().get(), react, &reacted).ok());
  ASSERT_EQ(reacted.reactions_size(), 1);
  EXPECT_EQ(reacted.reactions(0).reaction(), "👍");
  EXPECT_FALSE(reacted.reactions(0).chosen());

  // A basic group: Bob's copy shows Alice's reaction.
  const v1::Message group_message = Send(Group("alice"), "group reaction");
  react.set_name(group_message.name());
  react.add_reactions("🎉");
  ASSERT_TRUE(messages_->SetReaction(Context().get(), react, &reacted).ok());
  const v1::Message bobs_copy = Newest(Group("bob"));
  ASSERT_EQ(bobs_copy.reactions_size(), 1);
  EXPECT_EQ(bobs_copy.reactions(0).reaction(), "🎉");

  // A broadcast channel: members react, nobody lists who; no custom emoji.
  const v1::Message post = Send(Chat("alice", kNews), "news");
  react.set_name(MessageNameIn(Chat("bob", kNews), post.id()));
  ASSERT_TRUE(messages_->SetReaction(Context().get(), react, &reacted).ok());
  EXPECT_EQ(reacted.reactions_size(), 1);
  list.set_name(post.name());
  list.clear_reaction();
  status = messages_->ListReactions(Context().get(), list, &page);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "BROADCAST_FORBIDDEN");
  react.set_name(post.name());
  react.set_reactions(0, "custom_emoji:5368324170671202286");
  status = messages_->SetReaction(Context().get(), react, &reacted);
  EXPECT_EQ(Reason(status), "REACTION_INVALID") << status.error_message();

  // Bad input, refused before Telegram.
  react.clear_reactions();
  for (const char* r : {"👍", "❤", "🔥", "🎉"}) react.add_reactions(r);
  status = messages_->SetReaction(Context().get(), react, &reacted);
  EXPECT_EQ(BadField(status), "reactions") << status.error_message();
  react.clear_reactions();
  react.add_reactions("custom_emoji:abc");
  status = messages_->SetReaction(Context().get(), react, &reacted);
  EXPECT_EQ(BadField(status), "reactions[0]") << status.error_message();
  list.set_page_size(1000);
  status = messages_->ListReactions(Context().get(), list, &page);
  EXPECT_EQ(BadField(status), "page_size") << status.error_message();
}

TEST_F(MessageActionsTest, SendsLocationContactAndDice) {
  SetUpChats();
  v1::SendLocationRequest location;
  location.set_parent(Chat("alice", "bob_example"));
  location.set_latitude(48.8584);
  location.set_longitude(2.2945);
  location.set_accuracy_radius(10);
  v1::Message sent;
  grpc::Status status = messages_->SendLocation(Context().get(), location, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.media().type(), "geo");
  EXPECT_DOUBLE_EQ(sent.media().latitude(), 48.8584);
  EXPECT_DOUBLE_EQ(sent.media().longitude(), 2.2945);
  // The other side gets it.
  const v1::Message bobs = Newest(Chat("bob", "alice_example"));
  EXPECT_EQ(bobs.media().type(), "geo");
  EXPECT_FALSE(bobs.outgoing());

  v1::SendContactRequest contact;
  contact.set_parent(Group("alice"));
  contact.set_phone_number("+1 555 000 0002");
  contact.set_first_name("Bob");
  contact.set_last_name("Example");
  contact.mutable_options()->set_request_id("contact-1");
  status = messages_->SendContact(Context().get(), contact, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.media().type(), "contact");
  EXPECT_EQ(sent.media().title(), "+1 555 000 0002");
  EXPECT_EQ(sent.media().file_name(), "Bob Example");
  v1::Message again;
  ASSERT_TRUE(messages_->SendContact(Context().get(), contact, &again).ok());
  EXPECT_EQ(again.id(), sent.id());  // the same request_id sends once
  EXPECT_EQ(Newest(Group("bob")).media().type(), "contact");

  v1::SendDiceRequest dice;
  dice.set_parent(Chat("alice", fakedc::kSeedBigChannel));
  status = messages_->SendDice(Context().get(), dice, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.media().type(), "dice");
  EXPECT_EQ(sent.media().title(), "🎲");
  EXPECT_GE(sent.media().value(), 1);
  EXPECT_LE(sent.media().value(), 6);
  dice.set_parent(Chat("alice", kNews));
  dice.set_emoticon("🎰");
  ASSERT_TRUE(messages_->SendDice(Context().get(), dice, &sent).ok());
  EXPECT_GE(sent.media().value(), 1);
  EXPECT_LE(sent.media().value(), 64);

  // Telegram's refusals: an emoji it does not roll; a channel only its admins post in.
  dice.set_emoticon("🍕");
  status = messages_->SendDice(Context().get(), dice, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "EMOTICON_INVALID");
  location.set_parent(Chat("bob", kNews));
  status = messages_->SendLocation(Context().get(), location, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");

  // Bad input.
  location.set_latitude(91);
  status = messages_->SendLocation(Context().get(), location, &sent);
  EXPECT_EQ(BadField(status), "latitude") << status.error_message();
  contact.set_first_name("");
  status = messages_->SendContact(Context().get(), contact, &sent);
  EXPECT_EQ(BadField(status), "first_name") << status.error_message();
  contact.set_first_name("X");
  contact.set_phone_number("call me");
  status = messages_->SendContact(Context().get(), contact, &sent);
  EXPECT_EQ(BadField(status), "phone_number") << status.error_message();
  dice.set_emoticon("🎲 🎲");
  status = messages_->SendDice(Context().get(), dice, &sent);
  EXPECT_EQ(BadField(status), "emoticon") << status.error_message();
  dice.set_emoticon("");
  dice.mutable_options()->set_reply_to_message_id(-1);
  status = messages_->SendDice(Context().get(), dice, &sent);
  EXPECT_EQ(BadField(status), "options.reply_to_message_id") << status.error_message();
}

}  // namespace
}  // namespace tgrpc::service_test
