#include "mtproto/handshake/bind_temp_auth_key.h"

#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtproto/crypto/aes_ige.h"
#include "mtproto/crypto/auth_key.h"
#include "mtproto/crypto/message_key.h"
#include "mtproto/crypto/message_key_v1.h"
#include "mtproto/handshake/handshake_test_util.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::mtproto::handshake {
namespace {

using ::tgrpc::mtproto::handshake::testing::SeededRandom;

constexpr int64_t kTempSessionId = 0x1122334455667788;
constexpr int64_t kMsgId = (int64_t{1700000000} << 32) | 0x1234560;
constexpr int32_t kExpiresAt = 1700086400;

crypto::AuthKey RandomKey(uint64_t seed) {
  crypto::AuthKey::Bytes bytes;
  SeededRandom(seed)(absl::MakeSpan(bytes));
  return crypto::AuthKey(bytes);
}

class BindTempAuthKeyTest : public ::testing::Test {
 protected:
  BindTempAuthKeyTest() : perm_(RandomKey(1)), temp_(RandomKey(2)) {
    context_.auth_key_id = temp_.id();
    context_.key_is_temporary = true;
    context_.session_id = kTempSessionId;
    context_.msg_id = kMsgId;
    lookup_ = [this](uint64_t id) -> std::optional<crypto::AuthKey> {
      if (id == perm_.id()) return perm_;
      return std::nullopt;
    };
  }

  // The client's request, after a trip through the TL codec as the server would receive it.
  tl::api::auth_bindTempAuthKey Request(uint64_t seed = 3) {
    absl::StatusOr<tl::api::auth_bindTempAuthKey> request =
        MakeBindTempAuthKey(perm_, temp_, {kTempSessionId, kMsgId, kExpiresAt}, SeededRandom(seed));
    EXPECT_TRUE(request.ok()) << request.status();
    const std::string wire = *tl::Serialize(*request);
    tl::Reader r(wire);
    EXPECT_EQ(r.U32(), tl::api::auth_bindTempAuthKey::kId);
    tl::api::auth_bindTempAuthKey parsed;
    parsed.TlParse(r);
    EXPECT_TRUE(r.ok() && r.remaining() == 0);
    return parsed;
  }

  std::string Rejection(const tl::api::auth_bindTempAuthKey& request) {
    absl::StatusOr<TempKeyBinding> binding = VerifyBindTempAuthKey(request, context_, lookup_);
    if (binding.ok()) return "accepted";
    EXPECT_EQ(binding.status().code(), absl::StatusCode::kInvalidArgument);
    return BindErrorType(binding.status());
  }

  crypto::AuthKey perm_;
  crypto::AuthKey temp_;
  BindRequestContext context_;
  PermanentKeyLookup lookup_;
};

TEST_F(BindTempAuthKeyTest, ClientRequestVerifiesOnServer) {
  const tl::api::auth_bindTempAuthKey request = Request();
  EXPECT_EQ(static_cast<uint64_t>(request.perm_auth_key_id), perm_.id());
  EXPECT_EQ(request.expires_at, kExpiresAt);
  // perm_auth_key_id + msg_key + 72 bytes of message padded to 80.
  EXPECT_EQ(request.encrypted_message.size(), 8u + 16u + 80u);

  absl::StatusOr<TempKeyBinding> binding = VerifyBindTempAuthKey(request, context_, lookup_);
  ASSERT_TRUE(binding.ok()) << binding.status();
  EXPECT_EQ(binding->perm_auth_key_id, perm_.id());
  EXPECT_EQ(binding->temp_auth_key_id, temp_.id());
  EXPECT_EQ(binding->temp_session_id, kTempSessionId);
  EXPECT_EQ(binding->expires_at, kExpiresAt);
  EXPECT_EQ(binding->nonce, request.nonce);
}

// The layout core.telegram.org/method/auth.bindTempAuthKey gives, read back with the primitives.
TEST_F(BindTempAuthKeyTest, EncryptedMessageHasTheDocumentedLayout) {
  const tl::api::auth_bindTempAuthKey request = Request();
  const std::string& message = request.encrypted_message;
  EXPECT_EQ(message.substr(0, 8), std::string(perm_.id_bytes().begin(), perm_.id_bytes().end()));
  crypto::MsgKey msg_key;
  std::copy(message.begin() + 8, message.begin() + 24, msg_key.begin());
  const crypto::MessageAesKey key =
      crypto::DeriveMessageAesKeyV1(perm_, crypto::Role::kClient, msg_key);
  std::string plain(message.size() - 24, '\0');
  auto aes = crypto::AesIge::Create(key.key);
  ASSERT_TRUE(aes.ok());
  ASSERT_TRUE(aes->Decrypt(key.iv,
                           absl::MakeConstSpan(
                               reinterpret_cast<const uint8_t*>(message.data()) + 24, plain.size()),
                           absl::MakeSpan(reinterpret_cast<uint8_t*>(plain.data()), plain.size()))
                  .ok());
  tl::Reader r(plain);
  r.Raw(16);  // random:int128
  EXPECT_EQ(r.I64(), kMsgId);
  EXPECT_EQ(r.I32(), 0);            // seqno
  EXPECT_EQ(r.I32(), 40);           // msg_len
  EXPECT_EQ(r.U32(), 0x75a3f765u);  // bind_auth_key_inner
  EXPECT_EQ(r.I64(), request.nonce);
  EXPECT_EQ(static_cast<uint64_t>(r.I64()), temp_.id());
  EXPECT_EQ(static_cast<uint64_t>(r.I64()), perm_.id());
  EXPECT_EQ(r.I64(), kTempSessionId);
  EXPECT_EQ(r.I32(), kExpiresAt);
  EXPECT_EQ(r.remaining(), 8u);  // padding to 16 bytes
  const crypto::MsgKey expected = crypto::ComputeMsgKeyV1(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(plain.data()), 72));
  EXPECT_EQ(msg_key, expected);
}

TEST_F(BindTempAuthKeyTest, NoncesDifferBetweenRequests) {
  EXPECT_NE(Request(3).nonce, Request(4).nonce);
}

TEST_F(BindTempAuthKeyTest, RejectsAWrongPermanentKey) {
  const tl::api::auth_bindTempAuthKey request = Request();
  // The server holds another key under this id.
  lookup_ = [](uint64_t) -> std::optional<crypto::AuthKey> { return RandomKey(9); };
  EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID");
  // The server knows no such key.
  lookup_ = [](uint64_t) -> std::optional<crypto::AuthKey> { return std::nullopt; };
  EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID");
  // Encrypted under another permanent key than the one named.
  const crypto::AuthKey other = RandomKey(10);
  absl::StatusOr<tl::api::auth_bindTempAuthKey> forged =
      MakeBindTempAuthKey(other, temp_, {kTempSessionId, kMsgId, kExpiresAt}, SeededRandom(3));
  ASSERT_TRUE(forged.ok());
  forged->perm_auth_key_id = static_cast<int64_t>(perm_.id());
  lookup_ = [this](uint64_t) -> std::optional<crypto::AuthKey> { return perm_; };
  EXPECT_EQ(Rejection(*forged), "ENCRYPTED_MESSAGE_INVALID");
}

TEST_F(BindTempAuthKeyTest, RejectsAWrongSessionMsgIdOrTemporaryKey) {
  const tl::api::auth_bindTempAuthKey request = Request();
  ASSERT_EQ(Rejection(request), "accepted");
  context_.session_id = kTempSessionId + 1;
  EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID");
  context_.session_id = kTempSessionId;
  context_.msg_id = kMsgId + 4;
  EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID");
  context_.msg_id = kMsgId;
  context_.auth_key_id = RandomKey(11).id();
  EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID");
}

TEST_F(BindTempAuthKeyTest, RejectsOuterFieldsThatDifferFromTheBindingMessage) {
  tl::api::auth_bindTempAuthKey request = Request();
  request.nonce ^= 1;
  EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID");
  request = Request();
  request.expires_at += 1;
  EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID");
  request = Request();
  request.perm_auth_key_id ^= 1;
  EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID");
}

TEST_F(BindTempAuthKeyTest, RejectsRequestsNotUnderAFreeTemporaryKey) {
  const tl::api::auth_bindTempAuthKey request = Request();
  context_.key_is_temporary = false;
  EXPECT_EQ(Rejection(request), "TEMP_AUTH_KEY_EMPTY");
  context_.key_is_temporary = true;
  context_.bound_perm_auth_key_id = RandomKey(12).id();
  EXPECT_EQ(Rejection(request), "TEMP_AUTH_KEY_ALREADY_BOUND");
  context_.bound_perm_auth_key_id = perm_.id();  // binding again to the same key is fine
  EXPECT_EQ(Rejection(request), "accepted");
}

TEST_F(BindTempAuthKeyTest, RejectsEveryTamperedOrTruncatedMessage) {
  const tl::api::auth_bindTempAuthKey good = Request();
  for (size_t at = 0; at < good.encrypted_message.size(); ++at) {
    tl::api::auth_bindTempAuthKey request = Request();
    request.encrypted_message[at] ^= 0x01;
    EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID") << at;
  }
  for (size_t size = 0; size < good.encrypted_message.size(); ++size) {
    tl::api::auth_bindTempAuthKey request = Request();
    request.encrypted_message.resize(size);
    EXPECT_EQ(Rejection(request), "ENCRYPTED_MESSAGE_INVALID") << size;
  }
}

TEST(BindErrorTypeTest, EmptyForOtherStatuses) {
  EXPECT_EQ(BindErrorType(absl::OkStatus()), "");
  EXPECT_EQ(BindErrorType(absl::InvalidArgumentError("ENCRYPTED_MESSAGE_INVALID")), "");
}

}  // namespace
}  // namespace tgrpc::mtproto::handshake
