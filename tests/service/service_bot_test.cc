// Bots end to end against fakedc: BotService on a bot account (commands by scope and language,
// one chat member's commands, info, menu buttons and Telegram's default one; a user account
// refused before Telegram is asked), a callback button that a user account presses and the bot
// answers (PressButton + AnswerCallbackQuery, and Telegram's BOT_RESPONSE_TIMEOUT when it does
// not), an inline query asked, answered and sent (QueryInlineBot + AnswerInlineQuery +
// SendInlineResult; results by URL, of stored files, and of files the bot uploaded),
// SendBotCommand, and polls (SendPoll, VotePoll; a closed poll, a quiz's second vote, options it
// does not have).
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"
#include "tests/service/test_bytes.h"
#include "tl/generated/api.h"

namespace tgrpc::service_test {
namespace {

constexpr char kBot[] = "accounts/bot";

class BotTest : public ServiceTest {
 protected:
  void SignInBot() {
    v1::CreateAccountRequest create;
    create.set_account_id("bot");
    create.mutable_account()->set_bot_token(fakedc::kSeedBotToken);
    v1::Account account;
    grpc::Status status = accounts_->CreateAccount(Context().get(), create, &account);
    ASSERT_TRUE(status.ok()) << status.error_message();
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
    // Live once a checkpoint comes (events logged just before may come first).
    v1::UpdateEvent event;
    bool live = false;
    while (!live && stream.reader->Read(&event)) live = event.has_checkpoint();
    EXPECT_TRUE(live) << "no checkpoint";
    return stream;
  }
  // The next event that is not a checkpoint and that `wanted` takes.
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

  // `data` uploaded by `account` (UploadFile) as `name`.
  v1::UploadedFile Upload(const std::string& account, const std::string& name,
                          const std::string& data) {
    return UploadBytes(account, name, data);
  }

  // The bot's message to alice with one callback button (data "yes"), as alice sees it.
  v1::Message BotMessageWithButton() {
    v1::SendMessageRequest send;
    send.set_parent("accounts/bot/chats/alice_example");
    send.set_text("Continue?");
    send.set_reply_markup_json(
        R"({"_": "replyInlineMarkup", "rows": [{"_": "keyboardButtonRow", "buttons": )"
        R"([{"_": "keyboardButtonCallback", "text": "Yes", "data": "eWVz"}]}]})");
    v1::Message sent;
    grpc::Status status = messages_->SendMessage(Context().get(), send, &sent);
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::ListMessagesRequest list;
    list.set_parent("accounts/alice/chats/fakedc_bot");
    list.set_page_size(1);
    v1::ListMessagesResponse page;
    status = messages_->ListMessages(Context().get(), list, &page);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (page.messages().empty()) return {};
    return page.messages(0);
  }
};

TEST_F(BotTest, CommandsInfoAndMenuButton) {
  SignInBot();
  SignIn("alice", fakedc::kSeedAlicePhone);
  v1::SetCommandsRequest set;
  set.set_account(kBot);
  auto* start = set.add_commands();
  start->set_command("start");
  start->set_description("Start over");
  auto* help = set.add_commands();
  help->set_command("help");
  help->set_description("What I do");
  google::protobuf::Empty empty;
  grpc::Status status = bots_->SetCommands(Context().get(), set, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // German users of private chats get a list of their own.
  set.set_language_code("de");
  set.mutable_scope()->set_kind(v1::CommandScope::ALL_PRIVATE_CHATS);
  set.mutable_commands()->DeleteSubrange(1, 1);
  set.mutable_commands(0)->set_description("Neu anfangen");
  ASSERT_TRUE(bots_->SetCommands(Context().get(), set, &empty).ok());
  // One chat: the scope names it, resolved by username.
  v1::SetCommandsRequest chat = set;
  chat.clear_language_code();
  chat.mutable_scope()->set_kind(v1::CommandScope::CHAT);
  chat.mutable_scope()->set_chat("accounts/bot/chats/alice_example");
  chat.mutable_commands(0)->set_command("alice_only");
  status = bots_->SetCommands(Context().get(), chat, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::GetCommandsRequest get;
  get.set_account(kBot);
  v1::GetCommandsResponse commands;
  ASSERT_TRUE(bots_->GetCommands(Context().get(), get, &commands).ok());
  ASSERT_EQ(commands.commands_size(), 2);
  EXPECT_EQ(commands.commands(0).command(), "start");
  EXPECT_EQ(commands.commands(1).description(), "What I do");
  get.set_language_code("de");
  get.mutable_scope()->set_kind(v1::CommandScope::ALL_PRIVATE_CHATS);
  commands.Clear();
  ASSERT_TRUE(bots_->GetCommands(Context().get(), get, &commands).ok());
  ASSERT_EQ(commands.commands_size(), 1);
  EXPECT_EQ(commands.commands(0).description(), "Neu anfangen");
  v1::GetCommandsRequest get_chat;
  get_chat.set_account(kBot);
  *get_chat.mutable_scope() = chat.scope();
  commands.Clear();
  ASSERT_TRUE(bots_->GetCommands(Context().get(), get_chat, &commands).ok());
  ASSERT_EQ(commands.commands_size(), 1);
  EXPECT_EQ(commands.commands(0).command(), "alice_only");
  // Deleted, the German private list is empty again; the default list stays.
  v1::DeleteCommandsRequest del;
  del.set_account(kBot);
  del.set_language_code("de");
  del.mutable_scope()->set_kind(v1::CommandScope::ALL_PRIVATE_CHATS);
  ASSERT_TRUE(bots_->DeleteCommands(Context().get(), del, &empty).ok());
  commands.Clear();
  ASSERT_TRUE(bots_->GetCommands(Context().get(), get, &commands).ok());
  EXPECT_EQ(commands.commands_size(), 0);

  v1::SetBotInfoRequest info;
  info.set_account(kBot);
  info.mutable_info()->set_name("Helper Bot");
  info.mutable_info()->set_description("I help.");
  info.mutable_info()->set_short_description("A helper");
  info.mutable_update_mask()->add_paths("name");
  info.mutable_update_mask()->add_paths("description");
  info.mutable_update_mask()->add_paths("short_description");
  v1::BotInfo answered;
  status = bots_->SetBotInfo(Context().get(), info, &answered);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(answered.name(), "Helper Bot");
  EXPECT_EQ(answered.description(), "I help.");
  EXPECT_EQ(answered.short_description(), "A helper");
  // Only what the mask names changes.
  info.mutable_info()->set_name("Ignored");
  info.mutable_info()->set_description("I help more.");
  info.mutable_update_mask()->Clear();
  info.mutable_update_mask()->add_paths("description");
  ASSERT_TRUE(bots_->SetBotInfo(Context().get(), info, &answered).ok());
  v1::GetBotInfoRequest get_info;
  get_info.set_account(kBot);
  ASSERT_TRUE(bots_->GetBotInfo(Context().get(), get_info, &answered).ok());
  EXPECT_EQ(answered.name(), "Helper Bot");
  EXPECT_EQ(answered.description(), "I help more.");
  // The name is the bot's first name, which users see.
  v1::GetUserRequest user;
  user.set_name("accounts/alice/users/fakedc_bot");
  v1::User bot_user;
  ASSERT_TRUE(users_->GetUser(Context().get(), user, &bot_user).ok());
  EXPECT_EQ(bot_user.first_name(), "Helper Bot");

  v1::SetMenuButtonRequest menu;
  menu.set_account(kBot);
  menu.set_kind(v1::SetMenuButtonRequest::WEB_APP);
  menu.set_text("Open");
  menu.set_url("https://example.org/app");
  ASSERT_TRUE(bots_->SetMenuButton(Context().get(), menu, &empty).ok());
  menu.set_user("accounts/bot/users/alice_example");
  menu.set_kind(v1::SetMenuButtonRequest::COMMANDS);
  status = bots_->SetMenuButton(Context().get(), menu, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  dc_->Run([](fakedc::World& world) {
    const fakedc::UserRecord* bot = world.FindUserByUsername(fakedc::kSeedBotUsername);
    const fakedc::UserRecord* alice = world.FindUserByPhone(fakedc::kSeedAlicePhone);
    const auto& buttons = world.BotSettingsOf(bot->id).menu_buttons;
    ASSERT_EQ(buttons.size(), 2u);
    EXPECT_NE(buttons.at(0).find("https://example.org/app"), std::string::npos);
    EXPECT_EQ(buttons.count(alice->id), 1u);
  });
}

TEST_F(BotTest, CommandsOfOneMemberAndTheDefaultMenuButton) {
  SignInBot();
  // Alice's own list in the seeded supergroup (botCommandScopePeerUser).
  v1::SetCommandsRequest set;
  set.set_account(kBot);
  set.mutable_scope()->set_kind(v1::CommandScope::CHAT_MEMBER);
  set.mutable_scope()->set_chat("accounts/bot/chats/fakedc_big");
  set.mutable_scope()->set_user("accounts/bot/users/alice_example");
  auto* mine = set.add_commands();
  mine->set_command("mine");
  mine->set_description("Alice's own");
  google::protobuf::Empty empty;
  grpc::Status status = bots_->SetCommands(Context().get(), set, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();

  v1::GetCommandsRequest get;
  get.set_account(kBot);
  *get.mutable_scope() = set.scope();
  v1::GetCommandsResponse commands;
  status = bots_->GetCommands(Context().get(), get, &commands);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(commands.commands_size(), 1);
  EXPECT_EQ(commands.commands(0).command(), "mine");
  EXPECT_EQ(commands.commands(0).description(), "Alice's own");
  // Another member of the chat, and the chat as a whole, are other scopes.
  get.mutable_scope()->set_user("accounts/bot/users/bob_example");
  commands.Clear();
  ASSERT_TRUE(bots_->GetCommands(Context().get(), get, &commands).ok());
  EXPECT_EQ(commands.commands_size(), 0);
  get.mutable_scope()->set_kind(v1::CommandScope::CHAT);
  get.mutable_scope()->clear_user();
  commands.Clear();
  ASSERT_TRUE(bots_->GetCommands(Context().get(), get, &commands).ok());
  EXPECT_EQ(commands.commands_size(), 0);
  // A member scope names its user.
  v1::SetCommandsRequest nobody = set;
  nobody.mutable_scope()->clear_user();
  status = bots_->SetCommands(Context().get(), nobody, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "scope.user");
  int64_t alice_id = 0;
  dc_->Run([&](fakedc::World& world) {
    const fakedc::UserRecord* bot = world.FindUserByUsername(fakedc::kSeedBotUsername);
    alice_id = world.FindUserByPhone(fakedc::kSeedAlicePhone)->id;
    bool member_scope = false;
    for (const auto& [key, list] : world.BotSettingsOf(bot->id).commands) {
      member_scope |= key.first.rfind("botCommandScopePeerUser", 0) == 0 &&
                      key.first.find(absl::StrCat(":user:", alice_id)) != std::string::npos;
    }
    EXPECT_TRUE(member_scope);
  });

  // Alice's menu button set to a web app, then back to Telegram's default (botMenuButtonDefault);
  // and the default for everyone.
  v1::SetMenuButtonRequest menu;
  menu.set_account(kBot);
  menu.set_user("accounts/bot/users/alice_example");
  menu.set_kind(v1::SetMenuButtonRequest::WEB_APP);
  menu.set_text("Open");
  menu.set_url("https://example.org/app");
  ASSERT_TRUE(bots_->SetMenuButton(Context().get(), menu, &empty).ok());
  menu.set_kind(v1::SetMenuButtonRequest::DEFAULT);
  menu.clear_text();
  menu.clear_url();
  status = bots_->SetMenuButton(Context().get(), menu, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  menu.clear_user();
  menu.clear_kind();  // KIND_UNSPECIFIED: DEFAULT
  status = bots_->SetMenuButton(Context().get(), menu, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  dc_->Run([&](fakedc::World& world) {
    const fakedc::UserRecord* bot = world.FindUserByUsername(fakedc::kSeedBotUsername);
    const auto& buttons = world.BotSettingsOf(bot->id).menu_buttons;
    ASSERT_EQ(buttons.size(), 2u);
    for (int64_t user : {alice_id, int64_t{0}}) {
      ASSERT_EQ(buttons.count(user), 1u) << user;
      absl::StatusOr<tl::Ptr<tl::api::BotMenuButton>> button =
          tl::Decode<tl::api::BotMenuButton>(buttons.at(user));
      ASSERT_TRUE(button.ok()) << button.status();
      EXPECT_NE(dynamic_cast<const tl::api::botMenuButtonDefault*>(button->get()), nullptr)
          << user << ": " << (*button)->tl_name();
    }
  });
}

TEST_F(BotTest, UserAccountsAndBadQueriesAreRefused) {
  SignInBot();
  SignIn("alice", fakedc::kSeedAlicePhone);
  // A user account: FAILED_PRECONDITION before Telegram is asked.
  v1::GetBotInfoRequest get;
  get.set_account("accounts/alice");
  v1::BotInfo info;
  grpc::Status status = bots_->GetBotInfo(Context().get(), get, &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(status), "BOT_ACCOUNT_REQUIRED");
  EXPECT_NE(status.error_message().find("accounts/alice is a user account"), std::string::npos);
  // Answers to queries nobody asked: Telegram's QUERY_ID_INVALID.
  v1::AnswerCallbackQueryRequest answer;
  answer.set_account(kBot);
  answer.set_query_id(12345);
  answer.set_text("late");
  google::protobuf::Empty empty;
  status = bots_->AnswerCallbackQuery(Context().get(), answer, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "QUERY_ID_INVALID");
  v1::AnswerInlineQueryRequest inline_answer;
  inline_answer.set_account(kBot);
  inline_answer.set_query_id(12345);
  status = bots_->AnswerInlineQuery(Context().get(), inline_answer, &empty);
  EXPECT_EQ(Reason(status), "QUERY_ID_INVALID");
}

TEST_F(BotTest, PressButtonGetsTheBotsAnswer) {
  SignInBot();
  SignIn("alice", fakedc::kSeedAlicePhone);
  const v1::Message message = BotMessageWithButton();
  ASSERT_NE(message.id(), 0);
  ASSERT_NE(message.reply_markup_json().find("keyboardButtonCallback"), std::string::npos);
  Stream queries = Watch("bot", "callback_query");
  v1::PressButtonRequest press;
  press.set_name(message.name());
  press.set_data("yes");
  std::future<std::pair<grpc::Status, v1::PressButtonResponse>> pressed =
      std::async(std::launch::async, [&] {
        v1::PressButtonResponse response;
        grpc::Status status = messages_->PressButton(Context().get(), press, &response);
        return std::make_pair(status, response);
      });
  const v1::UpdateEvent event = Next(queries);
  ASSERT_TRUE(event.has_callback_query()) << event.DebugString();
  EXPECT_EQ(event.callback_query().data(), "yes");
  EXPECT_NE(event.callback_query().from().find("accounts/bot/users/"), std::string::npos);
  v1::AnswerCallbackQueryRequest answer;
  answer.set_account(kBot);
  answer.set_query_id(event.callback_query().query_id());
  answer.set_text("Done!");
  answer.set_alert(true);
  answer.set_cache_time_seconds(5);
  google::protobuf::Empty empty;
  grpc::Status status = bots_->AnswerCallbackQuery(Context().get(), answer, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto [press_status, response] = pressed.get();
  ASSERT_TRUE(press_status.ok()) << press_status.error_message();
  EXPECT_EQ(response.text(), "Done!");
  EXPECT_TRUE(response.alert());
  EXPECT_EQ(response.cache_time_seconds(), 5);
  // The query is answered: a second answer is refused.
  status = bots_->AnswerCallbackQuery(Context().get(), answer, &empty);
  EXPECT_EQ(Reason(status), "QUERY_ID_INVALID");

  // Data no button has, and a bot that does not answer.
  press.set_data("no");
  v1::PressButtonResponse response2;
  status = messages_->PressButton(Context().get(), press, &response2);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "DATA_INVALID");
  dc_->Run([](fakedc::World& world) { world.set_bot_answer_timeout_ms(300); });
  press.set_data("yes");
  status = messages_->PressButton(Context().get(), press, &response2);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Reason(status), "BOT_RESPONSE_TIMEOUT");
}

TEST_F(BotTest, InlineQueryAnsweredAndSent) {
  SignInBot();
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  Stream queries = Watch("bot", "inline_query");
  v1::QueryInlineBotRequest query;
  query.set_parent("accounts/alice/chats/bob_example");
  query.set_bot("accounts/alice/users/fakedc_bot");
  query.set_query("cats");
  auto ask = [&](const v1::QueryInlineBotRequest& request) {
    return std::async(std::launch::async, [&, request] {
      v1::QueryInlineBotResponse response;
      grpc::Status status = messages_->QueryInlineBot(Context().get(), request, &response);
      return std::make_pair(status, response);
    });
  };
  auto asked = ask(query);
  v1::UpdateEvent event = Next(queries);
  ASSERT_TRUE(event.has_inline_query()) << event.DebugString();
  EXPECT_EQ(event.inline_query().query(), "cats");
  EXPECT_EQ(event.inline_query().offset(), "");
  EXPECT_EQ(event.inline_query().peer_type(), "PM");
  v1::AnswerInlineQueryRequest answer;
  answer.set_account(kBot);
  answer.set_query_id(event.inline_query().query_id());
  auto* article = answer.add_results();
  article->set_id("a1");
  article->set_title("Cat facts");
  article->set_description("Purr");
  article->set_message_text("Cats sleep 16 hours a day.");
  auto* photo = answer.add_results();
  photo->set_id("p1");
  photo->set_kind(v1::InlineResult::PHOTO);
  photo->set_content_url("https://example.org/cat.jpg");
  photo->set_message_text("A cat");
  answer.set_next_offset("2");
  answer.set_cache_time_seconds(60);
  google::protobuf::Empty empty;
  grpc::Status status = bots_->AnswerInlineQuery(Context().get(), answer, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto [query_status, results] = asked.get();
  ASSERT_TRUE(query_status.ok()) << query_status.error_message();
  ASSERT_EQ(results.results_size(), 2);
  EXPECT_EQ(results.results(0).title(), "Cat facts");
  EXPECT_EQ(results.results(0).type(), "article");
  EXPECT_EQ(results.results(1).content_url(), "https://example.org/cat.jpg");
  EXPECT_EQ(results.next_page_token(), "2");
  EXPECT_EQ(results.cache_time_seconds(), 60);

  // The next page carries the bot's offset.
  query.set_page_token(results.next_page_token());
  auto next = ask(query);
  event = Next(queries);
  EXPECT_EQ(event.inline_query().offset(), "2");
  v1::AnswerInlineQueryRequest last;
  last.set_account(kBot);
  last.set_query_id(event.inline_query().query_id());
  ASSERT_TRUE(bots_->AnswerInlineQuery(Context().get(), last, &empty).ok());
  auto [next_status, page2] = next.get();
  ASSERT_TRUE(next_status.ok()) << next_status.error_message();
  EXPECT_EQ(page2.results_size(), 0);
  EXPECT_EQ(page2.next_page_token(), "");

  // A document Telegram already has (stored_file), shown with its media and sent with it.
  int64_t document_id = 0, access_hash = 0;
  dc_->Run([&](fakedc::World& world) {
    fakedc::DocumentRecord doc;
    doc.id = world.NewId();
    doc.access_hash = world.RandomLong();
    doc.size = 3;
    doc.name = "notes.txt";
    doc.mime_type = "text/plain";
    doc.date = world.Now();
    document_id = world.AddDocument(doc).id;
    access_hash = doc.access_hash;
  });
  query.set_page_token("");
  query.set_query("docs");
  auto docs = ask(query);
  event = Next(queries);
  v1::AnswerInlineQueryRequest with_file;
  with_file.set_account(kBot);
  with_file.set_query_id(event.inline_query().query_id());
  auto* document = with_file.add_results();
  document->set_id("d1");
  document->set_kind(v1::InlineResult::DOCUMENT);
  document->set_title("Notes");
  document->mutable_stored_file()->set_id(document_id);
  document->mutable_stored_file()->set_access_hash(access_hash);
  document->set_message_text("the notes");
  status = bots_->AnswerInlineQuery(Context().get(), with_file, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto [docs_status, doc_results] = docs.get();
  ASSERT_TRUE(docs_status.ok()) << docs_status.error_message();
  ASSERT_EQ(doc_results.results_size(), 1);
  EXPECT_EQ(doc_results.results(0).media().type(), "document");
  EXPECT_EQ(doc_results.results(0).media().id(), document_id);
  EXPECT_EQ(doc_results.results(0).title(), "Notes");
  v1::SendInlineResultRequest send_doc;
  send_doc.set_parent("accounts/alice/chats/bob_example");
  send_doc.set_query_id(doc_results.query_id());
  send_doc.set_result_id("d1");
  v1::Message sent_doc;
  status = messages_->SendInlineResult(Context().get(), send_doc, &sent_doc);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent_doc.text(), "the notes");
  EXPECT_EQ(sent_doc.media().type(), "document");
  EXPECT_EQ(sent_doc.media().id(), document_id);

  v1::SendInlineResultRequest send;
  send.set_parent("accounts/alice/chats/bob_example");
  send.set_query_id(results.query_id());
  send.set_result_id("a1");
  v1::Message sent;
  status = messages_->SendInlineResult(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.text(), "Cats sleep 16 hours a day.");
  EXPECT_NE(sent.via_bot_id(), 0);
  send.set_result_id("nope");
  status = messages_->SendInlineResult(Context().get(), send, &sent);
  EXPECT_EQ(Reason(status), "RESULT_ID_INVALID");
}

TEST_F(BotTest, InlineResultsWithFilesTheBotUploaded) {
  SignInBot();
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  Stream queries = Watch("bot", "inline_query");
  const v1::UploadedFile photo = Upload(kBot, "cat.png", PngLike(64, 48, 2000, 7));
  const v1::UploadedFile notes = Upload(kBot, "notes.txt", "three\nshort\nlines");
  v1::QueryInlineBotRequest query;
  query.set_parent("accounts/alice/chats/bob_example");
  query.set_bot("accounts/alice/users/fakedc_bot");
  query.set_query("files");
  auto asked = std::async(std::launch::async, [&] {
    v1::QueryInlineBotResponse response;
    grpc::Status status = messages_->QueryInlineBot(Context().get(), query, &response);
    return std::make_pair(status, response);
  });
  v1::UpdateEvent event = Next(queries);
  ASSERT_TRUE(event.has_inline_query()) << event.DebugString();

  // A file of another account is refused before Telegram is asked.
  v1::AnswerInlineQueryRequest answer;
  answer.set_account(kBot);
  answer.set_query_id(event.inline_query().query_id());
  auto* foreign = answer.add_results();
  foreign->set_id("x");
  foreign->set_kind(v1::InlineResult::PHOTO);
  *foreign->mutable_file() = photo;
  foreign->mutable_file()->set_account("accounts/alice");
  google::protobuf::Empty empty;
  grpc::Status status = bots_->AnswerInlineQuery(Context().get(), answer, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(BadField(status), "results[0].file.account");
  *foreign->mutable_stored_file() = v1::StoredFile();
  foreign->mutable_stored_file()->set_id(1);
  status = bots_->AnswerInlineQuery(Context().get(), answer, &empty);
  EXPECT_EQ(BadField(status), "results[0]");

  // The bot's uploads, made Telegram's with messages.uploadMedia, answer the query.
  answer.clear_results();
  auto* picture = answer.add_results();
  picture->set_id("p1");
  picture->set_kind(v1::InlineResult::PHOTO);
  *picture->mutable_file() = photo;
  picture->set_message_text("A cat");
  auto* document = answer.add_results();
  document->set_id("d1");
  document->set_kind(v1::InlineResult::DOCUMENT);
  document->set_title("Notes");
  document->set_mime_type("text/plain");
  *document->mutable_file() = notes;
  document->set_message_text("the notes");
  status = bots_->AnswerInlineQuery(Context().get(), answer, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto [query_status, results] = asked.get();
  ASSERT_TRUE(query_status.ok()) << query_status.error_message();
  ASSERT_EQ(results.results_size(), 2);
  EXPECT_EQ(results.results(0).media().type(), "photo");
  EXPECT_NE(results.results(0).media().id(), 0);
  EXPECT_EQ(results.results(1).media().type(), "document");
  EXPECT_NE(results.results(1).media().id(), 0);
  EXPECT_EQ(results.results(1).title(), "Notes");

  // Alice sends the document: it is the bot's upload, with its name.
  v1::SendInlineResultRequest send;
  send.set_parent("accounts/alice/chats/bob_example");
  send.set_query_id(results.query_id());
  send.set_result_id("d1");
  v1::Message sent;
  status = messages_->SendInlineResult(Context().get(), send, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.text(), "the notes");
  EXPECT_EQ(sent.media().type(), "document");
  EXPECT_EQ(sent.media().id(), results.results(1).media().id());
  EXPECT_EQ(sent.media().file_name(), "notes.txt");
  EXPECT_EQ(sent.media().mime_type(), "text/plain");
}

TEST_F(BotTest, SendBotCommandAndPolls) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("bob", fakedc::kSeedBobPhone);
  v1::SendBotCommandRequest command;
  command.set_parent("accounts/alice/chats/bob_example");
  command.set_command("start");
  command.set_bot_username("fakedc_bot");
  command.set_arguments("ref42");
  v1::Message sent;
  grpc::Status status = messages_->SendBotCommand(Context().get(), command, &sent);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(sent.text(), "/start@fakedc_bot ref42");
  ASSERT_GE(sent.entities_size(), 1);
  EXPECT_EQ(sent.entities(0).type(), "bot_command");
  EXPECT_EQ(sent.entities(0).length(), 17);

  v1::SendPollRequest poll;
  poll.set_parent("accounts/alice/chats/bob_example");
  poll.set_question("Lunch?");
  poll.add_answers("Pizza");
  poll.add_answers("Sushi");
  poll.add_answers("Salad");
  poll.set_multiple_choice(true);
  v1::Message sent_poll;
  status = messages_->SendPoll(Context().get(), poll, &sent_poll);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(sent_poll.media().type(), "poll");
  EXPECT_EQ(sent_poll.media().poll().question(), "Lunch?");
  ASSERT_EQ(sent_poll.media().poll().options_size(), 3);
  EXPECT_TRUE(sent_poll.media().poll().multiple_choice());

  v1::ListMessagesRequest list;
  list.set_parent("accounts/bob/chats/alice_example");
  list.set_page_size(1);
  v1::ListMessagesResponse page;
  ASSERT_TRUE(messages_->ListMessages(Context().get(), list, &page).ok());
  ASSERT_EQ(page.messages_size(), 1);
  Stream alices = Watch("alice", "raw");
  v1::VotePollRequest vote;
  vote.set_name(page.messages(0).name());
  vote.add_options(0);
  vote.add_options(2);
  v1::Poll results;
  status = messages_->VotePoll(Context().get(), vote, &results);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // The poll's creator hears of the vote: updateMessagePoll with the new totals.
  const v1::UpdateEvent heard =
      Next(alices, [](const v1::UpdateEvent& e) { return e.raw().type() == "updateMessagePoll"; });
  EXPECT_NE(heard.raw().tl_json().find("\"total_voters\":1"), std::string::npos)
      << heard.raw().tl_json();
  EXPECT_EQ(results.total_voters(), 1);
  EXPECT_TRUE(results.options(0).chosen());
  EXPECT_EQ(results.options(0).voters(), 1);
  EXPECT_FALSE(results.options(1).chosen());
  EXPECT_EQ(results.options(2).voters(), 1);
  // Alice sees Bob's vote in the message.
  v1::GetMessagesRequest get;
  get.set_parent("accounts/alice/chats/bob_example");
  get.add_ids(sent_poll.id());
  v1::GetMessagesResponse got;
  ASSERT_TRUE(messages_->GetMessages(Context().get(), get, &got).ok());
  ASSERT_EQ(got.messages_size(), 1);
  EXPECT_EQ(got.messages(0).media().poll().total_voters(), 1);
  // An option the poll does not have; taking the vote back.
  vote.clear_options();
  vote.add_options(7);
  status = messages_->VotePoll(Context().get(), vote, &results);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(BadField(status), "options");
  vote.clear_options();
  ASSERT_TRUE(messages_->VotePoll(Context().get(), vote, &results).ok());
  EXPECT_EQ(results.total_voters(), 0);
  // Closed: Telegram's MESSAGE_POLL_CLOSED.
  const int64_t poll_id = sent_poll.media().poll().id();
  dc_->Run([poll_id](fakedc::World& world) { world.FindPoll(poll_id)->closed = true; });
  vote.add_options(1);
  status = messages_->VotePoll(Context().get(), vote, &results);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "MESSAGE_POLL_CLOSED");

  // A quiz: the right answer shows after the vote, which cannot be changed.
  v1::SendPollRequest quiz;
  quiz.set_parent("accounts/alice/chats/bob_example");
  quiz.set_question("2+2?");
  quiz.add_answers("3");
  quiz.add_answers("4");
  quiz.set_quiz(true);
  quiz.set_correct_option(1);
  quiz.set_explanation("Arithmetic");
  ASSERT_TRUE(messages_->SendPoll(Context().get(), quiz, &sent_poll).ok());
  page.Clear();
  ASSERT_TRUE(messages_->ListMessages(Context().get(), list, &page).ok());
  vote.set_name(page.messages(0).name());
  vote.clear_options();
  vote.add_options(0);
  ASSERT_TRUE(messages_->VotePoll(Context().get(), vote, &results).ok());
  EXPECT_TRUE(results.quiz());
  EXPECT_TRUE(results.options(1).correct());
  EXPECT_FALSE(results.options(0).correct());
  EXPECT_EQ(results.explanation(), "Arithmetic");
  status = messages_->VotePoll(Context().get(), vote, &results);
  EXPECT_EQ(Reason(status), "REVOTE_NOT_ALLOWED");
}

}  // namespace
}  // namespace tgrpc::service_test
