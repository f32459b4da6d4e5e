// tgrpcd's Prometheus counters read from outside the process: a scrape of /metrics and the sum of
// a family's series by one label, for tests that count what a child tgrpcd did.
#ifndef TGRPC_TESTS_CRASH_METRICS_SCRAPE_H_
#define TGRPC_TESTS_CRASH_METRICS_SCRAPE_H_

#include <map>
#include <string>

namespace tgrpc::crash {

// GET /metrics from 127.0.0.1:`port` over a plain socket ("" if it does not answer).
std::string ScrapeMetrics(int port);

// Adds up, from a scrape, the series of `family` by the value of `label` (the other labels
// summed over), e.g. tgrpc_mtproto_calls_total by method.
void AddSeries(const std::string& scrape, const std::string& family, const std::string& label,
               std::map<std::string, double>& out);

}  // namespace tgrpc::crash

#endif  // TGRPC_TESTS_CRASH_METRICS_SCRAPE_H_
