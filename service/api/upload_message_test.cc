#include "service/api/upload_message.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tgrpc/v1/file.pb.h"

namespace tgrpc::service {
namespace {

using ::testing::HasSubstr;

// `bytes` as a ByteBuffer of slices cut at `cuts` (offsets), as gRPC may hand a message over.
grpc::ByteBuffer Sliced(const std::string& bytes, std::vector<size_t> cuts) {
  std::vector<grpc::Slice> slices;
  size_t start = 0;
  cuts.push_back(bytes.size());
  for (size_t cut : cuts) {
    slices.emplace_back(bytes.substr(start, cut - start));
    start = cut;
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::string Joined(const UploadMessage& message) {
  std::string out;
  for (absl::string_view piece : message.chunk) out.append(piece.data(), piece.size());
  return out;
}

std::string ChunkRequest(const std::string& chunk) {
  v1::UploadFileRequest request;
  request.set_chunk(chunk);
  return request.SerializeAsString();
}

TEST(UploadMessageTest, ReadsTheHeader) {
  v1::UploadFileRequest request;
  request.mutable_header()->set_account("accounts/alice");
  request.mutable_header()->set_file_name("a.bin");
  request.mutable_header()->set_size(12345);
  request.mutable_header()->set_request_id("r1");
  grpc::ByteBuffer buffer = Sliced(request.SerializeAsString(), {3, 7});
  UploadMessage message;
  ASSERT_TRUE(ReadUploadMessage(buffer, message).ok());
  ASSERT_TRUE(message.header.has_value());
  EXPECT_EQ(message.header->account(), "accounts/alice");
  EXPECT_EQ(message.header->file_name(), "a.bin");
  EXPECT_EQ(message.header->size(), 12345);
  EXPECT_EQ(message.header->request_id(), "r1");
  EXPECT_FALSE(message.has_chunk);
}

TEST(UploadMessageTest, ChunkIsViewedInPlaceAcrossSlices) {
  std::string chunk(300000, '\0');
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 7 + i / 251);
  const std::string bytes = ChunkRequest(chunk);
  // Cuts inside the tag, inside the length varint and three inside the bytes.
  for (const std::vector<size_t>& cuts :
       std::vector<std::vector<size_t>>{{}, {1}, {2}, {1, 2, 3}, {5, 70000, 200001}}) {
    grpc::ByteBuffer buffer = Sliced(bytes, cuts);
    UploadMessage message;
    ASSERT_TRUE(ReadUploadMessage(buffer, message).ok());
    EXPECT_TRUE(message.has_chunk);
    EXPECT_FALSE(message.header.has_value());
    EXPECT_EQ(message.chunk_size, chunk.size());
    EXPECT_EQ(Joined(message), chunk);
    // The pieces point into the slices the message keeps, not into a copy.
    for (absl::string_view piece : message.chunk) {
      bool inside = false;
      for (const grpc::Slice& slice : message.slices) {
        const char* begin = reinterpret_cast<const char*>(slice.begin());
        inside = inside ||
                 (piece.data() >= begin && piece.data() + piece.size() <= begin + slice.size());
      }
      EXPECT_TRUE(inside);
    }
  }
}

TEST(UploadMessageTest, EmptyMessagesAndEmptyChunks) {
  grpc::ByteBuffer empty = Sliced("", {});
  UploadMessage message;
  ASSERT_TRUE(ReadUploadMessage(empty, message).ok());
  EXPECT_FALSE(message.has_chunk);
  EXPECT_FALSE(message.header.has_value());

  // An empty chunk set explicitly: tag and a zero length.
  grpc::ByteBuffer zero = Sliced(std::string("\x12\x00", 2), {});
  ASSERT_TRUE(ReadUploadMessage(zero, message).ok());
  EXPECT_TRUE(message.has_chunk);
  EXPECT_EQ(message.chunk_size, 0u);
}

TEST(UploadMessageTest, SkipsUnknownFieldsAndTheLastChunkCounts) {
  // Field 9 varint, field 10 fixed64, field 11 bytes, field 12 fixed32, then two chunks.
  std::string bytes = std::string("\x48\x96\x01", 3) + std::string("\x51", 1) +
                      std::string(8, 'x') +
                      std::string(
                          "\x5a\x03"
                          "abc",
                          5) +
                      std::string("\x65", 1) + std::string(4, 'y');
  bytes += ChunkRequest("first") + ChunkRequest("second");
  grpc::ByteBuffer buffer = Sliced(bytes, {4, 20});
  UploadMessage message;
  ASSERT_TRUE(ReadUploadMessage(buffer, message).ok());
  EXPECT_EQ(Joined(message), "second");
  EXPECT_EQ(message.chunk_size, 6u);
}

TEST(UploadMessageTest, MalformedBytesAreUnparsable) {
  const std::string good = ChunkRequest(std::string(100, 'z'));
  for (const std::string& bad : {
           good.substr(0, good.size() - 1),  // the bytes cut short
           good.substr(0, 1),                // a tag without its length
           std::string("\x12\xff", 2),       // a length cut short
           std::string("\x0b", 1),           // wire type 3 (a group)
           std::string("\x00\x01", 2),       // field number 0
           std::string(11, '\xff'),          // a varint over 10 bytes
       }) {
    grpc::ByteBuffer buffer = Sliced(bad, {});
    UploadMessage message;
    const absl::Status status = ReadUploadMessage(buffer, message);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr("does not parse"));
  }
}

TEST(UploadMessageTest, HeaderWithInvalidUtf8IsUnparsable) {
  // Header{account = "\xff"}: proto3 strings must be UTF-8.
  const std::string bytes("\x0a\x03\x0a\x01\xff", 5);
  grpc::ByteBuffer buffer = Sliced(bytes, {});
  UploadMessage message;
  const absl::Status status = ReadUploadMessage(buffer, message);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("UTF-8"));
}

TEST(UploadMessageTest, HeaderAndChunkTogetherAreRefused) {
  v1::UploadFileRequest header;
  header.mutable_header()->set_file_name("a");
  grpc::ByteBuffer buffer = Sliced(header.SerializeAsString() + ChunkRequest("abc"), {});
  UploadMessage message;
  const absl::Status status = ReadUploadMessage(buffer, message);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("not both"));
}

}  // namespace
}  // namespace tgrpc::service
