#pragma once
// The daemon's HTTP endpoints: /api/v1/checks, /api/v1/checks/NAME/results,
// /api/v1/checks/NAME/record-changes, /api/v1/history (JSON), /metrics (Prometheus),
// /probe (ProbeEndpoint), /healthz, and the dashboard's files.

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
  // `records_database` is where check_mail_domain checks keep their watched records when
  // their arguments name no --state-file: the history database (config.cpp injects it).
  Api(const Scheduler& scheduler, History* history, const Metrics& metrics,
      const Notifier& notifier, ProbeEndpoint& probe, std::string location,
      std::map<std::string, StaticFile> files, std::string records_database = {});
  boost::asio::awaitable<HttpResponse> handle(const HttpRequest& request);
  void set_location(std::string location) { location_ = std::move(location); }

  std::string checks_json() const;
  // The newest `limit` results since `since_ms`, oldest first; "truncated" says whether
  // older ones since then were left out.
  std::string results_json(const CheckRuntime& check, std::int64_t since_ms, int limit) const;
  std::string history_json(int limit) const;
  // The last `limit` changes of the DNS records `check` watches (see watched_domain),
  // newest first. A file that cannot be read is a failure that names it.
  core::Outcome<std::string> record_changes_json(const CheckRuntime& check, int limit) const;

 private:
  const CheckRuntime* find_check(std::string_view name) const;

  const Scheduler& scheduler_;
  History* history_;
  const Metrics& metrics_;
  const Notifier& notifier_;
  ProbeEndpoint& probe_;
  std::string location_;
  std::map<std::string, StaticFile> files_;
  std::string records_database_;
};

// The domain whose DNS records `check` watches (a check_mail_domain check: the domain in
// A-labels, the key of its rows in the state file), nullopt for any other check.
std::optional<std::string> watched_domain(const CheckConfig& check);

// "2026-11-22T12:00:00.123Z"
std::string iso8601(WallClock::time_point when);
std::string iso8601_ms(std::int64_t unix_ms);
// nullopt unless `text` is an ISO 8601 UTC time ("2026-11-22T12:00:00Z", fraction allowed).
std::optional<std::int64_t> parse_iso8601_ms(std::string_view text);

}  // namespace mailprobe::daemon
