// service_guard_test's guards for ChatService's administration RPCs (CreateChat, JoinChat,
// LeaveChat, UpdateChat, AddChatMembers, UpdateChatMember, DeleteChatHistory, the invite links
// and join requests, ListAdminLog, the forum topics), kept apart so that neither file outgrows the
// style's 800 lines: a second tenant's token never reaches the first tenant's accounts (NOT_FOUND,
// ACCOUNT_NOT_FOUND), a missing or unknown token is UNAUTHENTICATED, a malformed name is
// INVALID_ARGUMENT naming its field or NOT_FOUND, and a request that does not parse is
// INVALID_ARGUMENT with REQUEST_UNPARSABLE, while the process stays up. None of these reaches
// Telegram, so the chats named need not exist.
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/guard_checks.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

class GuardChatTest : public GuardChecks {
 protected:
  // `resource` is accounts/alice, or a chat / member / user of alice (the names are built from
  // it). Each request is otherwise valid.
  std::vector<Rpc> Rpcs() {
    std::vector<Rpc> rpcs;
    auto* c = chats_.get();
    rpcs.push_back({"CreateChat", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::CreateChatRequest q;
                      q.set_account(r);
                      q.set_type(v1::Chat::BASIC_GROUP);
                      q.set_title("Guarded");
                      q.add_users(r + "/users/bob_example");
                      q.set_request_id("guard-create");
                      v1::Chat out;
                      return c->CreateChat(ctx, q, &out);
                    }});
    rpcs.push_back({"JoinChat", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::JoinChatRequest q;
                      q.set_name(r + "/chats/fakedc_big");
                      q.set_request_id("guard-join");
                      v1::Chat out;
                      return c->JoinChat(ctx, q, &out);
                    }});
    rpcs.push_back({"LeaveChat", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::LeaveChatRequest q;
                      q.set_name(r + "/chats/fakedc_big");
                      q.set_request_id("guard-leave");
                      google::protobuf::Empty out;
                      return c->LeaveChat(ctx, q, &out);
                    }});
    rpcs.push_back({"UpdateChat", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::UpdateChatRequest q;
                      q.mutable_chat()->set_name(r + "/chats/fakedc_big");
                      q.mutable_chat()->set_title("Guarded");
                      q.mutable_update_mask()->add_paths("title");
                      q.set_request_id("guard-update");
                      v1::Chat out;
                      return c->UpdateChat(ctx, q, &out);
                    }});
    rpcs.push_back({"AddChatMembers", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::AddChatMembersRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      q.add_users(r + "/users/bob_example");
                      q.set_request_id("guard-add");
                      v1::AddChatMembersResponse out;
                      return c->AddChatMembers(ctx, q, &out);
                    }});
    rpcs.push_back({"UpdateChatMember", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::UpdateChatMemberRequest q;
                      q.set_name(r + "/chats/fakedc_big/members/1");
                      q.mutable_ban();
                      q.set_request_id("guard-member");
                      v1::ChatMember out;
                      return c->UpdateChatMember(ctx, q, &out);
                    }});
    rpcs.push_back({"DeleteChatHistory", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::DeleteChatHistoryRequest q;
                      q.set_name(r + "/chats/fakedc_big");
                      q.set_revoke(true);
                      q.set_request_id("guard-history");
                      google::protobuf::Empty out;
                      return c->DeleteChatHistory(ctx, q, &out);
                    }});
    rpcs.push_back({"JoinChat by link", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::JoinChatRequest q;
                      q.set_account(r);
                      q.set_invite_link("https://t.me/+AbCdEf123");
                      v1::Chat out;
                      return c->JoinChat(ctx, q, &out);
                    }});
    rpcs.push_back({"CreateInviteLink", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::CreateInviteLinkRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      q.set_request_id("guard-link");
                      v1::InviteLink out;
                      return c->CreateInviteLink(ctx, q, &out);
                    }});
    rpcs.push_back({"ListInviteLinks", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListInviteLinksRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      v1::ListInviteLinksResponse out;
                      return c->ListInviteLinks(ctx, q, &out);
                    }});
    rpcs.push_back({"RevokeInviteLink", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::RevokeInviteLinkRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      q.set_link("https://t.me/+AbCdEf123");
                      v1::InviteLink out;
                      return c->RevokeInviteLink(ctx, q, &out);
                    }});
    rpcs.push_back({"ListJoinRequests", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListJoinRequestsRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      v1::ListJoinRequestsResponse out;
                      return c->ListJoinRequests(ctx, q, &out);
                    }});
    rpcs.push_back({"ApproveJoinRequest", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ApproveJoinRequestRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      q.set_all(true);
                      google::protobuf::Empty out;
                      return c->ApproveJoinRequest(ctx, q, &out);
                    }});
    rpcs.push_back({"DeclineJoinRequest", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::DeclineJoinRequestRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      q.set_all(true);
                      google::protobuf::Empty out;
                      return c->DeclineJoinRequest(ctx, q, &out);
                    }});
    rpcs.push_back({"ListAdminLog", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListAdminLogRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      v1::ListAdminLogResponse out;
                      return c->ListAdminLog(ctx, q, &out);
                    }});
    rpcs.push_back({"CreateForumTopic", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::CreateForumTopicRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      q.set_title("Guarded");
                      q.set_request_id("guard-topic");
                      v1::ForumTopic out;
                      return c->CreateForumTopic(ctx, q, &out);
                    }});
    rpcs.push_back({"UpdateForumTopic", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::UpdateForumTopicRequest q;
                      q.mutable_topic()->set_name(r + "/chats/fakedc_big/topics/2");
                      q.mutable_topic()->set_title("Guarded");
                      q.mutable_update_mask()->add_paths("title");
                      v1::ForumTopic out;
                      return c->UpdateForumTopic(ctx, q, &out);
                    }});
    rpcs.push_back({"DeleteForumTopic", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::DeleteForumTopicRequest q;
                      q.set_name(r + "/chats/fakedc_big/topics/2");
                      google::protobuf::Empty out;
                      return c->DeleteForumTopic(ctx, q, &out);
                    }});
    rpcs.push_back({"ListForumTopics", [c](grpc::ClientContext* ctx, const std::string& r) {
                      v1::ListForumTopicsRequest q;
                      q.set_parent(r + "/chats/fakedc_big");
                      v1::ListForumTopicsResponse out;
                      return c->ListForumTopics(ctx, q, &out);
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

TEST_F(GuardChatTest, AnotherTenantNeverReachesTheAccount) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  EXPECT_EQ(ExpectOtherTenantNotFound(Rpcs(), [](size_t) { return "accounts/alice"; }), 19);
  // Tenant B's calls changed nothing of alice's: the seeded supergroup still has its title and
  // alice in it.
  v1::GetChatRequest get;
  get.set_name("accounts/alice/chats/fakedc_big");
  v1::Chat chat;
  grpc::Status status = chats_->GetChat(Context().get(), get, &chat);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(chat.title(), "FakeDc Big Group");
  EXPECT_FALSE(chat.has_left());
  ExpectStillServing();
}

TEST_F(GuardChatTest, MissingOrUnknownTokenIsUnauthenticated) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  ExpectUnauthenticated(Rpcs(), "accounts/alice");
  ExpectStillServing();
}

TEST_F(GuardChatTest, MalformedNamesAreInvalidArgumentOrNotFound) {
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
  EXPECT_EQ(ExpectMalformedNamesRejected(Rpcs(), bad), 19 * 10);
  ExpectStillServing();
}

TEST_F(GuardChatTest, RequestThatDoesNotParseIsInvalidArgument) {
  SignIn("alice", fakedc::kSeedAlicePhone);
  ExpectUnparsableRejected(Rpcs());
  ExpectStillServing();
}

}  // namespace
}  // namespace tgrpc::service_test
