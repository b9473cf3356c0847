#include "daemon/service.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>

#include "daemon/api.hpp"
#include "daemon/config.hpp"
#include "daemon/history.hpp"
#include "daemon/http_server.hpp"
#include "daemon/log.hpp"
#include "daemon/metrics.hpp"
#include "daemon/notifier.hpp"
#include "daemon/scheduler.hpp"
#include "daemon/service_manager.hpp"
#include "daemon/web_assets.hpp"
#include "net/spawn.hpp"
#include "net/tls_library.hpp"
#include "plugins/oauth_options.hpp"
#include "plugins/option_parser.hpp"
#include "plugins/plugins.hpp"
#include "probes/oauth_memory_cache.hpp"
#include "probes/record_watch.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::daemon {

namespace asio = boost::asio;

namespace {

// Logs the record changes of a check_mail_domain check that its last run recorded, read
// back from the file the check keeps them in; `seen_ms` is the newest change logged so far.
void log_record_changes(const CheckRuntime& check, const std::string& database,
                        std::int64_t& seen_ms) {
  auto domain = watched_domain(check.config);
  if (!domain) return;
  auto changes =
      probes::record_changes(record_state_file(check.config.args, database), *domain, 50);
  if (!changes) return;  // the check itself says UNKNOWN for a file it cannot use
  auto newest = seen_ms;
  for (auto it = changes->rbegin(); it != changes->rend(); ++it) {  // oldest first
    if (it->changed_ms <= seen_ms) continue;
    auto quote = [](const std::string& value) {
      return value.empty() ? std::string("(none)") : protocol::quoted(value, 200);
    };
    log("record change: " + check.config.name + ": " + it->key + " was " + quote(it->old_value) +
            ", now " + quote(it->new_value),
        Priority::notice);
    newest = std::max(newest, it->changed_ms);
  }
  seen_ms = newest;
}

// In-flight checks get this long to finish after SIGTERM.
constexpr auto stop_bound = std::chrono::seconds(15);

}  // namespace

int serve(const ServeOptions& options) {
  // Before the checks are planned (planning makes their TLS contexts): the daemon makes
  // handshakes all day long.
  if (!options.check_only) net::prefer_lean_tls_library();
  // OAuth 2.0 tokens in memory, one cache for every check and the email channel, before
  // the checks are planned: checks logging in as the same identity share a token.
  plugins::share_token_cache(std::make_shared<probes::MemoryTokenCache>());
  auto loaded = load_config(options.config_path);
  if (!loaded) {
    std::fprintf(stderr, "mailprobe serve: %s\n", loaded.failure().message.c_str());
    return 1;
  }
  auto config = std::move(*loaded);
  if (options.check_only) {
    std::printf("%s: valid, %zu checks\n", options.config_path.c_str(), config.checks.size());
    asio::io_context lookups(1);
    auto warning = asio::co_spawn(lookups, relay_warning(config), asio::use_future);
    lookups.run();
    if (auto text = warning.get()) std::printf("%s\n", text->c_str());
    return 0;
  }
  const auto& database = config.database;
  auto history = History::open(database, config.retention.count());
  if (!history) {
    log(history.failure().message, Priority::error);
    return 2;
  }

  asio::io_context io(1);
  ConcurrencyLimit limit(io.get_executor(), config.max_concurrent);
  Scheduler scheduler(io.get_executor(), history->get(), limit);
  ProbeEndpoint probe(limit);
  probe.set_modules(config.modules);
  Metrics metrics;
  Notifier notifier(io.get_executor(), history->get());
  notifier.restore();
  notifier.configure(config);
  // check_mail_domain: a record change is logged when a run first sees it, whatever the
  // check's state (a domain already WARNING for another reason changes no state). Changes
  // from before this start were logged by the daemon that saw them.
  auto started_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  std::map<std::string, std::int64_t> records_seen;
  scheduler.on_result([&](const CheckRuntime& check) {
    metrics.observe(check);
    notifier.observe(check);
    auto seen = records_seen.try_emplace(check.config.name, started_ms).first;
    log_record_changes(check, database, seen->second);
  });
  scheduler.on_hard_change([](const CheckRuntime& check, const Change& change) {
    log("HARD " + std::string(core::state_name(change.hard_from)) + " -> " +
            std::string(core::state_name(change.to)) + ": " + check.config.name + ": " +
            check.status.headline,
        Priority::notice);
  });
  // check_mail_domain checks keep their records in the history database (config.cpp).
  Api api(scheduler, history->get(), metrics, notifier, probe, config.location, dashboard_files(),
          database);
  HttpServer server(io.get_executor(),
                    [&api, &config](const HttpRequest& request) -> asio::awaitable<HttpResponse> {
                      if (!authorized(config.http, request)) co_return unauthorized(request);
                      co_return co_await api.handle(request);
                    });
  auto listening = server.listen(config.listen_host, config.listen_port, config.http.tls);
  if (!listening) {
    log(listening.failure().message, Priority::error);
    return 2;
  }
  scheduler.apply(config.checks);
  log("serving " + std::to_string(config.checks.size()) + " checks at " +
      (config.http.tls ? "https://" : "http://") +
      (config.listen_host.find(':') != std::string::npos ? "[" + config.listen_host + "]"
                                                         : config.listen_host) +
      ":" + std::to_string(server.port()) + "/ (location " + config.location + ", history " +
      database + ")");

  auto manager = ServiceManager::from_environment();
  auto ready = [&] {
    manager.notify("READY=1\nSTATUS=serving " + std::to_string(config.checks.size()) + " checks, " +
                   std::to_string(config.modules.size()) + " modules");
  };
  ready();
  // From the one event loop: if it hangs, the pings stop and systemd restarts the daemon.
  asio::co_spawn(io, manager.feed_watchdog(), log_failure("the watchdog"));

  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  bool failed = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          auto [ec, signal] = co_await signals.async_wait(asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
          if (signal == SIGHUP) {
            manager.notify("RELOADING=1");
            auto reloaded = load_config(options.config_path);
            if (!reloaded) {
              ready();
              log("reload refused, keeping the running configuration: " +
                      reloaded.failure().message,
                  Priority::warning);
              continue;
            }
            if (reloaded->listen_host != config.listen_host ||
                reloaded->listen_port != config.listen_port ||
                reloaded->database != config.database ||
                (reloaded->http.tls != nullptr) != (config.http.tls != nullptr)) {
              log("reload: listen and database changes, and turning TLS on or off, take effect "
                  "at the next start");
            }
            config.http.users = reloaded->http.users;
            if (config.http.tls && reloaded->http.tls) {
              config.http.tls = reloaded->http.tls;  // a renewed certificate
              server.set_tls(config.http.tls);
            }
            config.checks = reloaded->checks;
            config.modules = reloaded->modules;
            probe.set_modules(config.modules);
            limit.set_limit(reloaded->max_concurrent);
            config.location = reloaded->location;
            api.set_location(config.location);
            scheduler.apply(config.checks);
            notifier.configure(*reloaded);
            log("reloaded: " + std::to_string(config.checks.size()) + " checks, " +
                std::to_string(config.modules.size()) + " modules");
            ready();
            continue;
          }
          manager.notify("STOPPING=1");
          log("stopping: waiting for " + std::to_string(scheduler.running()) + " running checks");
          server.stop();
          co_await scheduler.stop(stop_bound);
          co_await notifier.stop(stop_bound);
          (*history)->flush();
          signals.cancel();
          io.stop();
          co_return;
        }
      },
      // Without its signal loop the daemon could be neither reloaded nor stopped: it ends,
      // with an error a service manager restarts it on.
      net::on_failure([&](const std::string& why) {
        log("the signal loop failed: " + why + "; stopping", Priority::error);
        failed = true;
        io.stop();
      }));
  io.run();
  log("stopped");
  return failed ? 1 : 0;
}

int serve_command(int argc, const char* const* argv) {
  plugins::OptionParser parser("mailprobe serve",
                               "Runs the checks of a configuration on their schedules, keeps their "
                               "history and serves the dashboard, the API and /metrics.");
  ServeOptions options;
  parser.value("-c,--config", options.config_path, "The configuration file (YAML)");
  parser.flag("--check-config", options.check_only, "Validate the configuration and exit");
  switch (parser.parse(argc, argv)) {
    case plugins::OptionParser::Result::run:
      break;
    case plugins::OptionParser::Result::help:
      std::fputs(parser.help().c_str(), stdout);
      return 0;
    case plugins::OptionParser::Result::version:
      std::puts(plugins::version);
      return 0;
    case plugins::OptionParser::Result::error:
      std::fprintf(stderr, "mailprobe serve: %s\n", parser.error().c_str());
      return 1;
  }
  if (options.config_path.empty()) {
    std::fprintf(stderr, "mailprobe serve: -c FILE is required\n");
    return 1;
  }
  return serve(options);
}

}  // namespace mailprobe::daemon
