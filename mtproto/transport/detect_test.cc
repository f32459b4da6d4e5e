#include "mtproto/transport/detect.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "mtproto/transport/obfuscated2_init.h"
#include "mtproto/transport/seeded_random.h"

namespace tgrpc::mtproto::transport {
namespace {

// Runs detection and returns the detected transport, failing the test otherwise.
DetectedTransport Detected(absl::string_view bytes, const DetectOptions& options = {}) {
  absl::StatusOr<Detection> detection = DetectTransport(bytes, options);
  EXPECT_TRUE(detection.ok()) << detection.status();
  if (!detection.ok() || !std::holds_alternative<DetectedTransport>(*detection)) {
    ADD_FAILURE() << "not detected";
    return {};
  }
  return std::get<DetectedTransport>(*detection);
}

size_t NeedsTotal(absl::string_view bytes, const DetectOptions& options = {}) {
  absl::StatusOr<Detection> detection = DetectTransport(bytes, options);
  EXPECT_TRUE(detection.ok()) << detection.status();
  if (!detection.ok() || !std::holds_alternative<NeedMoreBytes>(*detection)) return 0;
  return std::get<NeedMoreBytes>(*detection).total;
}

TEST(DetectTransportTest, PlainMarkers) {
  DetectedTransport abridged = Detected("\xef");
  EXPECT_EQ(abridged.protocol, Protocol::kAbridged);
  EXPECT_EQ(abridged.preamble_size, 1u);
  EXPECT_FALSE(abridged.obfuscation.has_value());

  DetectedTransport intermediate = Detected(std::string(4, '\xee') + "more");
  EXPECT_EQ(intermediate.protocol, Protocol::kIntermediate);
  EXPECT_EQ(intermediate.preamble_size, 4u);

  DetectedTransport padded = Detected(std::string(4, '\xdd'));
  EXPECT_EQ(padded.protocol, Protocol::kPaddedIntermediate);
  EXPECT_EQ(padded.preamble_size, 4u);

  // Full: a length followed by sequence number 0, nothing to skip.
  DetectedTransport full = Detected(absl::HexStringToBytes("3400000000000000"));
  EXPECT_EQ(full.protocol, Protocol::kFull);
  EXPECT_EQ(full.preamble_size, 0u);
}

TEST(DetectTransportTest, AsksForJustEnoughBytes) {
  EXPECT_EQ(NeedsTotal(""), 1u);
  EXPECT_EQ(NeedsTotal("\xee"), 4u);
  EXPECT_EQ(NeedsTotal("\xee\xee\xee"), 4u);
  EXPECT_EQ(NeedsTotal(absl::HexStringToBytes("34000000")), 8u);
  EXPECT_EQ(NeedsTotal(absl::HexStringToBytes("340000000000")), 8u);
  EXPECT_EQ(NeedsTotal(absl::HexStringToBytes("3400000001000000")), 64u);
  EXPECT_EQ(NeedsTotal(absl::HexStringToBytes("3400000001000000") + std::string(55, 'x')), 64u);
}

TEST(DetectTransportTest, HttpAndTlsAreRefused) {
  for (const char* start : {"GET / HTTP/1.1", "POST /api", "HEAD /", "OPTIONS *"}) {
    EXPECT_EQ(DetectTransport(start, {}).status().code(), absl::StatusCode::kUnimplemented)
        << start;
  }
  EXPECT_EQ(DetectTransport(absl::HexStringToBytes("1603010200"), {}).status().code(),
            absl::StatusCode::kUnimplemented);
}

TEST(DetectTransportTest, Obfuscated) {
  absl::StatusOr<Obfuscated2ClientInit> init =
      MakeObfuscated2Init(Protocol::kAbridged, -2, std::nullopt, SeededRandomSource(3));
  ASSERT_TRUE(init.ok());
  for (size_t size = 0; size < kObfuscated2InitSize; ++size) {
    EXPECT_GT(NeedsTotal(init->init.substr(0, size)), size);
  }
  DetectedTransport detected = Detected(init->init + "frames follow");
  EXPECT_EQ(detected.protocol, Protocol::kAbridged);
  EXPECT_EQ(detected.preamble_size, kObfuscated2InitSize);
  ASSERT_TRUE(detected.obfuscation.has_value());
  EXPECT_EQ(detected.obfuscation->dc_id, -2);
  EXPECT_EQ(detected.obfuscation->keys.decrypt_key, init->keys.encrypt_key);
}

TEST(DetectTransportTest, ObfuscatedWithUnknownSecretIsRejected) {
  const ProxySecret secret{std::string(16, 'k'), false};
  absl::StatusOr<Obfuscated2ClientInit> init =
      MakeObfuscated2Init(Protocol::kIntermediate, 2, secret, SeededRandomSource(4));
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(DetectTransport(init->init, {}).status().code(), absl::StatusCode::kInvalidArgument);

  DetectOptions options;
  options.obfuscated2.secrets = {secret.key};
  EXPECT_EQ(Detected(init->init, options).obfuscation->secret_index, std::optional<size_t>(0));
}

TEST(DetectTransportTest, PlainCanBeTurnedOff) {
  DetectOptions options;
  options.allow_plain = false;
  EXPECT_EQ(DetectTransport("\xef", options).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(DetectTransport(std::string(4, '\xee'), options).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(DetectTransport(absl::HexStringToBytes("3400000000000000"), options).status().code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace tgrpc::mtproto::transport
