// ChatService's invite links and join requests end to end against fakedc: CreateInviteLink,
// ListInviteLinks (paged), RevokeInviteLink, JoinChat by a link of a supergroup or a basic group
// (its usage limit: USERS_TOO_MUCH; expiry and revocation: INVITE_HASH_EXPIRED; a link that needs
// approval: INVITE_REQUEST_SENT), ResolvePeer of a link (messages.checkChatInvite, before and
// after joining), and ListJoinRequests, ApproveJoinRequest, DeclineJoinRequest; bad input naming
// its field.
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/empty.pb.h"
#include "gtest/gtest.h"
#include "tests/fakedc/seed.h"
#include "tests/service/service_fixture.h"

namespace tgrpc::service_test {
namespace {

class ChatInvitesTest : public ServiceTest {
 protected:
  // alice, bob and carol (tenant A); a private supergroup of alice's.
  void SetUpAccounts() {
    SignIn("alice", fakedc::kSeedAlicePhone);
    SignIn("bob", fakedc::kSeedBobPhone);
    SignIn("carol", fakedc::kSeedCarolPhone, fakedc::kSeedCarolPassword);
    v1::CreateChatRequest create;
    create.set_account("accounts/alice");
    create.set_type(v1::Chat::SUPERGROUP);
    create.set_title("Invite Only");
    ASSERT_TRUE(chats_->CreateChat(Context().get(), create, &group_).ok());
  }

  grpc::Status Create(v1::CreateInviteLinkRequest request, v1::InviteLink* link,
                      const std::string& parent = "") {
    request.set_parent(parent.empty() ? group_.name() : parent);
    return chats_->CreateInviteLink(Context().get(), request, link);
  }
  grpc::Status JoinBy(const std::string& account, const std::string& link, v1::Chat* chat) {
    v1::JoinChatRequest join;
    join.set_account(absl::StrCat("accounts/", account));
    join.set_invite_link(link);
    return chats_->JoinChat(Context().get(), join, chat);
  }
  // The user ids of alice's view of the members.
  std::vector<int64_t> MemberIds() {
    v1::ListChatMembersRequest list;
    list.set_parent(group_.name());
    v1::ListChatMembersResponse listed;
    EXPECT_TRUE(chats_->ListChatMembers(Context().get(), list, &listed).ok());
    std::vector<int64_t> out;
    for (const v1::ChatMember& m : listed.members()) out.push_back(m.user().id());
    return out;
  }
  bool IsMember(int64_t user_id) {
    for (int64_t id : MemberIds()) {
      if (id == user_id) return true;
    }
    return false;
  }
  v1::ListJoinRequestsResponse Requests() {
    v1::ListJoinRequestsRequest list;
    list.set_parent(group_.name());
    v1::ListJoinRequestsResponse out;
    grpc::Status status = chats_->ListJoinRequests(Context().get(), list, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out;
  }
  int64_t UserId(const std::string& account) {
    v1::GetMeRequest me;
    me.set_account(absl::StrCat("accounts/", account));
    v1::User user;
    EXPECT_TRUE(users_->GetMe(Context().get(), me, &user).ok());
    return user.id();
  }

  v1::Chat group_;
};

TEST_F(ChatInvitesTest, LinksAdmitWithinTheirLimitsAndUntilRevoked) {
  SetUpAccounts();
  const int64_t bob_id = UserId("bob");
  const int64_t carol_id = UserId("carol");
  v1::CreateInviteLinkRequest once;
  once.set_usage_limit(1);
  once.set_title("one guest");
  v1::InviteLink link;
  grpc::Status status = Create(once, &link);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(absl::StartsWith(link.link(), "https://t.me/+")) << link.link();
  EXPECT_EQ(link.usage_limit(), 1);
  EXPECT_EQ(link.title(), "one guest");
  EXPECT_EQ(link.creator_id(), UserId("alice"));

  // Bob joins by it; then it is used up.
  v1::Chat joined;
  status = JoinBy("bob", link.link(), &joined);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(joined.id(), group_.id());
  EXPECT_EQ(joined.title(), "Invite Only");
  EXPECT_TRUE(IsMember(bob_id));
  status = JoinBy("carol", link.link(), &joined);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(Reason(status), "USERS_TOO_MUCH");
  status = JoinBy("bob", link.link(), &joined);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // A link whose expiry passed (fakedc's record moved to the past) admits nobody.
  v1::CreateInviteLinkRequest day;
  day.mutable_expire_time()->set_seconds(2000000000);
  v1::InviteLink expiring;
  ASSERT_TRUE(Create(day, &expiring).ok());
  EXPECT_EQ(expiring.expire_time().seconds(), 2000000000);
  dc_->Run([&](fakedc::World& world) {
    for (fakedc::InviteRecord& invite : world.FindChannel(group_.raw_id())->invites) {
      if (expiring.link() == "https://t.me/+" + invite.hash) invite.expire_date = 1;
    }
  });
  status = JoinBy("carol", expiring.link(), &joined);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(Reason(status), "INVITE_HASH_EXPIRED");

  // A revoked link: listed among the revoked, and admits nobody.
  v1::InviteLink open;
  ASSERT_TRUE(Create(v1::CreateInviteLinkRequest(), &open).ok());
  v1::RevokeInviteLinkRequest revoke;
  revoke.set_parent(group_.name());
  revoke.set_link(open.link());
  v1::InviteLink revoked;
  status = chats_->RevokeInviteLink(Context().get(), revoke, &revoked);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(revoked.revoked());
  EXPECT_EQ(revoked.link(), open.link());
  status = JoinBy("carol", open.link(), &joined);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(Reason(status), "INVITE_HASH_EXPIRED");
  EXPECT_FALSE(IsMember(carol_id));

  // Listed newest first, paged; the revoked one apart.
  v1::ListInviteLinksRequest list;
  list.set_parent(group_.name());
  list.set_page_size(1);
  v1::ListInviteLinksResponse page;
  ASSERT_TRUE(chats_->ListInviteLinks(Context().get(), list, &page).ok());
  ASSERT_EQ(page.links_size(), 1);
  EXPECT_EQ(page.total_size(), 2);
  EXPECT_EQ(page.links(0).link(), expiring.link());
  ASSERT_FALSE(page.next_page_token().empty());
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(chats_->ListInviteLinks(Context().get(), list, &page).ok());
  ASSERT_EQ(page.links_size(), 1);
  EXPECT_EQ(page.links(0).link(), link.link());
  EXPECT_EQ(page.links(0).usage_count(), 1);
  list.clear_page_token();
  list.set_page_size(0);
  list.set_revoked(true);
  ASSERT_TRUE(chats_->ListInviteLinks(Context().get(), list, &page).ok());
  ASSERT_EQ(page.links_size(), 1);
  EXPECT_EQ(page.links(0).link(), open.link());

  // A member who is no admin makes no links.
  v1::InviteLink bobs;
  status = Create(v1::CreateInviteLinkRequest(), &bobs,
                  absl::StrCat("accounts/bob/chats/", group_.id()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");
}

TEST_F(ChatInvitesTest, BasicGroupLinksAdmitUpToTheirLimit) {
  SetUpAccounts();
  v1::CreateChatRequest create;
  create.set_account("accounts/alice");
  create.set_type(v1::Chat::BASIC_GROUP);
  create.set_title("Small Talk");
  create.add_users("accounts/alice/users/bob_example");
  v1::Chat basic;
  grpc::Status status = chats_->CreateChat(Context().get(), create, &basic);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(basic.type(), v1::Chat::BASIC_GROUP);
  v1::CreateInviteLinkRequest once;
  once.set_usage_limit(1);
  v1::InviteLink link;
  status = Create(once, &link, basic.name());
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(link.usage_limit(), 1);
  // Bob is a member, not an admin: no links of his own.
  v1::InviteLink bobs;
  status =
      Create(v1::CreateInviteLinkRequest(), &bobs, absl::StrCat("accounts/bob/chats/", basic.id()));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(Reason(status), "CHAT_ADMIN_REQUIRED");

  // Carol joins by it, and is a member in alice's view; then it is used up.
  v1::Chat joined;
  status = JoinBy("carol", link.link(), &joined);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(joined.id(), basic.id());
  EXPECT_EQ(joined.type(), v1::Chat::BASIC_GROUP);
  EXPECT_EQ(joined.title(), "Small Talk");
  v1::ListChatMembersRequest members;
  members.set_parent(basic.name());
  v1::ListChatMembersResponse listed;
  ASSERT_TRUE(chats_->ListChatMembers(Context().get(), members, &listed).ok());
  bool carol_in = false;
  for (const v1::ChatMember& m : listed.members()) carol_in |= m.user().id() == UserId("carol");
  EXPECT_TRUE(carol_in);
  status = JoinBy("carol", link.link(), &joined);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  EXPECT_EQ(Reason(status), "USERS_TOO_MUCH");

  // Listed with its one use.
  v1::ListInviteLinksRequest list;
  list.set_parent(basic.name());
  v1::ListInviteLinksResponse page;
  ASSERT_TRUE(chats_->ListInviteLinks(Context().get(), list, &page).ok());
  ASSERT_EQ(page.links_size(), 1);
  EXPECT_EQ(page.links(0).link(), link.link());
  EXPECT_EQ(page.links(0).usage_count(), 1);
}

TEST_F(ChatInvitesTest, JoinRequestsAreApprovedOrDeclined) {
  SetUpAccounts();
  const int64_t bob_id = UserId("bob");
  const int64_t carol_id = UserId("carol");
  v1::CreateInviteLinkRequest approval;
  approval.set_request_needed(true);
  v1::InviteLink link;
  ASSERT_TRUE(Create(approval, &link).ok());
  EXPECT_TRUE(link.request_needed());
  // What the link shows bob before he joins (messages.checkChatInvite's chatInvite): no id yet.
  v1::ResolvePeerRequest resolve;
  resolve.set_account("accounts/bob");
  resolve.set_query(link.link());
  v1::ResolvePeerResponse shown;
  grpc::Status resolved = chats_->ResolvePeer(Context().get(), resolve, &shown);
  ASSERT_TRUE(resolved.ok()) << resolved.error_message();
  EXPECT_EQ(shown.chat().title(), "Invite Only");
  EXPECT_EQ(shown.chat().type(), v1::Chat::SUPERGROUP);
  EXPECT_EQ(shown.chat().members_count(), 1);
  EXPECT_EQ(shown.chat().id(), 0);
  v1::Chat joined;
  for (const char* account : {"bob", "carol"}) {
    grpc::Status status = JoinBy(account, link.link(), &joined);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << account << ": " << status.error_message();
    EXPECT_EQ(Reason(status), "INVITE_REQUEST_SENT") << account;
  }
  v1::ListJoinRequestsResponse requests = Requests();
  ASSERT_EQ(requests.requests_size(), 2);
  EXPECT_EQ(requests.total_size(), 2);
  EXPECT_EQ(requests.requests(0).user().id(), carol_id);  // newest first
  EXPECT_EQ(requests.requests(1).user().id(), bob_id);
  EXPECT_GT(requests.requests(0).request_time().seconds(), 0);
  EXPECT_FALSE(IsMember(bob_id));

  // Bob is let in; carol is turned down with "all".
  v1::ApproveJoinRequestRequest approve;
  approve.set_parent(group_.name());
  approve.set_user(absl::StrCat("accounts/alice/users/", bob_id));
  google::protobuf::Empty empty;
  grpc::Status status = chats_->ApproveJoinRequest(Context().get(), approve, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(IsMember(bob_id));
  ASSERT_EQ(Requests().requests_size(), 1);
  // Approving him again: Telegram has no such request.
  status = chats_->ApproveJoinRequest(Context().get(), approve, &empty);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(Reason(status), "HIDE_REQUESTER_MISSING");
  v1::DeclineJoinRequestRequest decline;
  decline.set_parent(group_.name());
  decline.set_all(true);
  status = chats_->DeclineJoinRequest(Context().get(), decline, &empty);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Requests().requests_size(), 0);
  EXPECT_FALSE(IsMember(carol_id));
  // Bob's view: he is in.
  v1::GetChatRequest get;
  get.set_name(absl::StrCat("accounts/bob/chats/", group_.id()));
  v1::Chat seen;
  status = chats_->GetChat(Context().get(), get, &seen);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(seen.has_left());
  // A member resolving the link gets the chat itself (chatInviteAlready).
  resolved = chats_->ResolvePeer(Context().get(), resolve, &shown);
  ASSERT_TRUE(resolved.ok()) << resolved.error_message();
  EXPECT_EQ(shown.chat().id(), group_.id());
  EXPECT_EQ(shown.chat().title(), "Invite Only");
}

TEST_F(ChatInvitesTest, BadInputIsNamed) {
  SetUpAccounts();
  struct Case {
    std::string what;
    std::function<grpc::Status()> call;
    std::string field;
  };
  auto create = [this](const std::function<void(v1::CreateInviteLinkRequest&)>& change) {
    v1::CreateInviteLinkRequest q;
    change(q);
    v1::InviteLink out;
    return Create(q, &out);
  };
  google::protobuf::Empty empty;
  const std::vector<Case> cases = {
      {"limit with approval",
       [&] {
         return create([](auto& q) {
           q.set_usage_limit(5);
           q.set_request_needed(true);
         });
       },
       "usage_limit"},
      {"limit over 99999", [&] { return create([](auto& q) { q.set_usage_limit(100000); }); },
       "usage_limit"},
      {"expiry in the past",
       [&] { return create([](auto& q) { q.mutable_expire_time()->set_seconds(1000); }); },
       "expire_time"},
      {"33-character title",
       [&] { return create([](auto& q) { q.set_title(std::string(33, 't')); }); }, "title"},
      {"a private chat's links",
       [&] {
         v1::InviteLink out;
         return Create(v1::CreateInviteLinkRequest(), &out, "accounts/alice/chats/bob_example");
       },
       "parent"},
      {"not a link",
       [&] {
         v1::Chat out;
         return JoinBy("bob", "not a link!", &out);
       },
       "invite_link"},
      {"revoking no link",
       [&] {
         v1::RevokeInviteLinkRequest q;
         q.set_parent(group_.name());
         v1::InviteLink out;
         return chats_->RevokeInviteLink(Context().get(), q, &out);
       },
       "link"},
      {"approving nobody",
       [&] {
         v1::ApproveJoinRequestRequest q;
         q.set_parent(group_.name());
         return chats_->ApproveJoinRequest(Context().get(), q, &empty);
       },
       "user"},
      {"declining one and all",
       [&] {
         v1::DeclineJoinRequestRequest q;
         q.set_parent(group_.name());
         q.set_user("accounts/alice/users/bob_example");
         q.set_all(true);
         return chats_->DeclineJoinRequest(Context().get(), q, &empty);
       },
       "user"},
      {"another account's user",
       [&] {
         v1::ApproveJoinRequestRequest q;
         q.set_parent(group_.name());
         q.set_user("accounts/bob/users/carol_example");
         return chats_->ApproveJoinRequest(Context().get(), q, &empty);
       },
       "user"},
      {"page_size over 100",
       [&] {
         v1::ListJoinRequestsRequest q;
         q.set_parent(group_.name());
         q.set_page_size(101);
         v1::ListJoinRequestsResponse out;
         return chats_->ListJoinRequests(Context().get(), q, &out);
       },
       "page_size"},
  };
  for (const Case& c : cases) {
    grpc::Status status = c.call();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.what << ": " << status.error_code() << " " << status.error_message();
    EXPECT_EQ(BadField(status), c.field) << c.what << ": " << status.error_message();
  }
}

}  // namespace
}  // namespace tgrpc::service_test
