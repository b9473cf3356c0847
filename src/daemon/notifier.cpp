#include "daemon/notifier.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "core/ascii.hpp"
#include "daemon/log.hpp"
#include "net/resolve.hpp"
#include "net/spawn.hpp"
#include "plugins/plugins.hpp"
#include "probes/roundtrip_message.hpp"

namespace mailprobe::daemon {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A peer's answer serves every check evaluated within this time: a failing server makes
// many checks fail at once, and each would otherwise ask every peer.
constexpr auto peer_cache_time = std::chrono::seconds(5);

}  // namespace

const std::vector<std::chrono::seconds>& Notifier::retry_delays() {
  static const std::vector<std::chrono::seconds> delays{
      std::chrono::seconds(0), std::chrono::seconds(5), std::chrono::seconds(30)};
  return delays;
}

Notifier::Notifier(asio::any_io_executor executor, History* history)
    : executor_(std::move(executor)),
      history_(history),
      config_(std::make_shared<NotificationConfig>()) {}

void Notifier::configure(const Config& config) {
  config_ = std::make_shared<NotificationConfig>(config.notifications);
  location_ = config.location;
  peer_cache_.clear();
  // A check removed while its problem was notified will not recover: forget it, and say so.
  std::set<std::string> names;
  for (const auto& check : config.checks)
    names.insert(check.name);
  for (auto it = notified_.begin(); it != notified_.end();) {
    if (names.count(it->first) != 0) {
      ++it;
      continue;
    }
    log("notify: " + it->first +
            " is no longer configured; its notified problem gets no recovery notification",
        Priority::notice);
    if (history_ != nullptr) history_->set_notified(it->first, std::nullopt);
    it = notified_.erase(it);
  }
  // Name lookups take time: the warning comes when they are done.
  asio::co_spawn(executor_, relay_warning(config),
                 [](const std::exception_ptr& error, std::optional<std::string> warning) {
                   if (error) log("relay warning failed: " + net::describe(error), Priority::error);
                   if (warning) log(*warning, Priority::warning);
                 });
}

void Notifier::restore() {
  if (history_ == nullptr) return;
  for (const auto& row : history_->notified()) {
    auto at = [](std::int64_t ms) { return WallClock::time_point(std::chrono::milliseconds(ms)); };
    notified_[row.check] = Notified{row.state, at(row.first_ms), at(row.last_ms)};
  }
}

void Notifier::observe(const CheckRuntime& check) {
  if (check.config.passive || check.status.pending) return;
  bool own_down = check.status.hard_state != core::State::ok;
  if (!own_down && notified_.count(check.config.name) == 0) return;  // nothing to tell
  if (!config_->any_channel()) return;
  if (!evaluating_.insert(check.config.name).second) return;  // the next result decides
  Seen seen{check.config.name, check.config.plugin, check.config.labels, check.status};
  auto name = seen.name;
  asio::co_spawn(executor_, evaluate(std::move(seen)),
                 log_failure("notify: judging check " + name));
}

asio::awaitable<void> Notifier::evaluate(Seen seen) {
  auto config = config_;
  NotifyInput input;
  input.own_down = seen.status.hard_state != core::State::ok;
  input.own_state = seen.status.hard_state;
  input.location = location_;
  input.quorum = config->quorum;
  input.renotify = config->renotify;
  input.agreement = co_await agreement(seen, input.own_down);
  input.now = WallClock::now();
  auto found = notified_.find(seen.name);
  if (found != notified_.end()) input.notified = found->second;
  evaluating_.erase(seen.name);
  auto kind = decide(input);
  if (!kind) co_return;

  Event event;
  event.kind = *kind;
  event.check = seen.name;
  event.plugin = seen.plugin;
  event.summary = seen.status.headline;
  event.since = seen.status.since;
  event.time = input.now;
  event.location = location_;
  event.locations_down = input.agreement.down;
  event.quorum = config->quorum;
  event.labels = seen.labels;
  // Undone when no destination gets it: the next result decides again. Only a delivered
  // event is stored, so a restart repeats only what never arrived.
  auto previous = input.notified;
  auto decision = ++decisions_[seen.name];
  auto undo = [this, name = seen.name, previous, decision, kind = *kind]() {
    if (decisions_[name] != decision) return;  // a newer decision stands
    if (previous) {
      notified_[name] = *previous;
    } else {
      notified_.erase(name);
    }
    log("notify: the " + std::string(event_kind_name(kind)) + " of " + name +
            " reached no destination; it is told again after the check's next result",
        Priority::warning);
  };
  if (*kind == EventKind::recovery) {
    event.state = seen.status.state;
    event.previous = input.notified->state;
    notified_.erase(seen.name);
    dispatch(event, [this, name = seen.name, undo](bool delivered) {
      if (!delivered) return undo();
      if (history_ != nullptr) history_->set_notified(name, std::nullopt);
    });
    co_return;
  }
  event.state = input.own_down ? input.own_state : input.notified->state;
  event.previous = input.notified ? input.notified->state : core::State::ok;
  Notified now{event.state, input.notified ? input.notified->first : input.now, input.now};
  notified_[seen.name] = now;
  dispatch(event, [this, name = seen.name, now, undo](bool delivered) {
    if (!delivered) return undo();
    auto ms = [](WallClock::time_point t) { return probes::unix_ms(t); };
    if (history_ != nullptr) {
      history_->set_notified(name, NotifiedRow{name, now.state, ms(now.first), ms(now.last)});
    }
  });
}

asio::awaitable<Agreement> Notifier::agreement(const Seen& seen, bool own_down) {
  Agreement agreement;
  if (own_down) agreement.down.push_back(location_);
  auto config = config_;
  for (const auto& peer : config->peers) {
    auto view = co_await peer_view(peer);
    if (!view) {  // confirms nothing, and denies nothing either
      ++agreement.unreachable;
      continue;
    }
    auto check = view->checks.find(seen.name);
    if (check == view->checks.end() || !check->second.down) continue;
    agreement.down.push_back(view->location);
    if (check->second.notified) agreement.covered_by_peer = true;
  }
  std::sort(agreement.down.begin(), agreement.down.end());
  co_return agreement;
}

asio::awaitable<std::optional<PeerView>> Notifier::peer_view(const PeerConfig& peer) {
  auto now = std::chrono::steady_clock::now();
  auto& cached = peer_cache_[peer.url];
  if (cached.fetched != std::chrono::steady_clock::time_point{} &&
      now - cached.fetched < peer_cache_time) {
    co_return cached.view;
  }
  auto config = config_;
  auto view = co_await fetch_peer_view(executor_, peer, config->peer_timeout_seconds);
  auto& entry = peer_cache_[peer.url];  // the map may have changed while waiting
  entry.fetched = std::chrono::steady_clock::now();
  auto& failing = peer_failing_[peer.url];
  if (!view) {
    if (!failing)
      log("notify: peer " + peer.url + ": " + view.failure().message, Priority::warning);
    failing = true;
    entry.view.reset();
    co_return std::nullopt;
  }
  if (failing) log("notify: peer " + peer.url + " answers again", Priority::notice);
  failing = false;
  entry.view = *view;
  co_return entry.view;
}

void Notifier::dispatch(const Event& event, std::function<void(bool delivered)> done) {
  auto config = config_;
  log("notify: " + event_text(event), Priority::notice);
  auto outcome = std::make_shared<Outcome>();
  outcome->done = std::move(done);
  if (!config->webhooks.empty()) {
    auto body = event_json(event);
    for (const auto& webhook : config->webhooks) {
      enqueue({"webhook", protocol::url_for_logs(webhook.url), webhook.url, event.check,
               [this, config, &webhook, body]() { return send_webhook(webhook, body); }, outcome});
    }
  }
  if (!config->commands.empty()) {
    auto environment = event_environment(event);
    for (const auto& command : config->commands) {
      enqueue(
          {"command", command.argv.front(), command.argv.front(), event.check,
           [this, config, &command, environment]() { return send_command(command, environment); },
           outcome});
    }
  }
  if (const auto& email = config->email) {
    auto domain = email->from.substr(email->from.rfind('@') + 1);
    std::random_device random;
    auto id = "<mailprobe." + std::to_string(probes::unix_ms(event.time)) + "." +
              std::to_string(++sequence_) + "." + std::to_string(random()) + "@" + domain + ">";
    auto message = event_email(event, email->from, email->to, id);
    for (const auto& to : email->to) {
      enqueue({"email", to, to, event.check,
               [this, config, &email, to, message]() { return send_email(*email, to, message); },
               outcome});
    }
  }
  if (outcome->pending == 0) outcome->done(false);  // no destination (a reload removed them)
}

asio::awaitable<void> Notifier::stop(std::chrono::milliseconds bound) {
  auto until = std::chrono::steady_clock::now() + bound;
  asio::steady_timer pause(executor_);
  while (in_flight_ > 0 && std::chrono::steady_clock::now() < until) {
    pause.expires_after(std::chrono::milliseconds(50));
    co_await pause.async_wait(use_tuple);
  }
  if (in_flight_ > 0) {
    log("stopping: " + std::to_string(in_flight_) + " notifications not delivered",
        Priority::warning);
  }
}

std::set<std::string> checked_hosts(const Config& config) {
  std::set<std::string> hosts;
  for (const auto& check : config.checks) {
    for (const auto& server : check.call.servers)
      hosts.insert(core::ascii_lower(server));
  }
  return hosts;
}

asio::awaitable<std::optional<std::string>> relay_warning(Config config) {
  if (!config.notifications.email) co_return std::nullopt;
  const auto& email = *config.notifications.email;
  auto relay = core::ascii_lower(email.submission.server.host);
  auto hosts = checked_hosts(config);
  std::string relay_text = email.relay;
  auto warning = [&](const std::string& host) {
    return "warning: notifications.email.relay " + relay_text + " is " +
           (host == relay ? std::string("a server") : "the address of " + host + ", a server") +
           " that the checks test: when it fails, its own notifications may not get out (use a "
           "relay outside the mail system under test)";
  };
  if (hosts.count(relay) != 0) co_return warning(relay);
  // The same server by another name or address (localhost and 127.0.0.1): 2 s for each
  // lookup, 10 s for all, whatever the resolver does.
  auto lookup = [](const std::string& host) {
    return net::resolve(host, 0, net::AddressFamily::any,
                        core::Deadline::after(std::chrono::seconds(2)));
  };
  auto all = core::Deadline::after(std::chrono::seconds(10));
  auto relay_endpoints = co_await lookup(relay);
  if (!relay_endpoints) co_return std::nullopt;
  std::set<asio::ip::address> relay_addresses;
  for (const auto& endpoint : *relay_endpoints)
    relay_addresses.insert(endpoint.address());
  for (const auto& host : hosts) {
    if (all.expired()) break;
    auto endpoints = co_await lookup(host);
    if (!endpoints) continue;
    for (const auto& endpoint : *endpoints) {
      if (relay_addresses.count(endpoint.address()) != 0) co_return warning(host);
    }
  }
  co_return std::nullopt;
}

}  // namespace mailprobe::daemon
