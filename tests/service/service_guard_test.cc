// The service's guards, RPC by RPC: a second tenant's token never reaches the first tenant's
// accounts (NOT_FOUND, the same as an account that does not exist; each tenant has its own
// account ids, so it may have an account of the same name), a missing or unknown token
// is UNAUTHENTICATED, and bad input (empty, oversized, malformed and wrong-type fields and names)
// is INVALID_ARGUMENT naming the field, or NOT_FOUND, while the process stays up.
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

// One RPC, called with a name-like argument substituted into the request's resource field.
struct Rpc {
  std::string name;
  std::function<grpc::Status(grpc::ClientContext*, const std::string& resource)> call;
};

class GuardTest : public ServiceTest {
 protected:
  std::vector<Rpc> Rpcs() {
    std::vector<Rpc> rpcs;
    auto* a = accounts_.get();
    auto* u = users_.get();
    auto* c = chats_.get();
    auto* m = messages_.get();
    // `resource` is accounts/alice, or a chat / message / user of alice (the names are built
    // from it).
    rpcs.push_back({"GetAccount", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::GetAccountRequest q;
                      q.set_name(r);
                      v1::Account out;
                      return a->GetAccount(ctx, q, &out);
                    }});
    rpcs.push_back({"DeleteAccount", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::DeleteAccountRequest q;
                      q.set_name(r);
                      google::protobuf::Empty out;
                      return a->DeleteAccount(ctx, q, &out);
                    }});
    rpcs.push_back({"StartLogin", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::StartLoginRequest q;
                      q.set_name(r);
                      v1::LoginState out;
                      return a->StartLogin(ctx, q, &out);
                    }});
    rpcs.push_back({"SubmitCode", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SubmitCodeRequest q;
                      q.set_name(r);
                      q.set_code("12345");
                      v1::LoginState out;
                      return a->SubmitCode(ctx, q, &out);
                    }});
    rpcs.push_back({"SubmitPassword", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SubmitPasswordRequest q;
                      q.set_name(r);
                      q.set_password("x");
                      v1::LoginState out;
                      return a->SubmitPassword(ctx, q, &out);
                    }});
    rpcs.push_back({"SignUp", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SignUpRequest q;
                      q.set_name(r);
                      q.set_first_name("X");
                      v1::LoginState out;
                      return a->SignUp(ctx, q, &out);
                    }});
    rpcs.push_back({"CancelLogin", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::CancelLoginRequest q;
                      q.set_name(r);
                      v1::LoginState out;
                      return a->CancelLogin(ctx, q, &out);
                    }});
    rpcs.push_back({"LogOut", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::LogOutRequest q;
                      q.set_name(r);
                      v1::Account out;
                      return a->LogOut(ctx, q, &out);
                    }});
    rpcs.push_back({"GetAccountStatus", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::GetAccountStatusRequest q;
                      q.set_name(r);
                      v1::AccountStatus out;
                      return a->GetAccountStatus(ctx, q, &out);
                    }});
    rpcs.push_back({"WatchLogin", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::WatchLoginRequest q;
                      q.set_name(r);
                      auto reader = a->WatchLogin(ctx, q);
                      v1::LoginState state;
                      while (reader->Read(&state)) {
                      }
                      return reader->Finish();
                    }});
    rpcs.push_back({"WatchAccountStatus", [a](grpc::ClientContext* ctx, const std::string& r) {
                      v1::GetAccountStatusRequest q;
                      q.set_name(r);
                      auto reader = a->WatchAccountStatus(ctx, q);
                      v1::AccountStatus status;
                      if (reader->Read(&status)) ctx->TryCancel();  // it would stream on
                      while (reader->Read(&status)) {
                      }
                      grpc::Status finished = reader->Finish();
                      // A stream that answered is OK for this table; its cancel is ours.
                      return finished.error_code() == grpc::StatusCode::CANCELLED ? grpc::Status::OK
                                                                                  : finished;
                    }});
    rpcs.push_back({"GetMe", [u](grpc::ClientContext* ctx, const std::string& r) {
                      v1::GetMeRequest q;
                      q.set_account(r);
                      v1::User out;
                      return u->GetMe(ctx, q, &out);
                    }});
    rpcs.push_back({"GetUser", [u](grpc::ClientContext* ctx, const std::string& r) {
                      v1::GetUserRequest q;
                      q.set_name(r + "/users/bob_example");
                      v1::User out;
                      return u->GetUser(ctx, q, &out);
                    }});
    rpcs.push_back({"ListContacts", [u](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListContactsRequest q;
                      q.set_account(r);
                      v1::ListContactsResponse out;
                      return u->ListContacts(ctx, q, &out);
                    }});
    rpcs.push_back({"ImportContacts", [u](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ImportContactsRequest q;
                      q.set_account(r);
                      q.add_contacts()->set_phone_number("+15550000003");
                      q.mutable_contacts(0)->set_first_name("C");
                      v1::ImportContactsResponse out;
                      return u->ImportContacts(ctx, q, &out);
                    }});
    rpcs.push_back({"DeleteContacts", [u](grpc::ClientContext* ctx, const std::string& r) {
                      v1::DeleteContactsRequest q;
                      q.set_account(r);
                      q.add_users(r + "/users/bob_example");
                      v1::DeleteContactsResponse out;
                      return u->DeleteContacts(ctx, q, &out);
                    }});
    rpcs.push_back({"BlockUser", [u](grpc::ClientContext* ctx, const std::string& r) {
                      v1::BlockUserRequest q;
                      q.set_name(r + "/users/bob_example");
                      google::protobuf::Empty out;
                      return u->BlockUser(ctx, q, &out);
                    }});
    rpcs.push_back({"UnblockUser", [u](grpc::ClientContext* ctx, const std::string& r) {
                      v1::UnblockUserRequest q;
                      q.set_name(r + "/users/bob_example");
                      google::protobuf::Empty out;
                      return u->UnblockUser(ctx, q, &out);
                    }});
    rpcs.push_back({"UpdateProfile", [u](grpc::ClientContext* ctx, const std::string& r) {
                      v1::UpdateProfileRequest q;
                      q.mutable_user()->set_name(r + "/users/me");
                      q.mutable_user()->set_first_name("A");
                      q.mutable_update_mask()->add_paths("first_name");
                      v1::User out;
                      return u->UpdateProfile(ctx, q, &out);
                    }});
    rpcs.push_back({"ListProfilePhotos", [u](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListProfilePhotosRequest q;
                      q.set_parent(r + "/users/me");
                      v1::ListProfilePhotosResponse out;
                      return u->ListProfilePhotos(ctx, q, &out);
                    }});
    rpcs.push_back({"ResolvePeer", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ResolvePeerRequest q;
                      q.set_account(r);
                      q.set_query("bob_example");
                      v1::ResolvePeerResponse out;
                      return c->ResolvePeer(ctx, q, &out);
                    }});
    rpcs.push_back({"GetChat", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::GetChatRequest q;
                      q.set_name(r + "/chats/me");
                      v1::Chat out;
                      return c->GetChat(ctx, q, &out);
                    }});
    rpcs.push_back({"ListChats", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListChatsRequest q;
                      q.set_account(r);
                      v1::ListChatsResponse out;
                      return c->ListChats(ctx, q, &out);
                    }});
    rpcs.push_back({"ListChatMembers", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListChatMembersRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      v1::ListChatMembersResponse out;
                      return c->ListChatMembers(ctx, q, &out);
                    }});
    rpcs.push_back({"GetChatMember", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::GetChatMemberRequest q;
                      q.set_name(r + "/chats/fakedc_big/members/1");
                      v1::ChatMember out;
                      return c->GetChatMember(ctx, q, &out);
                    }});
    rpcs.push_back({"SendMessage", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SendMessageRequest q;
                      q.set_parent(r + "/chats/me");
                      q.set_text("x");
                      v1::Message out;
                      return m->SendMessage(ctx, q, &out);
                    }});
    rpcs.push_back({"GetMessages", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::GetMessagesRequest q;
                      q.set_parent(r + "/chats/me");
                      q.add_ids(1);
                      v1::GetMessagesResponse out;
                      return m->GetMessages(ctx, q, &out);
                    }});
    rpcs.push_back({"ListMessages", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListMessagesRequest q;
                      q.set_parent(r + "/chats/me");
                      v1::ListMessagesResponse out;
                      return m->ListMessages(ctx, q, &out);
                    }});
    rpcs.push_back({"SearchMessages", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SearchMessagesRequest q;
                      q.set_account(r);
                      q.set_query("x");
                      v1::SearchMessagesResponse out;
                      return m->SearchMessages(ctx, q, &out);
                    }});
    rpcs.push_back({"EditMessage", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::EditMessageRequest q;
                      q.set_name(r + "/chats/me/messages/1");
                      q.set_text("x");
                      v1::Message out;
                      return m->EditMessage(ctx, q, &out);
                    }});
    rpcs.push_back({"DeleteMessages", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::DeleteMessagesRequest q;
                      q.set_parent(r + "/chats/me");
                      q.add_ids(1);
                      v1::DeleteMessagesResponse out;
                      return m->DeleteMessages(ctx, q, &out);
                    }});
    rpcs.push_back({"ForwardMessages", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ForwardMessagesRequest q;
                      q.set_from_chat(r + "/chats/me");
                      q.set_to_chat(r + "/chats/me");
                      q.add_ids(1);
                      v1::ForwardMessagesResponse out;
                      return m->ForwardMessages(ctx, q, &out);
                    }});
    rpcs.push_back({"PinMessage", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::PinMessageRequest q;
                      q.set_name(r + "/chats/me/messages/1");
                      google::protobuf::Empty out;
                      return m->PinMessage(ctx, q, &out);
                    }});
    rpcs.push_back({"UnpinMessage", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::UnpinMessageRequest q;
                      q.set_parent(r + "/chats/me");
                      v1::UnpinMessageResponse out;
                      return m->UnpinMessage(ctx, q, &out);
                    }});
    rpcs.push_back({"MarkRead", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::MarkReadRequest q;
                      q.set_parent(r + "/chats/me");
                      v1::MarkReadResponse out;
                      return m->MarkRead(ctx, q, &out);
                    }});
    rpcs.push_back({"SendChatAction", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SendChatActionRequest q;
                      q.set_parent(r + "/chats/me");
                      v1::SendChatActionResponse out;
                      return m->SendChatAction(ctx, q, &out);
                    }});
    rpcs.push_back({"SetReaction", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SetReactionRequest q;
                      q.set_name(r + "/chats/me/messages/1");
                      q.add_reactions("👍");
                      v1::SetReactionResponse out;
                      return m->SetReaction(ctx, q, &out);
                    }});
    rpcs.push_back({"ListReactions", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListReactionsRequest q;
                      q.set_name(r + "/chats/me/messages/1");
                      v1::ListReactionsResponse out;
                      return m->ListReactions(ctx, q, &out);
                    }});
    rpcs.push_back({"SendLocation", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SendLocationRequest q;
                      q.set_parent(r + "/chats/me");
                      q.set_latitude(1);
                      q.set_longitude(1);
                      v1::Message out;
                      return m->SendLocation(ctx, q, &out);
                    }});
    rpcs.push_back({"SendContact", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SendContactRequest q;
                      q.set_parent(r + "/chats/me");
                      q.set_phone_number("+15550000009");
                      q.set_first_name("X");
                      v1::Message out;
                      return m->SendContact(ctx, q, &out);
                    }});
    rpcs.push_back({"SendDice", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SendDiceRequest q;
                      q.set_parent(r + "/chats/me");
                      v1::Message out;
                      return m->SendDice(ctx, q, &out);
                    }});
    auto* f = files_.get();
    rpcs.push_back({"UploadFile", [f](grpc::ClientContext* ctx, const std::string& r) {
                      v1::UploadedFile out;
                      auto writer = f->UploadFile(ctx, &out);
                      v1::UploadFileRequest header;
                      header.mutable_header()->set_account(r);
                      header.mutable_header()->set_file_name("a.txt");
                      header.mutable_header()->set_size(1);
                      v1::UploadFileRequest chunk;
                      chunk.set_chunk("x");
                      if (writer->Write(header)) writer->Write(chunk);
                      writer->WritesDone();
                      return writer->Finish();
                    }});
    rpcs.push_back({"DownloadFile", [f](grpc::ClientContext* ctx, const std::string& r) {
                      v1::DownloadFileRequest q;
                      q.set_message(r + "/chats/me/messages/1");
                      auto reader = f->DownloadFile(ctx, q);
                      v1::DownloadFileResponse part;
                      while (reader->Read(&part)) {
                      }
                      return reader->Finish();
                    }});
    rpcs.push_back({"SendMedia", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SendMediaRequest q;
                      q.set_parent(r + "/chats/me");
                      q.mutable_file()->set_account(r);
                      q.mutable_file()->set_file_name("a.txt");
                      q.mutable_file()->set_file_id(1);
                      q.mutable_file()->set_parts(1);
                      q.mutable_file()->set_size(1);
                      v1::Message out;
                      return m->SendMedia(ctx, q, &out);
                    }});
    rpcs.push_back({"SendAlbum", [m](grpc::ClientContext* ctx, const std::string& r) {
                      v1::SendAlbumRequest q;
                      q.set_parent(r + "/chats/me");
                      for (int i = 0; i < 2; ++i) {
                        v1::FileLocation* existing = q.add_items()->mutable_existing();
                        existing->set_account(r);
                        existing->set_type("photo");
                        existing->set_id(1 + i);
                      }
                      v1::SendAlbumResponse out;
                      return m->SendAlbum(ctx, q, &out);
                    }});
    auto* up = updates_.get();
    rpcs.push_back({"StreamUpdates", [up](grpc::ClientContext* ctx, const std::string& r) {
                      v1::StreamUpdatesRequest q;
                      q.add_accounts(r);
                      q.set_now(true);
                      q.mutable_checkpoint_interval()->set_nanos(100'000'000);
                      auto reader = up->StreamUpdates(ctx, q);
                      v1::UpdateEvent event;
                      if (reader->Read(&event)) ctx->TryCancel();  // it would stream on
                      while (reader->Read(&event)) {
                      }
                      grpc::Status finished = reader->Finish();
                      return finished.error_code() == grpc::StatusCode::CANCELLED ? grpc::Status::OK
                                                                                  : finished;
                    }});
    rpcs.push_back({"GetUpdateState", [up](grpc::ClientContext* ctx, const std::string& r) {
                      v1::GetUpdateStateRequest q;
                      q.set_account(r);
                      v1::UpdateLogState out;
                      return up->GetUpdateState(ctx, q, &out);
                    }});
    return rpcs;
  }

  void ExpectStillServing() {
    v1::GetMeRequest me;
    me.set_account("accounts/alice");
    v1::User user;
    grpc::Status status = users_->GetMe(Context().get(), me, &user);
    ASSERT_TRUE(status.ok()) << "the server stopped answering: " << status.error_message();
  }
};

TEST_F(GuardTest, AnotherTenantNeverReachesTheAccount) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  int checked = 0;
  for (const Rpc& rpc : Rpcs()) {
    grpc::Status status = rpc.call(Context(kTokenB).get(), "accounts/alice");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND)
        << rpc.name << ": " << status.error_message();
    EXPECT_EQ(Reason(status), "ACCOUNT_NOT_FOUND") << rpc.name;
    ++checked;
  }
  // And tenant B's list does not show it.
  v1::ListAccountsRequest list;
  v1::ListAccountsResponse listed;
  ASSERT_TRUE(accounts_->ListAccounts(Context(kTokenB).get(), list, &listed).ok());
  EXPECT_EQ(listed.accounts_size(), 0);
  ASSERT_TRUE(accounts_->ListAccounts(Context(kTokenA).get(), list, &listed).ok());
  EXPECT_EQ(listed.accounts_size(), 1);
  EXPECT_EQ(checked, 47);
  ExpectStillServing();  // tenant B's DeleteAccount and LogOut did nothing
}

// Account ids are per tenant: tenant B's CreateAccount of an id tenant A has is not ALREADY_EXISTS
// (which would tell B that A has it); B gets an account of its own, and the two never meet.
TEST_F(GuardTest, EachTenantHasItsOwnAccountIds) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  SignIn("alice", fakedc::kSeedBobPhone, "", kTokenB);

  auto me = [this](const char* token) {
    v1::GetMeRequest request;
    request.set_account("accounts/alice");
    v1::User user;
    grpc::Status status = users_->GetMe(Context(token).get(), request, &user);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return user;
  };
  const int64_t alice = me(kTokenA).id();
  const int64_t bob = me(kTokenB).id();
  EXPECT_NE(alice, 0);
  EXPECT_NE(bob, 0);
  EXPECT_NE(alice, bob);
  EXPECT_EQ(me(kTokenA).phone_number(), fakedc::kSeedAlicePhone);
  EXPECT_EQ(me(kTokenB).phone_number(), fakedc::kSeedBobPhone);

  // Each sends to its own saved messages; each lists only its own.
  for (const char* token : {kTokenA, kTokenB}) {
    v1::SendMessageRequest send;
    send.set_parent("accounts/alice/chats/me");
    send.set_text(std::string("from ") + (token == kTokenA ? "A" : "B"));
    v1::Message sent;
    ASSERT_TRUE(messages_->SendMessage(Context(token).get(), send, &sent).ok());
    EXPECT_EQ(sent.sender_id(), token == kTokenA ? alice : bob);
  }
  for (const char* token : {kTokenA, kTokenB}) {
    v1::ListMessagesRequest list;
    list.set_parent("accounts/alice/chats/me");
    v1::ListMessagesResponse listed;
    ASSERT_TRUE(messages_->ListMessages(Context(token).get(), list, &listed).ok());
    ASSERT_GE(listed.messages_size(), 1);
    EXPECT_EQ(listed.messages(0).text(), std::string("from ") + (token == kTokenA ? "A" : "B"));
    for (const v1::Message& message : listed.messages()) {
      EXPECT_EQ(message.sender_id(), token == kTokenA ? alice : bob);
    }
  }

  // Within one tenant an id is still taken once.
  v1::CreateAccountRequest again;
  again.set_account_id("alice");
  again.mutable_account()->set_phone_number(std::string("+") + fakedc::kSeedCarolPhone);
  v1::Account created;
  EXPECT_EQ(accounts_->CreateAccount(Context(kTokenB).get(), again, &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  // Both come back after a restart, each with its tenant, keys and peers.
  StopServer();
  StartServer();
  EXPECT_EQ(me(kTokenA).id(), alice);
  EXPECT_EQ(me(kTokenB).id(), bob);
  for (const char* token : {kTokenA, kTokenB}) {
    v1::ListAccountsRequest list;
    v1::ListAccountsResponse listed;
    ASSERT_TRUE(accounts_->ListAccounts(Context(token).get(), list, &listed).ok());
    ASSERT_EQ(listed.accounts_size(), 1);
    EXPECT_EQ(listed.accounts(0).name(), "accounts/alice");
    EXPECT_EQ(listed.accounts(0).user().id(), token == kTokenA ? alice : bob);
  }

  // Deleting B's leaves A's signed in and working.
  v1::DeleteAccountRequest remove;
  remove.set_name("accounts/alice");
  google::protobuf::Empty empty;
  ASSERT_TRUE(accounts_->DeleteAccount(Context(kTokenB).get(), remove, &empty).ok());
  v1::GetAccountRequest get;
  get.set_name("accounts/alice");
  v1::Account account;
  EXPECT_EQ(accounts_->GetAccount(Context(kTokenB).get(), get, &account).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(accounts_->GetAccount(Context(kTokenA).get(), get, &account).ok());
  EXPECT_EQ(account.state(), v1::Account::SIGNED_IN);
  EXPECT_EQ(me(kTokenA).id(), alice);
}

TEST_F(GuardTest, MissingOrUnknownTokenIsUnauthenticated) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  for (const Rpc& rpc : Rpcs()) {
    grpc::ClientContext none;
    none.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    EXPECT_EQ(rpc.call(&none, "accounts/alice").error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << rpc.name;
    EXPECT_EQ(rpc.call(Context("not-a-known-token-at-all").get(), "accounts/alice").error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << rpc.name;
  }
  ExpectStillServing();
}

TEST_F(GuardTest, MalformedNamesAreInvalidArgumentOrNotFound) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  const std::vector<std::string> bad = {
      "",
      "accounts/",
      "accounts/Alice",
      "accounts/alice/",
      "account/alice",
      "accounts/-alice",
      "accounts/" + std::string(100, 'a'),
      std::string(100000, 'x'),
      std::string("accounts/ali\0ce", 15),
      "accounts/alice/../bob",
  };
  int calls = 0;
  for (const Rpc& rpc : Rpcs()) {
    for (const std::string& name : bad) {
      grpc::Status status = rpc.call(Context().get(), name);
      ++calls;
      const bool invalid = status.error_code() == grpc::StatusCode::INVALID_ARGUMENT;
      EXPECT_TRUE(invalid || status.error_code() == grpc::StatusCode::NOT_FOUND)
          << rpc.name << " with \"" << name.substr(0, 40) << "\": " << status.error_code() << " "
          << status.error_message();
      if (invalid) EXPECT_FALSE(BadField(status).empty()) << rpc.name << ": no field named";
    }
  }
  EXPECT_EQ(calls, 47 * 10);
  ExpectStillServing();
}

// Invalid UTF-8 in a string field fails protobuf's parse before any handler runs; gRPC C++ alone
// would answer UNIMPLEMENTED with no message, tgrpcd says INVALID_ARGUMENT and why.
TEST_F(GuardTest, RequestThatDoesNotParseIsInvalidArgument) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  for (const Rpc& rpc : Rpcs()) {
    grpc::Status status = rpc.call(Context().get(), "accounts/\xff\xfe");
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << rpc.name << ": " << status.error_code() << " " << status.error_message();
    if (rpc.name == "UploadFile") {
      // A client stream's message that does not parse ends the stream for the handler (gRPC's
      // callback API says no more): the upload answers that its header is missing.
      EXPECT_EQ(BadField(status), "header") << status.error_message();
    } else {
      EXPECT_EQ(Reason(status), "REQUEST_UNPARSABLE") << rpc.name;
    }
  }
  // Raw bytes, as a caller in another language can send them.
  grpc::GenericStub generic(channel_);
  auto call = [&](const std::string& method, const std::string& payload) {
    grpc::Slice slice(payload);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    auto context = Context();
    generic.UnaryCall(context.get(), "/tgrpc.v1.AccountService/" + method, grpc::StubOptions(),
                      &request, &response, [&done](grpc::Status s) { done.set_value(s); });
    return done.get_future().get();
  };
  // A name with a lone continuation byte; a message cut short (field 1 says 32 bytes, 3 follow).
  const std::string bad_name(
      "\x0a\x0b"
      "accounts/\x80x",
      13);
  const std::string cut_short(
      "\x0a\x20"
      "abc",
      5);
  for (const std::string& payload : {bad_name, cut_short}) {
    grpc::Status status = call("GetAccount", payload);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << testing::PrintToString(payload) << ": " << status.error_message();
    EXPECT_EQ(Reason(status), "REQUEST_UNPARSABLE");
  }
  // A method tgrpcd does not have is still UNIMPLEMENTED.
  EXPECT_EQ(call("NoSuchMethod", std::string("\x0a\x0e"
                                             "accounts/alice",
                                             16))
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  ExpectStillServing();
}

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
