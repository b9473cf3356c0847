#include "daemon/api.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <ctime>

#include "core/civil_time.hpp"
#include "output/json.hpp"
#include "probes/record_watch.hpp"

namespace mailprobe::daemon {

namespace json = boost::json;

namespace {

std::string state_text(const CheckStatus& status) {
  return status.pending ? "PENDING" : std::string(core::state_name(status.state));
}

// A whole-number query parameter in [1, max]; `fallback` when absent; nullopt when it is
// not a number in range (the caller answers 400: a silent default would hide the mistake).
std::optional<int> query_int(const boost::urls::url_view& url, const char* key, int fallback,
                             int max) {
  auto it = url.params().find(key);
  if (it == url.params().end()) return fallback;
  if (!(*it).has_value) return std::nullopt;
  std::string text((*it).value);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > max) {
    return std::nullopt;
  }
  return value;
}

std::string bad_number(const char* key, int max) {
  return std::string(key) + ": use a whole number from 1 to " + std::to_string(max) + "\n";
}

// The check name in "/api/v1/checks/NAME<suffix>", as decoded: a name may hold '/' (sent
// as %2F), so it is all that lies between the prefix and the suffix.
std::optional<std::string> check_name_in(const std::string& path, std::string_view suffix) {
  constexpr std::string_view prefix = "/api/v1/checks/";
  if (path.size() <= prefix.size() + suffix.size() || path.rfind(prefix, 0) != 0 ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

// Record changes a request may ask for at once: the reads run on the I/O thread, and
// record_watch keeps 200 changes per domain anyway.
constexpr int max_record_changes = 1000;

}  // namespace

std::string iso8601_ms(std::int64_t unix_ms) {
  auto seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  char with_ms[48];
  std::snprintf(with_ms, sizeof with_ms, "%s.%03dZ", buffer, static_cast<int>(unix_ms % 1000));
  return with_ms;
}

std::string iso8601(WallClock::time_point when) {
  return iso8601_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count());
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view text) {
  if (text.size() < 20 || text.back() != 'Z') return std::nullopt;
  auto civil = core::parse_civil_time(text.substr(0, 19));
  if (!civil) return std::nullopt;
  std::int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(civil->as_utc().time_since_epoch())
          .count();
  auto fraction = text.substr(19, text.size() - 20);
  if (!fraction.empty()) {
    if (fraction.front() != '.' || fraction.size() < 2) return std::nullopt;
    std::string digits(fraction.substr(1, 3));
    while (digits.size() < 3)
      digits += '0';
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    ms += std::stoi(digits);
  }
  return ms;
}

std::optional<std::string> watched_domain(const CheckConfig& check) {
  // check_mail_domain's call names the domain it watches (plugins/check_mail_domain.cpp).
  if (check.plugin != "check_mail_domain" || check.call.servers.empty()) return std::nullopt;
  return check.call.servers.front();
}

Api::Api(const Scheduler& scheduler, History* history, const Metrics& metrics,
         const Notifier& notifier, ProbeEndpoint& probe, std::string location,
         std::map<std::string, StaticFile> files, std::string records_database)
    : scheduler_(scheduler),
      history_(history),
      metrics_(metrics),
      notifier_(notifier),
      probe_(probe),
      location_(std::move(location)),
      files_(std::move(files)),
      records_database_(std::move(records_database)) {}

const CheckRuntime* Api::find_check(std::string_view name) const {
  for (const auto& check : scheduler_.checks()) {
    if (check->config.name == name) return check.get();
  }
  return nullptr;
}

std::string Api::checks_json() const {
  json::array checks;
  for (const auto& check : scheduler_.checks()) {
    const auto& status = check->status;
    json::object labels;
    for (const auto& [name, value] : check->config.labels)
      labels[name] = value;
    json::array metrics;
    for (const auto& metric : status.metrics) {
      metrics.push_back(
          json::object{{"name", metric.name}, {"value", metric.value}, {"unit", metric.unit}});
    }
    json::object entry{
        {"name", check->config.name},
        {"kind", check->config.plugin},
        {"labels", std::move(labels)},
        {"passive", check->config.passive},
        {"state", state_text(status)},
        {"state_type", std::string(state_type_name(status.type))},
        {"hard_state", status.pending ? std::string("PENDING")
                                      : std::string(core::state_name(status.hard_state))},
        {"notified", notifier_.notified(check->config.name)},
        {"attempt", status.attempt},
        {"max_attempts", check->config.max_attempts},
        {"summary", status.headline},
        {"duration_seconds", status.duration_seconds},
        {"metrics", std::move(metrics)},
        {"units", units_of(*check)},
        {"interval_seconds", std::chrono::duration<double>(check->config.interval).count()}};
    entry["since"] = status.pending ? json::value(nullptr) : json::value(iso8601(status.since));
    entry["last_run"] =
        status.pending ? json::value(nullptr) : json::value(iso8601(status.last_run));
    entry["next_run"] = iso8601(status.next_run);
    checks.push_back(std::move(entry));
  }
  json::object out{{"location", location_},
                   {"generated", iso8601(WallClock::now())},
                   {"checks", std::move(checks)}};
  return output::serialize_json(out) + "\n";
}

std::string Api::results_json(const CheckRuntime& check, std::int64_t since_ms, int limit) const {
  json::array results;
  std::vector<ResultRow> rows;
  // One more than asked: whether there were more is then known without a second query.
  if (history_ != nullptr) rows = history_->results(check.config.name, since_ms, limit + 1);
  bool truncated = rows.size() > static_cast<std::size_t>(limit);
  for (std::size_t i = truncated ? 1 : 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    json::value metrics = json::object{};
    boost::system::error_code ec;
    auto parsed = json::parse(row.metrics_json, ec);
    if (!ec && parsed.is_object()) metrics = parsed;
    results.push_back(json::object{{"time", iso8601_ms(row.time_ms)},
                                   {"state", core::state_name(row.state)},
                                   {"state_type", std::string(state_type_name(row.type))},
                                   {"summary", row.headline},
                                   {"duration_seconds", row.duration_seconds},
                                   {"metrics", metrics}});
  }
  return output::serialize_json(json::object{{"check", check.config.name},
                                             {"units", units_of(check)},
                                             {"truncated", truncated},
                                             {"results", std::move(results)}}) +
         "\n";
}

std::string Api::history_json(int limit) const {
  json::array changes;
  if (history_ != nullptr) {
    for (const auto& row : history_->changes(limit)) {
      changes.push_back(json::object{{"time", iso8601_ms(row.time_ms)},
                                     {"check", row.check},
                                     {"from", core::state_name(row.from)},
                                     {"to", core::state_name(row.to)},
                                     {"state_type", std::string(state_type_name(row.type))},
                                     {"summary", row.headline}});
    }
  }
  return output::serialize_json(json::object{{"changes", std::move(changes)}}) + "\n";
}

core::Outcome<std::string> Api::record_changes_json(const CheckRuntime& check, int limit) const {
  auto domain = watched_domain(check.config).value_or("");
  // A short blocking read on the I/O thread, as History's: it runs only when the dashboard
  // shows a domain check, and SQLite's WAL lets it read while the checks write.
  auto changes = probes::record_changes(record_state_file(check.config.args, records_database_),
                                        domain, static_cast<std::size_t>(limit));
  if (!changes) return changes.failure();
  // "" is a record that was absent (record_watch.hpp): null, unlike a record that is empty.
  auto value = [](const std::string& text) {
    return text.empty() ? json::value(nullptr) : json::value(text);
  };
  json::array out;
  for (const auto& change : *changes) {
    out.push_back(json::object{{"time", iso8601_ms(change.changed_ms)},
                               {"record", change.key},
                               {"old", value(change.old_value)},
                               {"new", value(change.new_value)}});
  }
  return output::serialize_json(json::object{
             {"check", check.config.name}, {"domain", domain}, {"changes", std::move(out)}}) +
         "\n";
}

boost::asio::awaitable<HttpResponse> Api::handle(const HttpRequest& request) {
  auto respond = [&](http::status status, std::string body, std::string type) {
    return make_response(request, status, std::move(body), std::move(type));
  };
  constexpr const char* json_type = "application/json";
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    co_return respond(http::status::method_not_allowed, "only GET\n", "text/plain");
  }
  auto parsed = boost::urls::parse_origin_form(request.target());
  if (!parsed) co_return respond(http::status::bad_request, "bad request target\n", "text/plain");
  auto url = *parsed;
  std::string path = url.path();

  if (path == "/healthz") co_return respond(http::status::ok, "ok\n", "text/plain");
  if (path == "/metrics") {
    auto text = co_await metrics_.exposition(scheduler_.checks(), location_, scheduler_.lag(),
                                             history_ != nullptr ? history_->write_errors() : 0,
                                             notifier_.counts());
    co_return respond(http::status::ok, text, "text/plain; version=0.0.4; charset=utf-8");
  }
  if (path == "/probe") co_return co_await probe_.handle(request, url);
  auto refuse_unknown = [&](std::initializer_list<std::string_view> known) {
    auto unknown = unknown_parameter(url, known);
    return unknown ? std::optional(respond(http::status::bad_request, *unknown, "text/plain"))
                   : std::nullopt;
  };
  if (path == "/api/v1/checks") {
    if (auto refused = refuse_unknown({})) co_return *refused;
    co_return respond(http::status::ok, checks_json(), json_type);
  }
  if (path == "/api/v1/history") {
    if (auto refused = refuse_unknown({"limit"})) co_return *refused;
    auto limit = query_int(url, "limit", 200, 10000);
    if (!limit)
      co_return respond(http::status::bad_request, bad_number("limit", 10000), "text/plain");
    co_return respond(http::status::ok, history_json(*limit), json_type);
  }
  if (auto name = check_name_in(path, "/results")) {
    const CheckRuntime* check = find_check(*name);
    if (check == nullptr) {
      co_return respond(http::status::not_found, "no check '" + *name + "'\n", "text/plain");
    }
    if (auto refused = refuse_unknown({"since", "limit"})) co_return *refused;
    std::int64_t since = 0;
    auto it = url.params().find("since");
    if (it != url.params().end() && (*it).has_value) {
      auto value = parse_iso8601_ms(std::string((*it).value));
      if (!value) {
        co_return respond(http::status::bad_request,
                          "since: use an ISO 8601 UTC time such as 2026-11-22T00:00:00Z\n",
                          "text/plain");
      }
      since = *value;
    }
    auto limit = query_int(url, "limit", 1000, 100000);
    if (!limit)
      co_return respond(http::status::bad_request, bad_number("limit", 100000), "text/plain");
    co_return respond(http::status::ok, results_json(*check, since, *limit), json_type);
  }
  if (auto name = check_name_in(path, "/record-changes")) {
    const CheckRuntime* check = find_check(*name);
    if (check == nullptr) {
      co_return respond(http::status::not_found, "no check '" + *name + "'\n", "text/plain");
    }
    // 404, not an empty list: "no changes" would claim the records were watched and stood
    // still, when this check watches none.
    if (!watched_domain(check->config)) {
      co_return respond(http::status::not_found,
                        "check '" + *name + "' is a " + check->config.plugin +
                            " check: only check_mail_domain checks watch DNS records\n",
                        "text/plain");
    }
    if (auto refused = refuse_unknown({"limit"})) co_return *refused;
    auto limit = query_int(url, "limit", 100, max_record_changes);
    if (!limit) {
      co_return respond(http::status::bad_request, bad_number("limit", max_record_changes),
                        "text/plain");
    }
    auto body = record_changes_json(*check, *limit);
    if (!body) {
      co_return respond(http::status::internal_server_error,
                        "record changes of check '" + *name + "': " + body.failure().message + "\n",
                        "text/plain");
    }
    co_return respond(http::status::ok, *body, json_type);
  }
  auto file = files_.find(path == "/" ? "/index.html" : path);
  if (file != files_.end()) {
    auto response = respond(http::status::ok, std::string(file->second.body),
                            std::string(file->second.content_type));
    // Revalidated, not stored: the files' names carry no version.
    response.set(http::field::cache_control, "no-cache");
    co_return response;
  }
  co_return respond(http::status::not_found, "not found\n", "text/plain");
}

}  // namespace mailprobe::daemon
