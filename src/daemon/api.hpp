#pragma once
// The daemon's HTTP endpoints: /api/v1/checks, /api/v1/checks/NAME/results,
// /api/v1/history (JSON), /metrics (Prometheus), /probe (ProbeEndpoint), /healthz, and the
// dashboard's files.

#include <boost/asio/awaitable.hpp>
#include <map>
#include <string>

#include "daemon/history.hpp"
#include "daemon/http_server.hpp"
#include "daemon/metrics.hpp"
#include "daemon/notifier.hpp"
#include "daemon/probe_endpoint.hpp"
#include "daemon/scheduler.hpp"

namespace mailprobe::daemon {

struct StaticFile {
  std::string_view content_type;
  std::string_view body;
};

class Api {
 public:
  Api(const Scheduler& scheduler, History* history, const Metrics& metrics,
      const Notifier& notifier, ProbeEndpoint& probe, std::string location,
      std::map<std::string, StaticFile> files);
  boost::asio::awaitable<HttpResponse> handle(const HttpRequest& request);
  void set_location(std::string location) { location_ = std::move(location); }

  std::string checks_json() const;
  // The newest `limit` results since `since_ms`, oldest first; "truncated" says whether
  // older ones since then were left out.
  std::string results_json(const CheckRuntime& check, std::int64_t since_ms, int limit) const;
  std::string history_json(int limit) const;

 private:
  const Scheduler& scheduler_;
  History* history_;
  const Metrics& metrics_;
  const Notifier& notifier_;
  ProbeEndpoint& probe_;
  std::string location_;
  std::map<std::string, StaticFile> files_;
};

// "2026-11-22T12:00:00.123Z"
std::string iso8601(WallClock::time_point when);
std::string iso8601_ms(std::int64_t unix_ms);
// nullopt unless `text` is an ISO 8601 UTC time ("2026-11-22T12:00:00Z", fraction allowed).
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

}  // namespace mailprobe::daemon
