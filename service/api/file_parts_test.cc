#include "service/api/file_parts.h"

#include <string>

#include "gtest/gtest.h"

namespace tgrpc::service::files {
namespace {

constexpr int64_t kKiB = 1024;
constexpr int64_t kMiB = 1024 * 1024;

TEST(FilePartsTest, PartCountsAndTheBigFileThreshold) {
  EXPECT_EQ(PartCount(1), 1);
  EXPECT_EQ(PartCount(kPartSize), 1);
  EXPECT_EQ(PartCount(kPartSize + 1), 2);
  EXPECT_EQ(PartCount(kMaxFileSize), 4000);
  EXPECT_EQ(PartCount(kMaxPremiumFileSize), 8000);
  EXPECT_FALSE(IsBigFile(10 * kMiB));
  EXPECT_TRUE(IsBigFile(10 * kMiB + 1));
}

// An upload's parts in flight grow with the account's sessions, within a fixed bound.
TEST(FilePartsTest, PartsInFlightScaleWithSessionsWithinABound) {
  EXPECT_EQ(PartsInFlight(1), kPartsInFlight);
  EXPECT_EQ(PartsInFlight(2), 8);
  EXPECT_EQ(PartsInFlight(3), 12);
  EXPECT_EQ(PartsInFlight(4), 16);
  EXPECT_EQ(PartsInFlight(10), kMaxPartsInFlight);
  EXPECT_EQ(PartsInFlight(0), kPartsInFlight);
  EXPECT_LE(kMaxPartsInFlight * kPartSize, 16 * kMiB);
}

// Every block request keeps Telegram's rules: offset and limit multiples of 4 KiB, the limit
// dividing 1 MiB, and no request crossing a 1 MiB boundary.
TEST(FilePartsTest, BlocksKeepTelegramsRules) {
  EXPECT_EQ(kPartSize % (4 * kKiB), 0);
  EXPECT_EQ(kMiB % kPartSize, 0);
  for (int64_t index = 0; index < 4000; ++index) {
    const int64_t offset = BlockOffset(index);
    ASSERT_EQ(offset % (4 * kKiB), 0);
    ASSERT_EQ(offset / kMiB, (offset + kPartSize - 1) / kMiB);
  }
}

TEST(FilePartsTest, PlansRanges) {
  absl::StatusOr<DownloadPlan> whole = PlanDownload(0, 0, 3 * kMiB);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->begin, 0);
  EXPECT_EQ(whole->end, 3 * kMiB);
  EXPECT_EQ(whole->first_block, 0);
  EXPECT_EQ(whole->end_block, 6);

  absl::StatusOr<DownloadPlan> range = PlanDownload(1'000'000, 3'000'000, 25 * kMiB);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->first_block, 1);  // 1,000,000 / 524,288
  EXPECT_EQ(range->end_block, 8);    // ceil(4,000,000 / 524,288)
  absl::StatusOr<DownloadPlan> tail = PlanDownload(kMiB, 10 * kMiB, 2 * kMiB);  // clipped
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->end, 2 * kMiB);
  EXPECT_EQ(tail->end_block, 4);
  absl::StatusOr<DownloadPlan> at_end = PlanDownload(2 * kMiB, 0, 2 * kMiB);
  ASSERT_TRUE(at_end.ok());
  EXPECT_EQ(at_end->end_block, at_end->first_block);  // nothing to fetch
  absl::StatusOr<DownloadPlan> unknown = PlanDownload(0, 0, 0);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->end_block, DownloadPlan::kUnknown);
  absl::StatusOr<DownloadPlan> huge = PlanDownload(5, DownloadPlan::kUnknown, 0);
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(huge->end, DownloadPlan::kUnknown);

  EXPECT_EQ(PlanDownload(-1, 0, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanDownload(0, -1, 10).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PlanDownload(11, 0, 10).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(FilePartsTest, SlicesBlocksToTheRange) {
  const std::string block(kPartSize, 'x');
  DownloadPlan plan = *PlanDownload(1'000'000, 3'000'000, 25 * kMiB);
  absl::StatusOr<BlockSlice> first = SliceBlock(plan, 1, block, true);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->offset, 1'000'000);
  EXPECT_EQ(static_cast<int64_t>(first->data.size()), 2 * kPartSize - 1'000'000);
  absl::StatusOr<BlockSlice> last = SliceBlock(plan, 7, block, true);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->offset, 7 * kPartSize);
  EXPECT_EQ(static_cast<int64_t>(last->data.size()), 4'000'000 - 7 * kPartSize);
  // A block of a known file that comes back short before the range's end.
  EXPECT_EQ(SliceBlock(plan, 3, block.substr(0, 100), true).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(FilePartsTest, AShortBlockEndsAFileOfUnknownSize) {
  DownloadPlan plan = *PlanDownload(100, 0, 0);
  const std::string full(kPartSize, 'x');
  absl::StatusOr<BlockSlice> first = SliceBlock(plan, 0, full, false);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->offset, 100);
  EXPECT_EQ(static_cast<int64_t>(first->data.size()), kPartSize - 100);
  EXPECT_EQ(plan.end_block, DownloadPlan::kUnknown);
  absl::StatusOr<BlockSlice> second = SliceBlock(plan, 1, std::string(300, 'y'), false);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->data, std::string(300, 'y'));
  EXPECT_EQ(plan.end_block, 2);
  EXPECT_EQ(plan.end, kPartSize + 300);
  // An empty block after the end: nothing, and the end stays.
  absl::StatusOr<BlockSlice> third = SliceBlock(plan, 2, "", false);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->data.empty());
  EXPECT_EQ(plan.end_block, 2);

  DownloadPlan past = *PlanDownload(kPartSize + 10, 0, 0);
  EXPECT_EQ(SliceBlock(past, 1, "", false).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(FilePartsTest, ErrorsNameTheField) {
  absl::Status premium = InvalidFieldWithReason("header.size", "PREMIUM_ACCOUNT_REQUIRED", "x");
  EXPECT_EQ(premium.code(), absl::StatusCode::kInvalidArgument);
  int payloads = 0;
  premium.ForEachPayload([&payloads](absl::string_view, const absl::Cord&) { ++payloads; });
  EXPECT_EQ(payloads, 2);  // the field and the reason
  EXPECT_EQ(OutOfRangeField("offset", "x").code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace tgrpc::service::files
