#include "service/api/errors.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "mtproto/net/rpc_status.h"

namespace tgrpc::service {
namespace {

google::rpc::Status Details(const grpc::Status& status) {
  google::rpc::Status details;
  EXPECT_TRUE(details.ParseFromString(status.error_details()));
  EXPECT_EQ(details.code(), status.error_code());
  return details;
}

grpc::Status FromTelegram(int code, const std::string& message) {
  return ToGrpcStatus(
      mtproto::net::RpcErrorToStatus(mtproto::session::ParseRpcError(code, message)));
}

TEST(ErrorsTest, FloodWaitIsResourceExhaustedWithRetryInfo) {
  grpc::Status status = FromTelegram(420, "FLOOD_WAIT_42");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status details = Details(status);
  ASSERT_EQ(details.details_size(), 2);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "FLOOD_WAIT");
  EXPECT_EQ(info.domain(), "telegram.org");
  EXPECT_EQ(info.metadata().at("code"), "420");
  EXPECT_EQ(info.metadata().at("argument"), "42");
  // From errors.tsv, with the argument filled in.
  EXPECT_NE(info.metadata().at("description").find("42"), std::string::npos);
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(details.details(1).UnpackTo(&retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 42);
}

TEST(ErrorsTest, TelegramCodesMapAsDesigned) {
  EXPECT_EQ(FromTelegram(400, "PEER_ID_INVALID").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(FromTelegram(400, "MESSAGE_TOO_LONG").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FromTelegram(401, "AUTH_KEY_UNREGISTERED").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(FromTelegram(403, "CHAT_WRITE_FORBIDDEN").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(FromTelegram(406, "PHONE_NUMBER_INVALID").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(FromTelegram(500, "INTERNAL").error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(FromTelegram(-503, "Timeout").error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(ErrorsTest, BadCallerInputNamesTheField) {
  grpc::Status status = ToGrpcStatus(InvalidField("parent", "not a chat name"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::BadRequest bad;
  ASSERT_TRUE(Details(status).details(0).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_EQ(bad.field_violations(0).field(), "parent");
}

// A request part checked on its own (an album item) is named where it sits in the request.
TEST(ErrorsTest, PrefixFieldNamesThePartOfTheRequest) {
  absl::Status part = InvalidField("file.size", "1 byte to 4000 MiB");
  absl::Status prefixed = PrefixField(part, "items[2].");
  EXPECT_EQ(prefixed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(prefixed.message(), "items[2].file.size: 1 byte to 4000 MiB");
  google::rpc::BadRequest bad;
  ASSERT_TRUE(Details(ToGrpcStatus(prefixed)).details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "items[2].file.size");
  // Statuses that name no field are left alone.
  absl::Status other = absl::UnavailableError("down");
  EXPECT_EQ(PrefixField(other, "items[0]."), other);
}

TEST(ErrorsTest, OwnReasonsUseTheTgrpcDomain) {
  grpc::Status status = ToGrpcStatus(ServiceError(absl::StatusCode::kFailedPrecondition,
                                                  "ACCOUNT_NOT_SIGNED_IN", "sign in first"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(Details(status).details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "ACCOUNT_NOT_SIGNED_IN");
  EXPECT_EQ(info.domain(), "tgrpc.dev");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

// Telegram's error text and messages that quote input arrive as bytes; the details must still
// parse on the caller's side (proto3 strings are UTF-8), so each bad sequence becomes U+FFFD.
TEST(ErrorsTest, InvalidUtf8InMessagesIsReplaced) {
  grpc::Status telegram = FromTelegram(400, "BAD_\xFF_THING");
  google::rpc::Status details = Details(telegram);
  EXPECT_EQ(details.message().substr(0, 10), "BAD_\xEF\xBF\xBD_TH");
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(details.details(0).UnpackTo(&info));
  EXPECT_EQ(info.metadata().at("message"), "BAD_\xEF\xBF\xBD_THING");
  EXPECT_EQ(telegram.error_message(), details.message());

  grpc::Status field = ToGrpcStatus(InvalidField("text", "near \"\xE2\x82\""));
  details = Details(field);
  EXPECT_EQ(details.message(), "text: near \"\xEF\xBF\xBD\"");
  google::rpc::BadRequest bad;
  ASSERT_TRUE(details.details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).description(), "text: near \"\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace tgrpc::service
