#pragma once
// /probe?module=NAME&target=HOST[:PORT][&debug=true]: one check run on request, answered in
// Prometheus text, as blackbox_exporter's /probe. Prometheus owns the schedule; the
// module (from the configuration) says which plugin with which options, the target where.
// The run's deadline is the module's timeout, cut to what the scrape allows: the
// X-Prometheus-Scrape-Timeout-Seconds header less half a second for the answer.

#include <boost/asio/awaitable.hpp>
#include <boost/url/url_view.hpp>
#include <map>
#include <string>

#include "daemon/config.hpp"
#include "daemon/http_server.hpp"
#include "daemon/scheduler.hpp"

namespace mailprobe::daemon {

class ProbeEndpoint {
 public:
  explicit ProbeEndpoint(ConcurrencyLimit& limit) : limit_(limit) {}
  void set_modules(std::map<std::string, ModuleConfig> modules) { modules_ = std::move(modules); }
  boost::asio::awaitable<HttpResponse> handle(const HttpRequest& request,
                                              const boost::urls::url_view& url);

 private:
  ConcurrencyLimit& limit_;
  std::map<std::string, ModuleConfig> modules_;
};

struct ProbeTarget {
  std::string host;
  std::string port;  // empty: the plugin's default
};

// "mail.example.com", "mail.example.com:587", "192.0.2.1:25", "[2001:db8::1]:993",
// "2001:db8::1". nullopt when it is none of these.
std::optional<ProbeTarget> parse_probe_target(std::string_view text);

// The deadline of a /probe run: the module's timeout, cut to the scrape's. nullopt when the
// header is not a positive number of seconds.
std::optional<double> probe_budget_seconds(double module_timeout, std::string_view scrape_header);

// A command line for display: the values of -P/--password (compatibility options that
// carry the password itself) replaced.
std::string redacted_command_line(const std::string& plugin, const std::vector<std::string>& args);

}  // namespace mailprobe::daemon
