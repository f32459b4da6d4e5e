// service_guard_test's guards for BotService and MessageService's bot, button, poll and inline
// RPCs: a second tenant's token never reaches the first tenant's accounts (NOT_FOUND,
// ACCOUNT_NOT_FOUND), a malformed name is INVALID_ARGUMENT naming its field or NOT_FOUND, and bad
// input is INVALID_ARGUMENT naming the field, before Telegram is asked.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/guard_checks.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

class GuardBotTest : public GuardChecks {
 protected:
  // `account` is accounts/{id}; each request is otherwise valid.
  std::vector<Rpc> Rpcs() {
    std::vector<Rpc> rpcs;
    auto* b = bots_.get();
    auto* m = messages_.get();
    google::protobuf::Empty* empty = &empty_;
    rpcs.push_back({"AnswerCallbackQuery", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::AnswerCallbackQueryRequest q;
                      q.set_account(a);
                      q.set_query_id(1);
                      return b->AnswerCallbackQuery(ctx, q, empty);
                    }});
    rpcs.push_back({"SetCommands", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::SetCommandsRequest q;
                      q.set_account(a);
                      auto* c = q.add_commands();
                      c->set_command("start");
                      c->set_description("Start");
                      return b->SetCommands(ctx, q, empty);
                    }});
    rpcs.push_back({"GetCommands", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::GetCommandsRequest q;
                      q.set_account(a);
                      v1::GetCommandsResponse out;
                      return b->GetCommands(ctx, q, &out);
                    }});
    rpcs.push_back({"DeleteCommands", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::DeleteCommandsRequest q;
                      q.set_account(a);
                      return b->DeleteCommands(ctx, q, empty);
                    }});
    rpcs.push_back({"SetBotInfo", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::SetBotInfoRequest q;
                      q.set_account(a);
                      q.mutable_info()->set_name("Bot");
                      q.mutable_update_mask()->add_paths("name");
                      v1::BotInfo out;
                      return b->SetBotInfo(ctx, q, &out);
                    }});
    rpcs.push_back({"GetBotInfo", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::GetBotInfoRequest q;
                      q.set_account(a);
                      v1::BotInfo out;
                      return b->GetBotInfo(ctx, q, &out);
                    }});
    rpcs.push_back({"SetMenuButton", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::SetMenuButtonRequest q;
                      q.set_account(a);
                      return b->SetMenuButton(ctx, q, empty);
                    }});
    rpcs.push_back({"AnswerInlineQuery", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::AnswerInlineQueryRequest q;
                      q.set_account(a);
                      q.set_query_id(1);
                      return b->AnswerInlineQuery(ctx, q, empty);
                    }});
    rpcs.push_back({"PressButton", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::PressButtonRequest q;
                      q.set_name(a + "/chats/fakedc_bot/messages/1");
                      q.set_data("x");
                      v1::PressButtonResponse out;
                      return m->PressButton(ctx, q, &out);
                    }});
    rpcs.push_back({"SendBotCommand", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::SendBotCommandRequest q;
                      q.set_parent(a + "/chats/fakedc_bot");
                      q.set_command("start");
                      v1::Message out;
                      return m->SendBotCommand(ctx, q, &out);
                    }});
    rpcs.push_back({"SendPoll", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::SendPollRequest q;
                      q.set_parent(a + "/chats/bob_example");
                      q.set_question("Q?");
                      q.add_answers("a");
                      q.add_answers("b");
                      v1::Message out;
                      return m->SendPoll(ctx, q, &out);
                    }});
    rpcs.push_back({"VotePoll", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::VotePollRequest q;
                      q.set_name(a + "/chats/bob_example/messages/1");
                      q.add_options(0);
                      v1::Poll out;
                      return m->VotePoll(ctx, q, &out);
                    }});
    rpcs.push_back({"QueryInlineBot", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::QueryInlineBotRequest q;
                      q.set_parent(a + "/chats/bob_example");
                      q.set_bot(a + "/users/fakedc_bot");
                      v1::QueryInlineBotResponse out;
                      return m->QueryInlineBot(ctx, q, &out);
                    }});
    rpcs.push_back({"SendInlineResult", [=](grpc::ClientContext* ctx, const std::string& a) {
                      v1::SendInlineResultRequest q;
                      q.set_parent(a + "/chats/bob_example");
                      q.set_query_id(1);
                      q.set_result_id("r");
                      v1::Message out;
                      return m->SendInlineResult(ctx, q, &out);
                    }});
    return rpcs;
  }

  void SignInBot() {
    v1::CreateAccountRequest create;
    create.set_account_id("bot");
    create.mutable_account()->set_bot_token(fakedc::kSeedBotToken);
    v1::Account account;
    grpc::Status status = accounts_->CreateAccount(Context().get(), create, &account);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  google::protobuf::Empty empty_;
};

TEST_F(GuardBotTest, AnotherTenantNeverReachesTheAccount) {
  SignInBot();
  SignIn("alice", fakedc::kSeedAlicePhone);
  // BotService's (the first 8) on the bot, MessageService's on alice.
  const int checked = ExpectOtherTenantNotFound(
      Rpcs(), [](size_t i) { return i < 8 ? "accounts/bot" : "accounts/alice"; });
  EXPECT_EQ(checked, 14);
}

TEST_F(GuardBotTest, MalformedNamesAreInvalidArgumentOrNotFound) {
  SignInBot();
  const std::vector<std::string> bad = {
      "",
      "accounts/",
      "accounts/Bot",
      "account/bot",
      "accounts/-bot",
      "accounts/bot/../alice",
      std::string(10000, 'x'),
  };
  EXPECT_EQ(ExpectMalformedNamesRejected(Rpcs(), bad), 14 * 7);
}

// Bad input, each named by its field, with the bot (BotService) or alice (MessageService).
TEST_F(GuardBotTest, BadInputNamesTheField) {
  SignInBot();
  SignIn("alice", fakedc::kSeedAlicePhone);
  google::protobuf::Empty empty;
  std::vector<std::pair<std::string, grpc::Status>> cases;
  {
    v1::SetCommandsRequest q;
    q.set_account("accounts/bot");
    cases.push_back({"commands", bots_->SetCommands(Context().get(), q, &empty)});
    auto* c = q.add_commands();
    c->set_command("Start");
    c->set_description("x");
    cases.push_back({"commands[0].command", bots_->SetCommands(Context().get(), q, &empty)});
    c->set_command("start");
    c->set_description("");
    cases.push_back({"commands[0].description", bots_->SetCommands(Context().get(), q, &empty)});
    c->set_description("x");
    *q.add_commands() = *c;
    cases.push_back({"commands[1].command", bots_->SetCommands(Context().get(), q, &empty)});
    q.mutable_commands()->DeleteSubrange(1, 1);
    q.set_language_code("english");
    cases.push_back({"language_code", bots_->SetCommands(Context().get(), q, &empty)});
    q.clear_language_code();
    q.mutable_scope()->set_kind(v1::CommandScope::CHAT);
    cases.push_back({"scope.chat", bots_->SetCommands(Context().get(), q, &empty)});
    q.mutable_scope()->set_chat("accounts/alice/chats/bob_example");
    cases.push_back({"scope.chat", bots_->SetCommands(Context().get(), q, &empty)});
  }
  {
    v1::SetBotInfoRequest q;
    q.set_account("accounts/bot");
    v1::BotInfo out;
    cases.push_back({"update_mask", bots_->SetBotInfo(Context().get(), q, &out)});
    q.mutable_update_mask()->add_paths("about");
    cases.push_back({"update_mask", bots_->SetBotInfo(Context().get(), q, &out)});
    q.mutable_update_mask()->Clear();
    q.mutable_update_mask()->add_paths("name");
    cases.push_back({"info.name", bots_->SetBotInfo(Context().get(), q, &out)});
  }
  {
    v1::SetMenuButtonRequest q;
    q.set_account("accounts/bot");
    q.set_kind(v1::SetMenuButtonRequest::WEB_APP);
    q.set_text("Open");
    q.set_url("http://insecure.example");
    cases.push_back({"url", bots_->SetMenuButton(Context().get(), q, &empty)});
  }
  {
    v1::AnswerCallbackQueryRequest q;
    q.set_account("accounts/bot");
    cases.push_back({"query_id", bots_->AnswerCallbackQuery(Context().get(), q, &empty)});
    q.set_query_id(1);
    q.set_text(std::string(201, 'x'));
    cases.push_back({"text", bots_->AnswerCallbackQuery(Context().get(), q, &empty)});
  }
  {
    v1::AnswerInlineQueryRequest q;
    q.set_account("accounts/bot");
    q.set_query_id(1);
    auto* r = q.add_results();
    r->set_id("a");
    cases.push_back({"results[0].title", bots_->AnswerInlineQuery(Context().get(), q, &empty)});
    r->set_title("A");
    cases.push_back(
        {"results[0].message_text", bots_->AnswerInlineQuery(Context().get(), q, &empty)});
    r->set_kind(v1::InlineResult::PHOTO);
    cases.push_back({"results[0]", bots_->AnswerInlineQuery(Context().get(), q, &empty)});
    r->set_content_url("ftp://example.org/a.jpg");
    cases.push_back(
        {"results[0].content_url", bots_->AnswerInlineQuery(Context().get(), q, &empty)});
    r->set_content_url("https://example.org/a.jpg");
    *q.add_results() = *r;
    cases.push_back({"results[1].id", bots_->AnswerInlineQuery(Context().get(), q, &empty)});
    q.mutable_results()->DeleteSubrange(1, 1);
    q.set_switch_pm_text("Start");
    cases.push_back({"switch_pm_parameter", bots_->AnswerInlineQuery(Context().get(), q, &empty)});
  }
  {
    v1::PressButtonRequest q;
    q.set_name("accounts/alice/chats/fakedc_bot/messages/1");
    v1::PressButtonResponse out;
    cases.push_back({"data", messages_->PressButton(Context().get(), q, &out)});
    q.set_data(std::string(65, 'x'));
    cases.push_back({"data", messages_->PressButton(Context().get(), q, &out)});
  }
  {
    v1::SendBotCommandRequest q;
    q.set_parent("accounts/alice/chats/fakedc_bot");
    q.set_command("/start");
    v1::Message out;
    cases.push_back({"command", messages_->SendBotCommand(Context().get(), q, &out)});
    q.set_command("start");
    q.set_bot_username("@fakedc_bot");
    cases.push_back({"bot_username", messages_->SendBotCommand(Context().get(), q, &out)});
  }
  {
    v1::SendPollRequest q;
    q.set_parent("accounts/alice/chats/bob_example");
    q.add_answers("a");
    q.add_answers("b");
    v1::Message out;
    cases.push_back({"question", messages_->SendPoll(Context().get(), q, &out)});
    q.set_question("Q?");
    q.mutable_answers()->RemoveLast();
    cases.push_back({"answers", messages_->SendPoll(Context().get(), q, &out)});
    q.add_answers("");
    cases.push_back({"answers[1]", messages_->SendPoll(Context().get(), q, &out)});
    q.set_answers(1, "b");
    q.set_quiz(true);
    q.set_correct_option(5);
    cases.push_back({"correct_option", messages_->SendPoll(Context().get(), q, &out)});
    q.set_correct_option(0);
    q.set_multiple_choice(true);
    cases.push_back({"multiple_choice", messages_->SendPoll(Context().get(), q, &out)});
    q.set_multiple_choice(false);
    q.set_close_period_seconds(3);
    cases.push_back({"close_period_seconds", messages_->SendPoll(Context().get(), q, &out)});
  }
  {
    v1::VotePollRequest q;
    q.set_name("accounts/alice/chats/bob_example/messages/1");
    q.add_options(-1);
    v1::Poll out;
    cases.push_back({"options", messages_->VotePoll(Context().get(), q, &out)});
  }
  {
    v1::QueryInlineBotRequest q;
    q.set_parent("accounts/alice/chats/bob_example");
    q.set_bot("accounts/bot/users/fakedc_bot");
    v1::QueryInlineBotResponse out;
    cases.push_back({"bot", messages_->QueryInlineBot(Context().get(), q, &out)});
    q.set_bot("accounts/alice/users/fakedc_bot");
    q.set_query(std::string(257, 'q'));
    cases.push_back({"query", messages_->QueryInlineBot(Context().get(), q, &out)});
  }
  {
    v1::SendInlineResultRequest q;
    q.set_parent("accounts/alice/chats/bob_example");
    q.set_result_id("r");
    v1::Message out;
    cases.push_back({"query_id", messages_->SendInlineResult(Context().get(), q, &out)});
    q.set_query_id(1);
    q.clear_result_id();
    cases.push_back({"result_id", messages_->SendInlineResult(Context().get(), q, &out)});
  }
  for (const auto& [field, status] : cases) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field << ": " << status.error_code() << " " << status.error_message();
    EXPECT_EQ(BadField(status), field) << status.error_message();
  }
  EXPECT_EQ(cases.size(), 34u);
}

}  // namespace
}  // namespace tgrpc::service_test
