// tgrpcd end to end against fakedc, messages and chats: the member list, messages sent, read back,
// edited, searched, forwarded and deleted, send_as and reply markups, FLOOD_WAIT waited out and
// returned, error details, metrics, a session killed mid-call and invalid UTF-8. Sign-in and the
// other account flows are in service_accounts_test.cc.

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "service/server/server.h"
#include "tests/crash/metrics_scrape.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

TEST_F(ServiceTest, PagesTheWholeMemberListOfTheBigGroup) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  v1::ResolvePeerRequest resolve;
  resolve.set_account("accounts/alice");
  resolve.set_query(std::string("https://t.me/") + fakedc::kSeedBigChannel);
  v1::ResolvePeerResponse resolved;
  grpc::Status status = chats_->ResolvePeer(Context().get(), resolve, &resolved);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(resolved.chat().type(), v1::Chat::SUPERGROUP);
  EXPECT_LT(resolved.chat().id(), -1000000000000LL);

  std::set<int64_t> members;
  v1::ListChatMembersRequest list;
  list.set_parent(resolved.chat().name());
  list.set_page_size(200);
  int pages = 0;
  int32_t total = 0;
  do {
    v1::ListChatMembersResponse page;
    status = chats_->ListChatMembers(Context().get(), list, &page);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& member : page.members()) members.insert(member.user().id());
    total = page.total_size();
    list.set_page_token(page.next_page_token());
    ++pages;
  } while (!list.page_token().empty() && pages < 100);
  EXPECT_EQ(static_cast<int32_t>(members.size()), total);
  EXPECT_GE(members.size(), 450u);
  EXPECT_GE(pages, 3);

  // By username too (the peer cache knows it now), with full info.
  v1::GetChatRequest get;
  get.set_name(std::string("accounts/alice/chats/") + fakedc::kSeedBigChannel);
  v1::Chat chat;
  status = chats_->GetChat(Context().get(), get, &chat);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(chat.id(), resolved.chat().id());
  EXPECT_TRUE(chat.has_full());
}

TEST_F(ServiceTest, SendsReadsEditsSearchesForwardsAndDeletes) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  // Bob's chat with Alice, by Alice's username.
  v1::SendMessageRequest send;
  send.set_parent("accounts/bob/chats/alice_example");
  send.set_text("hello **alice**, see [this](https://example.com)");
  send.set_parse_mode(v1::SendMessageRequest::MARKDOWN);
  send.set_request_id("first-hello");
  v1::Message sent;
  grpc::Status status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.text(), "hello alice, see this");
  ASSERT_EQ(sent.entities_size(), 2);
  EXPECT_EQ(sent.entities(0).type(), "bold");
  EXPECT_EQ(sent.entities(1).type(), "text_url");
  EXPECT_EQ(sent.entities(1).url(), "https://example.com");
  EXPECT_TRUE(sent.outgoing());

  // Read back by id, from Bob's side, with the entities.
  v1::GetMessagesRequest get;
  get.set_parent(sent.name().substr(0, sent.name().find("/messages/")));
  get.add_ids(sent.id());
  get.add_ids(999999);
  v1::GetMessagesResponse got;
  status = messages_->GetMessages(Context().get(), get, &got);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(got.messages_size(), 1);
  EXPECT_EQ(got.messages(0).text(), sent.text());
  EXPECT_EQ(got.messages(0).entities_size(), 2);
  ASSERT_EQ(got.missing_size(), 1);
  EXPECT_EQ(got.missing(0), 999999);

  // Alice sees it in her history with Bob (resolved by the id her cache learned).
  v1::ListMessagesRequest history;
  history.set_parent("accounts/alice/chats/bob_example");
  v1::ListMessagesResponse page;
  status = messages_->ListMessages(Context().get(), history, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GE(page.messages_size(), 1);
  EXPECT_EQ(page.messages(0).text(), sent.text());
  EXPECT_FALSE(page.messages(0).outgoing());

  // Edit with HTML; both sides see the new text.
  v1::EditMessageRequest edit;
  edit.set_name(sent.name());
  edit.set_text("<i>edited</i>");
  edit.set_parse_mode(v1::SendMessageRequest::HTML);
  v1::Message edited;
  status = messages_->EditMessage(Context().get(), edit, &edited);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(edited.text(), "edited");
  ASSERT_EQ(edited.entities_size(), 1);
  EXPECT_EQ(edited.entities(0).type(), "italic");
  status = messages_->ListMessages(Context().get(), history, &page);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(page.messages(0).text(), "edited");

  // Search in the chat.
  v1::SearchMessagesRequest search;
  search.set_account("accounts/bob");
  search.set_chat(get.parent());
  search.set_query("edited");
  v1::SearchMessagesResponse found;
  status = messages_->SearchMessages(Context().get(), search, &found);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(found.messages_size(), 1);
  EXPECT_EQ(found.messages(0).id(), sent.id());

  // Forward to Bob's saved messages, with and without the author.
  v1::ForwardMessagesRequest forward;
  forward.set_from_chat(get.parent());
  forward.add_ids(sent.id());
  forward.set_to_chat("accounts/bob/chats/me");
  v1::ForwardMessagesResponse forwarded;
  status = messages_->ForwardMessages(Context().get(), forward, &forwarded);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(forwarded.messages_size(), 1);
  EXPECT_EQ(forwarded.messages(0).text(), "edited");

  // Delete for both sides.
  v1::DeleteMessagesRequest del;
  del.set_parent(get.parent());
  del.add_ids(sent.id());
  del.set_revoke(true);
  v1::DeleteMessagesResponse deleted;
  status = messages_->DeleteMessages(Context().get(), del, &deleted);
  ASSERT_TRUE(status.ok()) << status.error_message();
  status = messages_->GetMessages(Context().get(), get, &got);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(got.messages_size(), 0);
}

TEST_F(ServiceTest, SendAsAChannelTheAccountOwns) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  const std::string big = std::string("accounts/alice/chats/") + fakedc::kSeedBigChannel;
  // Alice owns the big supergroup: she posts in it as the group itself.
  v1::SendMessageRequest send;
  send.set_parent(big);
  send.set_send_as(big);
  send.set_text("as the group");
  v1::Message sent;
  grpc::Status status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.sender_id(), sent.chat_id());  // the channel, not Alice
  EXPECT_LT(sent.sender_id(), 0);
  // Telegram's rules: not in a private chat (SEND_AS_PEER_INVALID), and only chats of the same
  // account.
  send.set_parent("accounts/alice/chats/bob_example");
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "SEND_AS_PEER_INVALID");
  send.set_parent(big);
  send.set_send_as(std::string("accounts/bob/chats/") + fakedc::kSeedBigChannel);
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("send_as"), std::string::npos) << status.error_message();
  // Bob does not own it.
  v1::SendMessageRequest as_bob;
  as_bob.set_parent(std::string("accounts/bob/chats/") + fakedc::kSeedBigChannel);
  as_bob.set_send_as(as_bob.parent());
  as_bob.set_text("not mine");
  status = messages_->SendMessage(Context().get(), as_bob, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "SEND_AS_PEER_INVALID");
}

TEST_F(ServiceTest, ABotsReplyMarkupGoesOutAndComesBackAsTlJson) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  v1::CreateAccountRequest create;
  create.set_account_id("bot");
  create.mutable_account()->set_bot_token(fakedc::kSeedBotToken);
  v1::Account account;
  ASSERT_TRUE(accounts_->CreateAccount(Context().get(), create, &account).ok());
  v1::SendMessageRequest send;
  send.set_parent("accounts/bot/chats/alice_example");
  send.set_text("pick one");
  send.set_reply_markup_json(
      R"({"_":"replyInlineMarkup","rows":[{"_":"keyboardButtonRow","buttons":[)"
      R"({"_":"keyboardButtonCallback","text":"Yes","data":"eWVz"}]}]})");
  v1::Message sent;
  grpc::Status status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_NE(sent.reply_markup_json().find("keyboardButtonCallback"), std::string::npos)
      << sent.reply_markup_json();
  // Alice sees the keyboard on her side.
  v1::ListMessagesRequest history;
  history.set_parent(std::string("accounts/alice/chats/") + fakedc::kSeedBotUsername);
  v1::ListMessagesResponse page;
  status = messages_->ListMessages(Context().get(), history, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GE(page.messages_size(), 1);
  EXPECT_EQ(page.messages(0).text(), "pick one");
  EXPECT_NE(page.messages(0).reply_markup_json().find(R"("data":"eWVz")"), std::string::npos)
      << page.messages(0).reply_markup_json();
  // JSON that is not a ReplyMarkup is the caller's error, naming the field.
  send.set_reply_markup_json(R"({"_":"userEmpty","id":"1"})");
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("reply_markup_json"), std::string::npos)
      << status.error_message();
}

TEST_F(ServiceTest, RetriedSendWithTheSameRequestIdSendsOnce) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  v1::SendMessageRequest send;
  send.set_parent("accounts/alice/chats/me");
  send.set_text("once");
  send.set_request_id("retry-me");
  v1::Message first, second;
  ASSERT_TRUE(messages_->SendMessage(Context().get(), send, &first).ok());
  grpc::Status status = messages_->SendMessage(Context().get(), send, &second);
  // Telegram answers a repeated random_id with the first message or RANDOM_ID_DUPLICATE;
  // either way there is one message.
  if (status.ok()) EXPECT_EQ(second.id(), first.id());
  v1::ListMessagesRequest history;
  history.set_parent("accounts/alice/chats/me");
  v1::ListMessagesResponse page;
  ASSERT_TRUE(messages_->ListMessages(Context().get(), history, &page).ok());
  int copies = 0;
  for (const auto& m : page.messages()) copies += m.text() == "once";
  EXPECT_EQ(copies, 1);
}

TEST_F(ServiceTest, ErrorsCarryTelegramsTypeAndDetails) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  // A user id the account never saw: NOT_FOUND with Telegram's PEER_ID_INVALID... from the
  // cache, before any call.
  v1::SendMessageRequest send;
  send.set_parent("accounts/alice/chats/987654321");
  send.set_text("hi");
  v1::Message sent;
  grpc::Status status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(status), "PEER_ID_INVALID");

  // A username nobody has: Telegram's own error.
  send.set_parent("accounts/alice/chats/nobody_here_at_all");
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(status), "USERNAME_NOT_OCCUPIED");

  // Not signed in yet.
  v1::CreateAccountRequest create;
  create.set_account_id("idle");
  create.mutable_account()->set_phone_number("+15550009999");
  v1::Account account;
  ASSERT_TRUE(accounts_->CreateAccount(Context().get(), create, &account).ok());
  v1::GetMeRequest me;
  me.set_account("accounts/idle");
  v1::User user;
  status = users_->GetMe(Context().get(), me, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(status), "ACCOUNT_NOT_SIGNED_IN");
}

TEST_F(ServiceTest, FloodWaitIsWaitedOutOrReturned) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  v1::SendMessageRequest send;
  send.set_parent("accounts/alice/chats/me");
  send.set_text("one");
  v1::Message sent;
  // One call per 2 s: the second waits about 2 s inside (threshold 3 s) and succeeds.
  dc_->Run([](fakedc::World& world) { world.flood().SetLimit("messages.sendMessage", {1, 2}); });
  ASSERT_TRUE(messages_->SendMessage(Context().get(), send, &sent).ok());
  const auto start = std::chrono::steady_clock::now();
  grpc::Status status = messages_->SendMessage(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));

  // One call per 60 s: over the threshold, so RESOURCE_EXHAUSTED with RetryInfo, and the next
  // call is held back without reaching Telegram.
  dc_->Run([](fakedc::World& world) { world.flood().SetLimit("messages.sendMessage", {1, 60}); });
  status = messages_->SendMessage(Context().get(), send, &sent);  // may pass (window reset)
  status = messages_->SendMessage(Context().get(), send, &sent);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Reason(status), "FLOOD_WAIT");
  EXPECT_GT(RetrySeconds(status), 3);

  v1::GetAccountStatusRequest get;
  get.set_name("accounts/alice");
  v1::AccountStatus account_status;
  ASSERT_TRUE(accounts_->GetAccountStatus(Context().get(), get, &account_status).ok());
  ASSERT_EQ(account_status.flood_waits_size(), 1);
  EXPECT_EQ(account_status.flood_waits(0).method(), "messages.sendMessage");
  ASSERT_GE(account_status.sessions_size(), 1);
  EXPECT_EQ(account_status.sessions(0).state(), "READY");
}

bool HasSeries(const std::string& text, const std::string& family,
               const std::vector<std::string>& labels) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(family + "{", 0) != 0) continue;
    bool all = true;
    for (const std::string& label : labels) all &= line.find(label) != std::string::npos;
    if (all) return true;
  }
  return false;
}

TEST_F(ServiceTest, MetricsAreServedAndPassPromtool) {
  SignIn("dave", fakedc::kSeedDavePhone);  // a migration to DC 1
  v1::SendMessageRequest send;
  send.set_parent("accounts/dave/chats/me");
  send.set_text("counted");
  v1::Message sent;
  ASSERT_TRUE(messages_->SendMessage(Context().get(), send, &sent).ok());
  v1::GetMeRequest me;
  me.set_account("accounts/nobody");
  v1::User user;
  EXPECT_EQ(users_->GetMe(Context().get(), me, &user).error_code(), grpc::StatusCode::NOT_FOUND);

  const std::string text = crash::ScrapeMetrics(server_->metrics_port());
  ASSERT_FALSE(text.empty());
  EXPECT_TRUE(HasSeries(text, "grpc_server_handled_total",
                        {"grpc_method=\"SendMessage\"", "grpc_code=\"OK\"",
                         "grpc_service=\"tgrpc.v1.MessageService\""}));
  EXPECT_TRUE(HasSeries(text, "grpc_server_handled_total",
                        {"grpc_method=\"GetMe\"", "grpc_code=\"NOT_FOUND\""}));
  EXPECT_TRUE(HasSeries(text, "tgrpc_mtproto_calls_total",
                        {"method=\"messages.sendMessage\"", "result=\"ok\""}));
  EXPECT_TRUE(HasSeries(text, "tgrpc_mtproto_calls_total",
                        {"method=\"auth.sendCode\"", "result=\"PHONE_MIGRATE\""}));
  EXPECT_TRUE(HasSeries(text, "tgrpc_migrations_total", {"to_dc=\"1\""}));
  EXPECT_TRUE(HasSeries(text, "tgrpc_sessions", {"state=\"ready\""}));
  // Every session counted once, in one state: no gauge below zero.
  EXPECT_FALSE(HasSeries(text, "tgrpc_sessions", {"} -"}));

  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/metrics.txt";
  std::ofstream(path) << text;
  FILE* promtool = ::popen(("/usr/bin/promtool check metrics < " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(promtool, nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), promtool) != nullptr) output += buffer;
  const int status = ::pclose(promtool);
  EXPECT_EQ(status, 0) << "promtool (is Debian's prometheus installed?): " << output;
  EXPECT_EQ(output, "");
  std::cout << "promtool check metrics: exit " << status << ", " << output.size()
            << " bytes of complaints, over " << text.size() << " bytes of metrics\n";
}

TEST_F(ServiceTest, ASessionKilledMidCallIsReplacedAndTheCallCompletesOnce) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  // Answers are held back 300 ms, and the connection is cut while the send waits for its answer.
  fakedc::FaultOptions slow;
  slow.delay_ms = 300;
  dc_->SetFaults(slow);
  v1::SendMessageRequest send;
  send.set_parent("accounts/alice/chats/me");
  send.set_text("survives a cut");
  v1::Message sent;
  grpc::Status status;
  std::thread call([&] { status = messages_->SendMessage(Context().get(), send, &sent); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  dc_->DropConnections(2);
  dc_->SetFaults({});
  call.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.text(), "survives a cut");

  // Telegram restarted: the next calls go through once it is back.
  ASSERT_TRUE(dc_->Restart(absl::Milliseconds(300)).ok());
  v1::ListMessagesRequest history;
  history.set_parent("accounts/alice/chats/me");
  v1::ListMessagesResponse page;
  status = messages_->ListMessages(Context().get(), history, &page);
  ASSERT_TRUE(status.ok()) << status.error_message();
  int copies = 0;
  for (const auto& m : page.messages()) copies += m.text() == "survives a cut";
  EXPECT_EQ(copies, 1);
  v1::GetAccountStatusRequest get;
  get.set_name("accounts/alice");
  v1::AccountStatus account_status;
  ASSERT_TRUE(accounts_->GetAccountStatus(Context().get(), get, &account_status).ok());
  ASSERT_GE(account_status.sessions_size(), 1);
  EXPECT_EQ(account_status.sessions(0).state(), "READY");
}

// Telegram's strings may hold invalid UTF-8 and proto3 strings may not (the answer would not
// parse on the caller's side, which would see an error instead): each bad sequence arrives as
// U+FFFD.
TEST_F(ServiceTest, InvalidUtf8FromTelegramArrivesReplaced) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  dc_->Run([](fakedc::World& world) {
    fakedc::UserRecord* bob = world.FindUserByPhone(fakedc::kSeedBobPhone);
    bob->first_name = "B\xF0\x9F\xA4ob";  // a 4-byte sequence cut short
    bob->last_name = "\xFF";
  });
  v1::GetUserRequest request;
  request.set_name("accounts/alice/users/bob_example");
  v1::User user;
  grpc::Status status = users_->GetUser(Context().get(), request, &user);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(user.first_name(), "B\xEF\xBF\xBDob");
  EXPECT_EQ(user.last_name(), "\xEF\xBF\xBD");
  EXPECT_EQ(user.username(), "bob_example");

  v1::GetChatRequest chat;
  chat.set_name("accounts/alice/chats/" + std::to_string(user.id()));
  v1::Chat out;
  status = chats_->GetChat(Context().get(), chat, &out);
  ASSERT_TRUE(status.ok()) << status.error_code() << " " << status.error_message();
  EXPECT_EQ(out.title(), "B\xEF\xBF\xBDob \xEF\xBF\xBD");
}

}  // namespace
}  // namespace tgrpc::service_test