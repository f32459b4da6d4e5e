// GuardTest: the RPC table and checks shared by the guard tests (service_guard_test.cc, the
// tenant, token and name checks of every RPC; service_guard_fields_test.cc, each request's bad
// fields).
#ifndef TGRPC_TESTS_SERVICE_GUARD_FIXTURE_H_
#define TGRPC_TESTS_SERVICE_GUARD_FIXTURE_H_

#include <functional>
#include <future>
#include <string>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/guard_checks.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {

class GuardTest : public GuardChecks {
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

}  // namespace tgrpc::service_test

#endif  // TGRPC_TESTS_SERVICE_GUARD_FIXTURE_H_
