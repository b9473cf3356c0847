#include "daemon/probe_endpoint.hpp"

#include <charconv>

#include "core/format.hpp"
#include "daemon/metrics.hpp"
#include "output/nagios.hpp"
#include "output/prometheus.hpp"
#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "protocol/redact.hpp"

namespace mailprobe::daemon {

namespace {

// blackbox_exporter's default timeout_offset: time left to send the answer.
constexpr double scrape_offset_seconds = 0.5;

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '-') return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_port(std::string_view port) {
  int value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc{} && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

}  // namespace

std::optional<ProbeTarget> parse_probe_target(std::string_view text) {
  ProbeTarget target;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    target.host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      target.port = std::string(rest.substr(1));
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    target.host = std::string(text.substr(0, colon));
    target.port = std::string(text.substr(colon + 1));
  } else {
    target.host = std::string(text);  // a name, an IPv4 address, or a bare IPv6 address
  }
  if (!valid_host(target.host)) return std::nullopt;
  if (!target.port.empty() && !valid_port(target.port)) return std::nullopt;
  if (text.find(':') != std::string_view::npos && target.port.empty() && text.front() != '[' &&
      std::count(text.begin(), text.end(), ':') == 1) {
    return std::nullopt;  // "host:" has an empty port
  }
  return target;
}

std::optional<double> probe_budget_seconds(double module_timeout, std::string_view scrape_header) {
  if (scrape_header.empty()) return module_timeout;
  auto scrape = core::parse_number(scrape_header);
  if (!scrape || *scrape <= 0) return std::nullopt;
  // Half a second for the answer, unless the scrape is so short that it would leave
  // nothing: then half of it.
  double allowed =
      *scrape > 2 * scrape_offset_seconds ? *scrape - scrape_offset_seconds : *scrape / 2;
  return std::min(module_timeout, allowed);
}

namespace {

// An option whose value is a secret: -P, --password, --pass (check_mailstore), and any
// other --...password that is not the name of a file or variable holding one.
bool secret_option(std::string_view option) {
  if (option == "-P" || option == "--password" || option == "--pass") return true;
  bool password = option.rfind("--", 0) == 0 && option.find("password") != std::string_view::npos;
  auto ends = [&](std::string_view tail) {
    return option.size() >= tail.size() && option.substr(option.size() - tail.size()) == tail;
  };
  return password && !ends("-file") && !ends("-env");
}

// An option whose value is sent to the server as it is (check_tcp's send and quit strings,
// check_smtp's commands): a login in it is shown as in a transcript.
bool sent_option(std::string_view option) {
  return option == "-s" || option == "--send" || option == "-q" || option == "--quit" ||
         option == "-C" || option == "--command";
}

}  // namespace

std::string redacted_command_line(const std::string& plugin, const std::vector<std::string>& args) {
  enum class Value { shown, secret, sent };
  auto kind = [](std::string_view option) {
    if (secret_option(option)) return Value::secret;
    return sent_option(option) ? Value::sent : Value::shown;
  };
  auto hidden = [](Value value, std::string_view text) {
    return value == Value::secret ? std::string("(redacted)") : protocol::redact_client_data(text);
  };
  std::string line = plugin;
  Value next = Value::shown;  // of the argument that follows an option
  for (const auto& arg : args) {
    line += ' ';
    if (next != Value::shown) {
      line += hidden(next, arg);
      next = Value::shown;
      continue;
    }
    std::string_view whole = arg;
    auto equals = whole.find('=');
    if (whole.rfind("--", 0) == 0 && equals != std::string_view::npos) {  // --send=...
      auto value = kind(whole.substr(0, equals));
      line += value == Value::shown ? arg
                                    : std::string(whole.substr(0, equals + 1)) +
                                          hidden(value, whole.substr(equals + 1));
    } else if (whole.size() > 2 && whole[0] == '-' && whole[1] != '-' &&
               kind(whole.substr(0, 2)) != Value::shown) {  // -Psecret, -sUSER ...
      line += std::string(whole.substr(0, 2)) + hidden(kind(whole.substr(0, 2)), whole.substr(2));
    } else {
      line += arg;
      next = kind(whole);
    }
  }
  return line;
}

boost::asio::awaitable<HttpResponse> ProbeEndpoint::handle(const HttpRequest& request,
                                                           const boost::urls::url_view& url) {
  auto bad = [&](const std::string& message) {
    return make_response(request, http::status::bad_request, message + "\n", "text/plain");
  };
  auto param = [&](const char* key) -> std::optional<std::string> {
    auto it = url.params().find(key);
    if (it == url.params().end()) return std::nullopt;
    return std::string((*it).value);
  };
  if (auto unknown = unknown_parameter(url, {"module", "target", "debug"}))
    co_return bad(unknown->substr(0, unknown->size() - 1));
  auto module_name = param("module");
  if (!module_name || module_name->empty())
    co_return bad("module: missing (/probe?module=NAME&target=HOST:PORT)");
  auto module_at = modules_.find(*module_name);
  if (module_at == modules_.end()) {
    std::string known;
    for (const auto& [name, module] : modules_)
      known += (known.empty() ? "" : ", ") + name;
    co_return bad("module: unknown module '" + *module_name +
                  "' (configured: " + (known.empty() ? "none" : known) + ")");
  }
  const auto& module = module_at->second;
  auto target_text = param("target");
  if (!target_text || target_text->empty()) co_return bad("target: missing (HOST or HOST:PORT)");
  auto target = parse_probe_target(*target_text);
  if (!target) {
    co_return bad("target: '" + *target_text + "' is not HOST, HOST:PORT or [IPV6]:PORT");
  }
  auto debug_text = param("debug").value_or("false");
  if (debug_text != "true" && debug_text != "false") co_return bad("debug: use true or false");
  bool debug = debug_text == "true";

  auto args = module_arguments(module, target->host, target->port, debug);
  auto planned = plugins::plan_plugin(module.plugin, args);
  if (auto* stop = std::get_if<plugins::PluginStop>(&planned)) {
    auto message = stop->output;
    while (!message.empty() && message.back() == '\n')
      message.pop_back();
    // The module was valid when loaded with "localhost" as its target. If it still is, the
    // plugin refused this target (check_mx: not a domain name): the request is at fault.
    auto with_localhost = plugins::plan_plugin(
        module.plugin, module_arguments(module, "localhost", target->port, false));
    if (std::holds_alternative<plugins::PluginCall>(with_localhost)) {
      co_return bad("target: '" + *target_text + "' refused by " + module.plugin + ": " + message);
    }
    // Otherwise something changed since: a password file may have gone.
    co_return make_response(request, http::status::internal_server_error,
                            "module " + module.name + ": " + message + "\n", "text/plain");
  }
  auto call = std::get<plugins::PluginCall>(planned);
  double module_timeout =
      module.timeout_seconds > 0 ? module.timeout_seconds : call.timeout_seconds;
  std::string header(request["X-Prometheus-Scrape-Timeout-Seconds"]);
  auto budget = probe_budget_seconds(module_timeout, header);
  if (!budget) {
    co_return bad("X-Prometheus-Scrape-Timeout-Seconds: '" + header +
                  "' is not a positive number of seconds");
  }

  // The scrape's deadline covers the wait for a free slot too (max_concurrent): a busy
  // daemon answers probe_success 0 in time rather than a scrape that times out.
  auto started = std::chrono::steady_clock::now();
  auto until = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(*budget));
  core::ProbeResult result;
  if (co_await limit_.acquire_until(until)) {
    // What the wait for the slot left of the deadline (all of it, when there was none).
    double waited = core::seconds(std::chrono::steady_clock::now() - started);
    double left = waited < 0.001 ? *budget : std::max(*budget - waited, 0.001);
    result = co_await plugins::run_call(call, left);
    limit_.release();
  } else {
    result.service = "PROBE";
    result.fail({"queue", core::FailureKind::timeout,
                 "timeout after " + core::format_seconds(*budget) +
                     " waiting for one of the daemon's " + std::to_string(limit_.limit()) +
                     " probe slots (max_concurrent); the probe did not run"},
                core::State::unknown);
  }
  double duration = core::seconds(std::chrono::steady_clock::now() - started);

  output::PrometheusText metrics;
  declare_result_families(metrics);
  add_result_samples(metrics, {}, result.overall(), duration, result.metrics,
                     std::chrono::system_clock::now());
  if (!debug) {
    co_return make_response(request, http::status::ok, metrics.text(),
                            "text/plain; version=0.0.4; charset=utf-8");
  }
  std::string text = "Module " + module.name + ": " + redacted_command_line(module.plugin, args) +
                     "\nDeadline: " + core::format_number(*budget) + " s (module " +
                     core::format_number(module_timeout) + " s" +
                     (header.empty() ? std::string() : ", scrape " + header + " s") + ")\n\n" +
                     "Result (Nagios output, then the conversation):\n" +
                     output::render_nagios(result, true) +
                     "\nMetrics that would have been returned:\n" + metrics.text();
  co_return make_response(request, http::status::ok, text, "text/plain; charset=utf-8");
}

}  // namespace mailprobe::daemon
