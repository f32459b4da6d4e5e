#include "mtproto/session/wire.h"

#include <zlib.h>

#include "gtest/gtest.h"
#include "mtproto/session/gzip.h"
#include "tl/generated/mtp.h"

namespace tgrpc::mtproto::session {
namespace {

namespace mtp = ::tgrpc::tl::mtp;

std::string Object(uint32_t id, uint32_t value) {
  std::string out;
  tl::Writer writer(&out);
  writer.U32(id);
  writer.U32(value);
  return out;
}

TEST(WireTest, ContainerRoundTrip) {
  std::string container;
  AppendContainerHeader(2, container);
  AppendContainerMessage(100, 1, Object(0x11111111, 7), container);
  AppendContainerMessage(104, 2, Object(0x22222222, 8), container);
  EXPECT_EQ(container.size(), ContainerSize(2, 16));
  auto messages = ParseContainer(container, 1024);
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 2u);
  EXPECT_EQ((*messages)[0].msg_id, 100);
  EXPECT_EQ((*messages)[0].seqno, 1);
  EXPECT_EQ((*messages)[0].body, Object(0x11111111, 7));
  EXPECT_EQ((*messages)[1].msg_id, 104);
  EXPECT_EQ((*messages)[1].body, Object(0x22222222, 8));
  // At most max_messages.
  EXPECT_EQ(ParseContainer(container, 1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(WireTest, ContainerRejectsBadInput) {
  std::string container;
  AppendContainerHeader(1, container);
  AppendContainerMessage(100, 1, Object(0x11111111, 7), container);
  EXPECT_FALSE(ParseContainer(container.substr(0, container.size() - 4), 10).ok());
  EXPECT_FALSE(ParseContainer(container + "abcd", 10).ok());
  std::string bad_length = container;
  bad_length[8 + 12] = 3;  // length 3
  EXPECT_FALSE(ParseContainer(bad_length, 10).ok());

  std::string nested;
  AppendContainerHeader(1, nested);
  AppendContainerMessage(108, 2, container, nested);
  EXPECT_FALSE(ParseContainer(nested, 10).ok());
  EXPECT_FALSE(ParseContainer(Object(0x11111111, 7), 10).ok());

  // A forged count cannot make the parser allocate without bound.
  std::string forged;
  AppendContainerHeader(0x7fffffff, forged);
  EXPECT_FALSE(ParseContainer(forged, 1u << 31).ok());
}

TEST(WireTest, RpcResult) {
  const std::string result = Object(0x997275b5, 0);
  const std::string body = BuildRpcResult(0x1234567800000004, result);
  auto view = ParseRpcResult(body);
  ASSERT_TRUE(view.ok()) << view.status();
  EXPECT_EQ(view->req_msg_id, 0x1234567800000004);
  EXPECT_EQ(view->result, result);
  EXPECT_FALSE(ParseRpcResult(body.substr(0, 12)).ok());
  EXPECT_FALSE(ParseRpcResult(result).ok());
}

TEST(WireTest, GzipPackedBothHeaders) {
  std::string big;
  for (int i = 0; i < 500; ++i) big += Object(0x33333333, 5);
  auto packed = PackGzip(big);
  ASSERT_TRUE(packed.ok());
  EXPECT_EQ(ConstructorId(*packed), mtp::gzip_packed::kId);
  EXPECT_LT(packed->size(), big.size());
  auto unpacked = UnpackGzip(*packed, 1 << 20);
  ASSERT_TRUE(unpacked.ok()) << unpacked.status();
  EXPECT_EQ(*unpacked, big);

  // zlib stream (RFC 1950) inside gzip_packed, as mtcute sends.
  uLongf size = compressBound(big.size());
  std::string zlib(size, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(zlib.data()), &size,
                      reinterpret_cast<const Bytef*>(big.data()), big.size(), 9),
            Z_OK);
  zlib.resize(size);
  mtp::gzip_packed zlib_packed;
  zlib_packed.packed_data = zlib;
  auto from_zlib = UnpackGzip(SerializeService(zlib_packed), 1 << 20);
  ASSERT_TRUE(from_zlib.ok()) << from_zlib.status();
  EXPECT_EQ(*from_zlib, big);

  EXPECT_EQ(UnpackGzip(*packed, 100).status().code(), absl::StatusCode::kResourceExhausted);
  // Not gzip_packed: unchanged.
  EXPECT_EQ(*UnpackGzip(big, 1), big);
}

TEST(WireTest, GzipPackedMustHoldATlObject) {
  mtp::gzip_packed odd;
  odd.packed_data = *GzipCompress("abc");
  EXPECT_FALSE(UnpackGzip(SerializeService(odd), 1 << 20).ok());
  mtp::gzip_packed nested;
  nested.packed_data = *GzipCompress(*PackGzip(Object(0x11111111, 1)));
  EXPECT_FALSE(UnpackGzip(SerializeService(nested), 1 << 20).ok());
}

TEST(WireTest, ParseServiceChecksIdAndTrailingBytes) {
  mtp::msgs_ack ack;
  ack.msg_ids = {1, 2, 3};
  const std::string body = SerializeService(ack);
  auto parsed = ParseService<mtp::msgs_ack>(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->msg_ids, ack.msg_ids);
  EXPECT_FALSE(ParseService<mtp::msgs_ack>(body + "abcd").ok());
  EXPECT_FALSE(ParseService<mtp::msgs_ack>(body.substr(0, body.size() - 4)).ok());
  EXPECT_FALSE(ParseService<mtp::pong>(body).ok());
  EXPECT_EQ(ConstructorId("ab"), 0u);
}

}  // namespace
}  // namespace tgrpc::mtproto::session
