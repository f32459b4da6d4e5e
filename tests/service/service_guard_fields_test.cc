// The service's guards, request by request: bad input (empty, oversized, malformed and
// wrong-type fields) is INVALID_ARGUMENT naming the field, while the process stays up.
#include <string>
#include <vector>

#include "tests/service/guard_fixture.h"

namespace tgrpc::service_test {
namespace {

TEST_F(GuardTest, BadFieldsAreNamed) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  struct Case {
    std::string what;
    std::function<grpc::Status()> call;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"chat that is not a reference",
       [&] {
         v1::SendMessageRequest q;
         q.set_parent("accounts/alice/chats/no spaces!");
         q.set_text("x");
         v1::Message out;
         return messages_->SendMessage(Context().get(), q, &out);
       },
       "parent"},
      {"empty text",
       [&] {
         v1::SendMessageRequest q;
         q.set_parent("accounts/alice/chats/me");
         v1::Message out;
         return messages_->SendMessage(Context().get(), q, &out);
       },
       "text"},
      {"text over 64 KiB",
       [&] {
         v1::SendMessageRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.set_text(std::string(70000, 'a'));
         v1::Message out;
         return messages_->SendMessage(Context().get(), q, &out);
       },
       "text"},
      {"text over 4096 characters",
       [&] {
         v1::SendMessageRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.set_text(std::string(5000, 'a'));
         v1::Message out;
         return messages_->SendMessage(Context().get(), q, &out);
       },
       "text"},
      {"unbalanced markdown",
       [&] {
         v1::SendMessageRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.set_text("**open");
         q.set_parse_mode(v1::SendMessageRequest::MARKDOWN);
         v1::Message out;
         return messages_->SendMessage(Context().get(), q, &out);
       },
       "text"},
      {"entity outside the text",
       [&] {
         v1::SendMessageRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.set_text("abc");
         auto* e = q.add_entities();
         e->set_type("bold");
         e->set_offset(2);
         e->set_length(10);
         v1::Message out;
         return messages_->SendMessage(Context().get(), q, &out);
       },
       "entities"},
      {"unknown parse mode",
       [&] {
         v1::SendMessageRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.set_text("abc");
         q.set_parse_mode(static_cast<v1::SendMessageRequest::ParseMode>(77));
         v1::Message out;
         return messages_->SendMessage(Context().get(), q, &out);
       },
       "parse_mode"},
      {"no ids",
       [&] {
         v1::GetMessagesRequest q;
         q.set_parent("accounts/alice/chats/me");
         v1::GetMessagesResponse out;
         return messages_->GetMessages(Context().get(), q, &out);
       },
       "ids"},
      {"negative id",
       [&] {
         v1::DeleteMessagesRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.add_ids(-5);
         v1::DeleteMessagesResponse out;
         return messages_->DeleteMessages(Context().get(), q, &out);
       },
       "ids"},
      {"page size too big",
       [&] {
         v1::ListChatMembersRequest q;
         q.set_parent("accounts/alice/chats/fakedc_big");
         q.set_page_size(100000);
         v1::ListChatMembersResponse out;
         return chats_->ListChatMembers(Context().get(), q, &out);
       },
       "page_size"},
      {"forged page token",
       [&] {
         v1::ListMessagesRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.set_page_token("%%%not-base64%%%");
         v1::ListMessagesResponse out;
         return messages_->ListMessages(Context().get(), q, &out);
       },
       "page_token"},
      {"page token with a wrong type",
       [&] {
         v1::ListMessagesRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.set_page_token("YmVmb3JlPXh5eg");  // before=xyz
         v1::ListMessagesResponse out;
         return messages_->ListMessages(Context().get(), q, &out);
       },
       "page_token"},
      {"message id not a number",
       [&] {
         v1::EditMessageRequest q;
         q.set_name("accounts/alice/chats/me/messages/abc");
         q.set_text("x");
         v1::Message out;
         return messages_->EditMessage(Context().get(), q, &out);
       },
       "name"},
      {"reaction with a space",
       [&] {
         v1::SetReactionRequest q;
         q.set_name("accounts/alice/chats/me/messages/1");
         q.add_reactions("a b");
         v1::SetReactionResponse out;
         return messages_->SetReaction(Context().get(), q, &out);
       },
       "reactions[0]"},
      {"upload progress over 100%",
       [&] {
         v1::SendChatActionRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.set_action(v1::SendChatActionRequest::UPLOAD_DOCUMENT);
         q.set_progress(150);
         v1::SendChatActionResponse out;
         return messages_->SendChatAction(Context().get(), q, &out);
       },
       "progress"},
      {"longitude out of range",
       [&] {
         v1::SendLocationRequest q;
         q.set_parent("accounts/alice/chats/me");
         q.set_longitude(-181);
         v1::Message out;
         return messages_->SendLocation(Context().get(), q, &out);
       },
       "longitude"},
      {"account with both phone and token",
       [&] {
         v1::CreateAccountRequest q;
         q.mutable_account()->set_phone_number("+15551112233");
         q.mutable_account()->set_bot_token("1:abcdefghijklmnop");
         v1::Account out;
         return accounts_->CreateAccount(Context().get(), q, &out);
       },
       "account"},
      {"phone with letters",
       [&] {
         v1::CreateAccountRequest q;
         q.mutable_account()->set_phone_number("+1555abc");
         v1::Account out;
         return accounts_->CreateAccount(Context().get(), q, &out);
       },
       "account.phone_number"},
      {"eleven sessions",
       [&] {
         v1::CreateAccountRequest q;
         q.mutable_account()->set_phone_number("+15551112233");
         q.mutable_account()->set_max_sessions(11);
         v1::Account out;
         return accounts_->CreateAccount(Context().get(), q, &out);
       },
       "account.max_sessions"},
      {"bad account id",
       [&] {
         v1::CreateAccountRequest q;
         q.mutable_account()->set_phone_number("+15551112233");
         q.set_account_id("Not_Valid");
         v1::Account out;
         return accounts_->CreateAccount(Context().get(), q, &out);
       },
       "account_id"},
      {"empty code",
       [&] {
         v1::SubmitCodeRequest q;
         q.set_name("accounts/alice");
         v1::LoginState out;
         return accounts_->SubmitCode(Context().get(), q, &out);
       },
       "code"},
      {"unknown login method",
       [&] {
         v1::StartLoginRequest q;
         q.set_name("accounts/alice");
         q.set_method(static_cast<v1::StartLoginRequest::Method>(9));
         v1::LoginState out;
         return accounts_->StartLogin(Context().get(), q, &out);
       },
       "method"},
  };
  for (const Case& c : cases) {
    grpc::Status status = c.call();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.what << ": " << status.error_message();
    EXPECT_EQ(BadField(status), c.field) << c.what << ": " << status.error_message();
  }
  ExpectStillServing();
}

}  // namespace
}  // namespace tgrpc::service_test
