#include "tests/crash/metrics_scrape.h"

#include "gtest/gtest.h"

namespace tgrpc::crash {
namespace {

TEST(MetricsScrapeTest, AddsSeriesUpByOneLabel) {
  const std::string scrape =
      "# HELP tgrpc_mtproto_calls_total MTProto calls.\n"
      "# TYPE tgrpc_mtproto_calls_total counter\n"
      "tgrpc_mtproto_calls_total{dc=\"2\",method=\"updates.getDifference\",result=\"ok\"} 3\n"
      "tgrpc_mtproto_calls_total{dc=\"2\",method=\"updates.getDifference\",result=\"TIMEOUT\"} 1\n"
      "tgrpc_mtproto_calls_total{dc=\"1\",method=\"help.getConfig\",result=\"ok\"} 2.5\n"
      "tgrpc_mtproto_call_seconds_count{method=\"updates.getDifference\"} 9\n";
  std::map<std::string, double> out = {{"updates.getDifference", 10}};
  AddSeries(scrape, "tgrpc_mtproto_calls_total", "method", out);
  EXPECT_EQ(
      out, (std::map<std::string, double>{{"help.getConfig", 2.5}, {"updates.getDifference", 14}}));
}

TEST(MetricsScrapeTest, NothingListening) {
  // Port 1 on 127.0.0.1: refused.
  EXPECT_EQ(ScrapeMetrics(1), "");
}

}  // namespace
}  // namespace tgrpc::crash
