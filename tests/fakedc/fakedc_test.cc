// FakeDc in-process, over TCP on 127.0.0.1 with the small TestClient: keys shared by a DC's
// endpoints, DC migration and files kept on another DC end to end, FLOOD_WAIT, and each injected
// fault as a client sees it (bad_server_salt with a new salt, lost answers on a dropped
// connection, delays, update gaps, restarts).
#include "tests/fakedc/fakedc.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/rsa_key.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/seed.h"
#include "tests/fakedc/test_client.h"
#include "tests/fakedc/test_requests.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

template <class T>
std::string ErrorOf(const absl::StatusOr<T>& result) {
  if (result.ok()) return "";
  auto [code, message] = ToRpcError(result.status());
  if (code == 500 && result.status().message() != "INTERNAL_SERVER_ERROR") {
    return result.status().ToString();  // not an rpc_error
  }
  return absl::StrCat(code, " ", message);
}

std::string ErrorOf(const absl::Status& status) {
  return ErrorOf(absl::StatusOr<int>(status.ok() ? absl::UnknownError("succeeded") : status));
}

// One RSA key for every FakeDc of this binary: generating one per test is slow.
const std::string& ServerKeyPem() {
  static const std::string* pem = [] {
    absl::StatusOr<mtproto::crypto::RsaPrivateKey> key =
        mtproto::crypto::RsaPrivateKey::Generate(2048);
    return new std::string(key.ok() ? key->ToPem().value_or("") : "");
  }();
  return *pem;
}

class FakeDcTest : public ::testing::Test {
 protected:
  void Start(FakeDcOptions options = {}) {
    options.rsa_key_pem = ServerKeyPem();
    options.big_channel_members = 0;
    options.verbose = true;
    absl::StatusOr<std::unique_ptr<FakeDc>> dc = FakeDc::Start(std::move(options));
    ASSERT_TRUE(dc.ok()) << dc.status();
    dc_ = *std::move(dc);
  }

  std::unique_ptr<TestClient> Connect(int dc_id, bool media_only = false,
                                      std::optional<mtproto::crypto::AuthKey> key = {}) {
    TestClient::Options options;
    options.dc_id = dc_id;
    for (const DcEndpoint& endpoint : dc_->endpoints()) {
      if (endpoint.id == dc_id && endpoint.media_only == media_only) options.port = endpoint.port;
    }
    options.public_key_pem = dc_->public_key_pem();
    options.auth_key = key;
    absl::StatusOr<std::unique_ptr<TestClient>> client = TestClient::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // sendCode, the code from the World, signIn.
  absl::Status SignIn(TestClient& client, const std::string& phone) {
    api::auth_sendCode send;
    send.phone_number = phone;
    send.api_id = 1;
    send.api_hash = "hash";
    send.settings = std::make_unique<api::codeSettings>();
    absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent = client.Call(send);
    if (!sent.ok()) return sent.status();
    api::auth_signIn sign_in;
    sign_in.phone_number = phone;
    sign_in.phone_code_hash = static_cast<const api::auth_sentCode&>(**sent).phone_code_hash;
    dc_->Run([&](World& world) { sign_in.phone_code = world.LastCode(phone); });
    return client.Call(sign_in).status();
  }

  // A client on DC 2 signed in as `phone`; nullptr (and a failure) if that did not work.
  std::unique_ptr<TestClient> SignedIn(const std::string& phone) {
    std::unique_ptr<TestClient> client = Connect(2);
    if (client == nullptr) return nullptr;
    absl::Status status = SignIn(*client, phone);
    EXPECT_TRUE(status.ok()) << status;
    return status.ok() ? std::move(client) : nullptr;
  }

  // The next Updates pushed to `client`, decoded.
  static absl::StatusOr<tl::Ptr<api::Updates>> NextUpdates(TestClient& client) {
    absl::StatusOr<std::string> pushed = client.NextUpdate(absl::Seconds(5));
    if (!pushed.ok()) return pushed.status();
    return tl::Decode<api::Updates>(*pushed);
  }

  absl::StatusOr<tl::Ptr<api::Updates>> SendText(TestClient& client, tl::Ptr<api::InputPeer> peer,
                                                 const std::string& text) {
    api::messages_sendMessage send;
    send.peer = std::move(peer);
    send.message = text;
    send.random_id = ++random_id_;
    return client.Call(send);
  }

  tl::Ptr<api::InputPeer> PeerOf(const std::string& phone) {
    auto peer = std::make_unique<api::inputPeerUser>();
    dc_->Run([&](World& world) {
      const UserRecord* user = world.FindUserByPhone(phone);
      peer->user_id = user->id;
      peer->access_hash = user->access_hash;
    });
    return peer;
  }

  int32_t PtsOf(const std::string& phone) {
    int32_t pts = 0;
    dc_->Run([&](World& world) { pts = world.BoxOf(world.FindUserByPhone(phone)->id).pts; });
    return pts;
  }

  std::unique_ptr<FakeDc> dc_;
  int64_t random_id_ = 0;
};

TEST_F(FakeDcTest, KeysAreValidOnEveryEndpointOfTheirDc) {
  Start();
  std::unique_ptr<TestClient> main = Connect(2);
  ASSERT_NE(main, nullptr);
  ASSERT_TRUE(SignIn(*main, kSeedAlicePhone).ok());
  std::unique_ptr<TestClient> media = Connect(2, /*media_only=*/true, main->auth_key());
  ASSERT_NE(media, nullptr);
  absl::StatusOr<tl::Ptr<api::updates_State>> state = media->Call(api::updates_getState());
  EXPECT_TRUE(state.ok()) << state.status();
  // Another DC does not know the key: transport error -404.
  std::unique_ptr<TestClient> other = Connect(1, false, main->auth_key());
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->Call(api::help_getConfig()).status().message(), "transport error -404");
}

TEST_F(FakeDcTest, SignInMovesToTheHomeDcAndFilesToTheFilesDc) {
  FakeDcOptions options;
  options.files_dc = 1;
  Start(options);
  std::unique_ptr<TestClient> dc1 = Connect(1);
  ASSERT_NE(dc1, nullptr);
  EXPECT_EQ(ErrorOf(SignIn(*dc1, kSeedAlicePhone)), "303 PHONE_MIGRATE_2");
  std::unique_ptr<TestClient> home = Connect(2);
  ASSERT_NE(home, nullptr);
  ASSERT_TRUE(SignIn(*home, kSeedAlicePhone).ok());

  // Upload on DC 2; the document lives on DC 1.
  ASSERT_TRUE(home->Call(testing::FirstFilePart(5, std::string(3000, 'z'))).ok());
  absl::StatusOr<tl::Ptr<api::Updates>> sent =
      home->Call(testing::SendUploadedDocument(5, "z.bin", 9));
  ASSERT_TRUE(sent.ok()) << sent.status();
  const api::document* document = nullptr;
  for (const auto& update : static_cast<const api::updates&>(**sent).updates_) {
    if (const auto* added = dynamic_cast<const api::updateNewMessage*>(update.get())) {
      const auto& message = static_cast<const api::message&>(*added->message);
      document = static_cast<const api::document*>(
          static_cast<const api::messageMediaDocument&>(*message.media).document.get());
    }
  }
  ASSERT_NE(document, nullptr);
  EXPECT_EQ(document->dc_id, 1);
  const auto get_file = [&](TestClient& client) {
    auto location = std::make_unique<api::inputDocumentFileLocation>();
    location->id = document->id;
    location->access_hash = document->access_hash;
    location->file_reference = document->file_reference;
    api::upload_getFile request;
    request.location = std::move(location);
    request.limit = 4096;
    return client.Call(request);
  };
  EXPECT_EQ(ErrorOf(get_file(*home)), "303 FILE_MIGRATE_1");
  EXPECT_EQ(ErrorOf(get_file(*dc1)), "401 AUTH_KEY_UNREGISTERED");

  // What clients do on FILE_MIGRATE: export the authorization, import it on the file's DC.
  api::auth_exportAuthorization export_request;
  export_request.dc_id = 1;
  absl::StatusOr<tl::Ptr<api::auth_ExportedAuthorization>> exported = home->Call(export_request);
  ASSERT_TRUE(exported.ok()) << exported.status();
  api::auth_importAuthorization import_request;
  import_request.id = static_cast<const api::auth_exportedAuthorization&>(**exported).id;
  import_request.bytes = static_cast<const api::auth_exportedAuthorization&>(**exported).bytes;
  ASSERT_TRUE(dc1->Call(import_request).ok());
  absl::StatusOr<tl::Ptr<api::upload_File>> got = get_file(*dc1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(static_cast<const api::upload_file&>(**got).bytes, std::string(3000, 'z'));
  // Signed in on DC 1 too, the user's other calls belong to DC 2.
  EXPECT_EQ(ErrorOf(dc1->Call(api::updates_getState())), "303 USER_MIGRATE_2");
}

TEST_F(FakeDcTest, FloodWaitFromTheOptions) {
  FakeDcOptions options;
  options.flood_limits = {{"help.getConfig", {1, 60}}};
  Start(options);
  dc_->Run([](World& world) { world.SetClock([] { return 1000; }); });
  std::unique_ptr<TestClient> client = Connect(2);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(client->Call(api::help_getConfig()).ok());
  EXPECT_EQ(ErrorOf(client->Call(api::help_getConfig())), "420 FLOOD_WAIT_60");
  dc_->Run([](World& world) { world.SetClock([] { return 1060; }); });
  EXPECT_TRUE(client->Call(api::help_getConfig()).ok());
}

TEST_F(FakeDcTest, BadSaltFaultChangesTheSalt) {
  Start();
  std::unique_ptr<TestClient> client = Connect(2);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Call(api::help_getConfig()).ok());
  const uint64_t salt = client->salt();
  const uint64_t resent = client->stats().messages_resent;
  FaultOptions faults;
  faults.bad_salt_packets = 2;
  dc_->SetFaults(faults);
  EXPECT_TRUE(client->Call(api::help_getConfig()).ok());
  EXPECT_NE(client->salt(), salt);
  // Resent once per bad_server_salt at least (a container's messages count one by one).
  const uint64_t resent_after_faults = client->stats().messages_resent;
  EXPECT_GE(resent_after_faults, resent + 2);
  EXPECT_EQ(dc_->faults(), FaultOptions());  // counted down
  EXPECT_TRUE(client->Call(api::help_getConfig()).ok());
  EXPECT_EQ(client->stats().messages_resent, resent_after_faults);
}

TEST_F(FakeDcTest, BadSaltFaultFromTheStartHitsTheFirstPacket) {
  FakeDcOptions options;
  options.faults.bad_salt_packets = 1;
  Start(options);
  std::unique_ptr<TestClient> client = Connect(2);
  ASSERT_NE(client, nullptr);
  const uint64_t first_salt = client->salt();
  EXPECT_TRUE(client->Call(api::help_getConfig()).ok());
  EXPECT_NE(client->salt(), first_salt);
  EXPECT_GE(client->stats().messages_resent, 1u);
}

TEST_F(FakeDcTest, DroppedConnectionLosesTheAnswerNotTheCall) {
  Start();
  std::unique_ptr<TestClient> client = Connect(2);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(SignIn(*client, kSeedAlicePhone).ok());
  const int32_t pts = PtsOf(kSeedAlicePhone);
  FaultOptions faults;
  faults.drop_after_packets = 1;  // this connection is past it: its next packet is the last
  dc_->SetFaults(faults);
  api::messages_sendMessage send;
  send.peer = std::make_unique<api::inputPeerSelf>();
  send.message = "once";
  send.random_id = 77;
  absl::StatusOr<mtproto::session::CallId> call = client->Send(send);
  ASSERT_TRUE(call.ok());
  EXPECT_TRUE(absl::IsUnavailable(client->Wait(*call).status()));
  EXPECT_EQ(PtsOf(kSeedAlicePhone), pts + 1);  // the server did send it
  dc_->SetFaults({});
  // The session resends the call with its msg_id; the server answers the duplicate from its
  // record instead of sending the message twice.
  ASSERT_TRUE(client->Reconnect().ok());
  absl::StatusOr<std::string> answer = client->Wait(*call);
  EXPECT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(PtsOf(kSeedAlicePhone), pts + 1);
}

TEST_F(FakeDcTest, DropAfterPacketsFromTheStart) {
  FakeDcOptions options;
  options.faults.drop_after_packets = 2;  // req_pq_multi, req_DH_params: no key
  Start(options);
  TestClient::Options client_options;
  client_options.port = dc_->port(2);
  client_options.public_key_pem = dc_->public_key_pem();
  absl::StatusOr<std::unique_ptr<TestClient>> client = TestClient::Connect(client_options);
  EXPECT_TRUE(absl::IsUnavailable(client.status())) << client.status();
  dc_->SetFaults({});
  EXPECT_NE(Connect(2), nullptr);
}

TEST_F(FakeDcTest, DropConnectionsThenReconnect) {
  Start();
  std::unique_ptr<TestClient> client = Connect(2);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Call(api::help_getConfig()).ok());
  dc_->DropConnections();
  EXPECT_TRUE(client->WaitClosed(absl::Seconds(5)));
  ASSERT_TRUE(client->Reconnect().ok());
  EXPECT_TRUE(client->Call(api::help_getConfig()).ok());
}

TEST_F(FakeDcTest, DelayHoldsAnswersBack) {
  Start();
  std::unique_ptr<TestClient> client = Connect(2);
  ASSERT_NE(client, nullptr);
  FaultOptions faults;
  faults.delay_ms = 300;
  dc_->SetFaults(faults);
  const absl::Time started = absl::Now();
  EXPECT_TRUE(client->Call(api::help_getConfig()).ok());
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(300));
  // Shorter than the delay: nothing yet.
  absl::StatusOr<mtproto::session::CallId> call = client->Send(api::help_getConfig());
  ASSERT_TRUE(call.ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(client->Wait(*call, absl::Milliseconds(50)).status()));
  EXPECT_TRUE(client->Wait(*call).ok());
}

TEST_F(FakeDcTest, UpdateGapIsFilledByGetDifference) {
  Start();
  std::unique_ptr<TestClient> alice = SignedIn(kSeedAlicePhone);
  std::unique_ptr<TestClient> bob = SignedIn(kSeedBobPhone);
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  absl::StatusOr<tl::Ptr<api::updates_State>> state = alice->Call(api::updates_getState());
  ASSERT_TRUE(state.ok());
  const int32_t pts = static_cast<const api::updates_state&>(**state).pts;

  FaultOptions faults;
  faults.update_gaps = 1;
  dc_->SetFaults(faults);
  ASSERT_TRUE(SendText(*bob, PeerOf(kSeedAlicePhone), "lost").ok());
  ASSERT_TRUE(SendText(*bob, PeerOf(kSeedAlicePhone), "seen").ok());
  absl::StatusOr<tl::Ptr<api::Updates>> updates = NextUpdates(*alice);
  ASSERT_TRUE(updates.ok()) << updates.status();
  const auto& update = dynamic_cast<const api::updateNewMessage&>(
      *static_cast<const api::updates&>(**updates).updates_.at(0));
  // pts - pts_count is past alice's pts: a gap.
  EXPECT_EQ(update.pts, pts + 2);
  EXPECT_EQ(update.pts_count, 1);
  EXPECT_EQ(static_cast<const api::message&>(*update.message).message_, "seen");

  api::updates_getDifference get_difference;
  get_difference.pts = pts;
  get_difference.date = 0;
  absl::StatusOr<tl::Ptr<api::updates_Difference>> difference = alice->Call(get_difference);
  ASSERT_TRUE(difference.ok()) << difference.status();
  const auto& filled = dynamic_cast<const api::updates_difference&>(**difference);
  ASSERT_EQ(filled.new_messages.size(), 2u);
  EXPECT_EQ(static_cast<const api::message&>(*filled.new_messages[0]).message_, "lost");
  EXPECT_EQ(static_cast<const api::updates_state&>(*filled.state).pts, pts + 2);
}

// An update the server pushed but the client never acknowledged (it went down with the old
// connection, unread) is sent again when the session shows up on a new connection.
TEST_F(FakeDcTest, UnacknowledgedUpdateComesAgainOnANewConnection) {
  Start();
  std::unique_ptr<TestClient> alice = SignedIn(kSeedAlicePhone);
  std::unique_ptr<TestClient> bob = SignedIn(kSeedBobPhone);
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  ASSERT_TRUE(SendText(*bob, PeerOf(kSeedAlicePhone), "while away").ok());
  // Alice never reads her old connection; the new one starts empty.
  ASSERT_TRUE(alice->Reconnect().ok());
  ASSERT_TRUE(alice->Call(api::updates_getState()).ok());
  absl::StatusOr<std::string> pushed = alice->NextUpdate(absl::Seconds(10));
  ASSERT_TRUE(pushed.ok()) << pushed.status();
  absl::StatusOr<tl::Ptr<api::Updates>> updates = tl::Decode<api::Updates>(*pushed);
  ASSERT_TRUE(updates.ok());
  const auto& update = dynamic_cast<const api::updateNewMessage&>(
      *static_cast<const api::updates&>(**updates).updates_.at(0));
  EXPECT_EQ(static_cast<const api::message&>(*update.message).message_, "while away");
}

TEST_F(FakeDcTest, RestartKeepsPortsKeysAndState) {
  Start();
  const std::vector<DcEndpoint> endpoints = dc_->endpoints();
  std::unique_ptr<TestClient> client = Connect(2);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(SignIn(*client, kSeedAlicePhone).ok());
  ASSERT_TRUE(SendText(*client, std::make_unique<api::inputPeerSelf>(), "before").ok());
  EXPECT_EQ(client->new_sessions(), 1);
  ASSERT_TRUE(dc_->Restart().ok());
  EXPECT_TRUE(client->WaitClosed(absl::Seconds(5)));
  ASSERT_TRUE(client->Reconnect().ok());
  // The same key is still signed in as alice, on the same port.
  absl::StatusOr<tl::Ptr<api::updates_State>> state = client->Call(api::updates_getState());
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(static_cast<const api::updates_state&>(**state).pts, PtsOf(kSeedAlicePhone));
  // The session outlived the restart too: no second new_session_created, as after a plain
  // reconnect (a new session id would get one).
  EXPECT_EQ(client->new_sessions(), 1);
  for (size_t i = 0; i < endpoints.size(); ++i) {
    EXPECT_EQ(dc_->endpoints()[i].port, endpoints[i].port);
  }
  EXPECT_NE(Connect(1), nullptr);  // every listener is back
}

// A key's sessions are kept after their connections close, but their slots are not lost: clients
// that each open a session of their own on one key, more of them than max_sessions_per_key (one
// after another), all get answers.
TEST_F(FakeDcTest, SessionsOfClosedConnectionsMakeRoomForNewOnes) {
  Start();
  std::unique_ptr<TestClient> first = Connect(2);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Call(api::help_getNearestDc()).ok());
  const mtproto::crypto::AuthKey key = first->auth_key();
  first.reset();
  const int clients = static_cast<int>(FakeDcOptions().max_sessions_per_key) + 10;
  for (int i = 0; i < clients; ++i) {
    std::unique_ptr<TestClient> client = Connect(2, /*media_only=*/false, key);
    ASSERT_NE(client, nullptr);
    absl::StatusOr<tl::Ptr<api::NearestDc>> nearest = client->Call(api::help_getNearestDc());
    ASSERT_TRUE(nearest.ok()) << "client " << i << ": " << nearest.status();
  }
}

// With every session of a key in use, a new one is refused with transport error -429 (not left
// unanswered); when a connection closes, its session's slot takes the next one.
TEST_F(FakeDcTest, ASessionPastTheLimitGetsTransportError429) {
  FakeDcOptions options;
  options.max_sessions_per_key = 2;
  Start(options);
  std::unique_ptr<TestClient> a = Connect(2);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->Call(api::help_getNearestDc()).ok());
  std::unique_ptr<TestClient> b = Connect(2, false, a->auth_key());
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Call(api::help_getNearestDc()).ok());
  std::unique_ptr<TestClient> c = Connect(2, false, a->auth_key());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->Call(api::help_getNearestDc()).status().message(), "transport error -429");
  EXPECT_TRUE(a->Call(api::help_getNearestDc()).ok());
  EXPECT_TRUE(b->Call(api::help_getNearestDc()).ok());

  b.reset();
  // Once fakedc has seen b's connection close (the client's close and c's next packet travel
  // on different sockets).
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (dc_->Connections().size() > 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_EQ(dc_->Connections().size(), 2u);
  EXPECT_TRUE(c->Call(api::help_getNearestDc()).ok());
  EXPECT_TRUE(a->Call(api::help_getNearestDc()).ok());
}

TEST_F(FakeDcTest, FaultsLimitedToOneDc) {
  Start();
  std::unique_ptr<TestClient> dc1 = Connect(1);
  std::unique_ptr<TestClient> dc2 = Connect(2);
  ASSERT_NE(dc1, nullptr);
  ASSERT_NE(dc2, nullptr);
  ASSERT_TRUE(dc1->Call(api::help_getConfig()).ok());
  ASSERT_TRUE(dc2->Call(api::help_getConfig()).ok());
  const uint64_t salt1 = dc1->salt();
  const uint64_t salt2 = dc2->salt();
  FaultOptions faults;
  faults.bad_salt_packets = 1;
  faults.dc_ids = {1};
  dc_->SetFaults(faults);
  EXPECT_TRUE(dc2->Call(api::help_getConfig()).ok());
  EXPECT_EQ(dc2->salt(), salt2);
  EXPECT_EQ(dc_->faults().bad_salt_packets, 1);  // DC 2's packet did not count
  EXPECT_TRUE(dc1->Call(api::help_getConfig()).ok());
  EXPECT_NE(dc1->salt(), salt1);
  EXPECT_EQ(dc_->faults().bad_salt_packets, 0);

  dc_->DropConnections(/*dc_id=*/1);
  EXPECT_TRUE(dc1->WaitClosed(absl::Seconds(5)));
  EXPECT_TRUE(dc2->Call(api::help_getConfig()).ok());
  EXPECT_TRUE(dc2->connected());
}

TEST_F(FakeDcTest, ConnectionsAreListedAndDroppedOneByOne) {
  Start();
  std::unique_ptr<TestClient> alice = Connect(2);
  std::unique_ptr<TestClient> other = Connect(2);
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(SignIn(*alice, kSeedAlicePhone).ok());
  ASSERT_TRUE(other->Call(api::help_getConfig()).ok());
  int64_t alice_user = 0;
  dc_->Run([&](World& world) { alice_user = world.FindUserByPhone(kSeedAlicePhone)->id; });
  std::vector<ConnectionInfo> open = dc_->Connections();
  ASSERT_EQ(open.size(), 2u);
  EXPECT_LT(open[0].id, open[1].id);
  const ConnectionInfo* of_alice = nullptr;
  for (const ConnectionInfo& info : open) {
    EXPECT_EQ(info.dc_id, 2);
    EXPECT_EQ(info.transport, "intermediate");
    EXPECT_GE(info.packets, 3);  // key exchange (2) and calls
    EXPECT_NE(info.auth_key_id, 0u);
    if (info.user_id == alice_user) of_alice = &info;
  }
  ASSERT_NE(of_alice, nullptr);
  EXPECT_EQ(of_alice->auth_key_id, alice->auth_key().id());

  // Faults for alice's connection only: the other one keeps its answers on time.
  FaultOptions faults;
  faults.delay_ms = 400;
  faults.connection_ids = {of_alice->id};
  dc_->SetFaults(faults);
  absl::Time started = absl::Now();
  EXPECT_TRUE(other->Call(api::help_getConfig()).ok());
  EXPECT_LT(absl::Now() - started, absl::Milliseconds(400));
  started = absl::Now();
  EXPECT_TRUE(alice->Call(api::help_getConfig()).ok());
  EXPECT_GE(absl::Now() - started, absl::Milliseconds(400));
  dc_->SetFaults({});

  EXPECT_TRUE(dc_->DropConnection(of_alice->id));
  EXPECT_FALSE(dc_->DropConnection(of_alice->id));  // already closed
  EXPECT_TRUE(alice->WaitClosed(absl::Seconds(5)));
  EXPECT_TRUE(other->Call(api::help_getConfig()).ok());
  ASSERT_EQ(dc_->Connections().size(), 1u);
  ASSERT_TRUE(alice->Reconnect().ok());
  EXPECT_TRUE(alice->Call(api::updates_getState()).ok());
  EXPECT_EQ(dc_->Connections().size(), 2u);
}

TEST_F(FakeDcTest, UpdatesTooLongReplacesAPush) {
  Start();
  std::unique_ptr<TestClient> alice = SignedIn(kSeedAlicePhone);
  std::unique_ptr<TestClient> bob = SignedIn(kSeedBobPhone);
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  const int32_t pts = PtsOf(kSeedAlicePhone);
  FaultOptions faults;
  faults.updates_too_long = 1;
  dc_->SetFaults(faults);
  ASSERT_TRUE(SendText(*bob, PeerOf(kSeedAlicePhone), "behind the tooLong").ok());
  absl::StatusOr<tl::Ptr<api::Updates>> updates = NextUpdates(*alice);
  ASSERT_TRUE(updates.ok()) << updates.status();
  EXPECT_NE(dynamic_cast<const api::updatesTooLong*>(updates->get()), nullptr);
  // What a client does next: getDifference from its pts finds the message.
  api::updates_getDifference get_difference;
  get_difference.pts = pts;
  absl::StatusOr<tl::Ptr<api::updates_Difference>> difference = alice->Call(get_difference);
  ASSERT_TRUE(difference.ok()) << difference.status();
  const auto& filled = dynamic_cast<const api::updates_difference&>(**difference);
  ASSERT_EQ(filled.new_messages.size(), 1u);
  EXPECT_EQ(static_cast<const api::message&>(*filled.new_messages[0]).message_,
            "behind the tooLong");
  // Counted down: the next push is the update itself.
  ASSERT_TRUE(SendText(*bob, PeerOf(kSeedAlicePhone), "plain").ok());
  updates = NextUpdates(*alice);
  ASSERT_TRUE(updates.ok()) << updates.status();
  EXPECT_NE(dynamic_cast<const api::updates*>(updates->get()), nullptr);
}

TEST_F(FakeDcTest, NetworkMigrateSendsNewNumbersToTheNetworkDc) {
  FakeDcOptions options;
  options.network_dc = 1;
  Start(options);
  const auto send_code = [](TestClient& client, const std::string& phone) {
    api::auth_sendCode send;
    send.phone_number = phone;
    send.api_id = 1;
    send.api_hash = "hash";
    send.settings = std::make_unique<api::codeSettings>();
    return client.Call(send);
  };
  std::unique_ptr<TestClient> dc2 = Connect(2);
  std::unique_ptr<TestClient> dc1 = Connect(1);
  ASSERT_NE(dc2, nullptr);
  ASSERT_NE(dc1, nullptr);
  // A number without an account: its client is sent to the network's DC, and signs up there.
  EXPECT_EQ(ErrorOf(send_code(*dc2, "15559990000")), "303 NETWORK_MIGRATE_1");
  absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent = send_code(*dc1, "15559990000");
  ASSERT_TRUE(sent.ok()) << sent.status();
  api::auth_signUp sign_up;
  sign_up.phone_number = "15559990000";
  sign_up.phone_code_hash = static_cast<const api::auth_sentCode&>(**sent).phone_code_hash;
  sign_up.first_name = "Newcomer";
  ASSERT_TRUE(dc1->Call(sign_up).ok());
  int home_dc = 0;
  dc_->Run([&](World& world) { home_dc = world.FindUserByPhone("15559990000")->home_dc; });
  EXPECT_EQ(home_dc, 1);
  // An existing account's number goes to its home, wherever the network is: no loop between
  // NETWORK_MIGRATE and PHONE_MIGRATE.
  EXPECT_EQ(ErrorOf(send_code(*dc1, kSeedAlicePhone)), "303 PHONE_MIGRATE_2");
  EXPECT_TRUE(SignIn(*dc2, kSeedAlicePhone).ok());
  EXPECT_TRUE(dc2->Call(api::updates_getState()).ok());
}

TEST(FakeDcStartTest, RejectsANetworkDcThatIsNotADc) {
  FakeDcOptions options;
  options.rsa_key_pem = ServerKeyPem();
  options.network_dc = 9;
  options.big_channel_members = 0;
  absl::StatusOr<std::unique_ptr<FakeDc>> dc = FakeDc::Start(std::move(options));
  EXPECT_EQ(dc.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tgrpc::fakedc
