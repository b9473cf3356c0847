#pragma once
// Tells people about hard problems and their recoveries: through webhooks, commands and
// email, once per problem (reminders at the re-notification interval), and, when peers
// are configured, only when enough locations agree. What has been told is kept in the
// history database, so that a restart neither repeats a notification nor forgets to
// send the recovery.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "core/outcome.hpp"
#include "daemon/config.hpp"
#include "daemon/history.hpp"
#include "daemon/notification.hpp"
#include "daemon/peers.hpp"
#include "daemon/scheduler.hpp"

namespace mailprobe::daemon {

// Deliveries by channel ("webhook", "command", "email") and result ("sent", "failed").
using NotificationCounts = std::map<std::pair<std::string, std::string>, std::uint64_t>;

class Notifier {
 public:
  Notifier(asio::any_io_executor executor, History* history);

  // Takes the configuration (at start, after restore(), and on SIGHUP). Deliveries under
  // way finish with the configuration they started with. Notified problems of checks that
  // are no longer configured are forgotten.
  void configure(const Config& config);
  // Reads what was notified before a restart.
  void restore();
  // Called after every result of every check.
  void observe(const CheckRuntime& check);
  // Whether this daemon has notified (or is notifying) a problem of `check` that has not
  // recovered.
  bool notified(const std::string& check) const { return notified_.count(check) != 0; }
  const NotificationCounts& counts() const { return counts_; }
  // Waits for deliveries under way, at most `bound`.
  asio::awaitable<void> stop(std::chrono::milliseconds bound);

  // Delays between the attempts of one delivery: at once, then after 5 s and 30 s.
  static const std::vector<std::chrono::seconds>& retry_delays();

 private:
  struct Seen {  // what a result showed, copied: the check may be reloaded meanwhile
    std::string name;
    std::string plugin;
    std::map<std::string, std::string> labels;
    CheckStatus status;
  };
  asio::awaitable<void> evaluate(Seen seen);
  asio::awaitable<Agreement> agreement(const Seen& seen, bool own_down);
  asio::awaitable<std::optional<PeerView>> peer_view(const PeerConfig& peer);
  // Sends `event` to every destination; `done` learns whether at least one got it, once
  // all are sent or given up.
  void dispatch(const Event& event, std::function<void(bool delivered)> done);
  // The deliveries of one event: how many are under way, whether one arrived.
  struct Outcome {
    int pending = 0;
    bool delivered = false;
    std::function<void(bool delivered)> done;
  };
  // One event for one destination, tried until sent or out of retries.
  struct Delivery {
    std::string channel;      // "webhook", "command", "email"
    std::string destination;  // as the log shows it
    std::string address;      // the whole of it: deliveries to one address go in order
    std::string check;
    std::function<asio::awaitable<core::Status>()> attempt;
    std::shared_ptr<Outcome> outcome;
  };
  // Deliveries to one destination about one check go out in order: a recovery never
  // overtakes its problem while that is being retried.
  void enqueue(Delivery delivery);
  asio::awaitable<void> drain(std::string key);
  asio::awaitable<bool> deliver(const Delivery& delivery);
  asio::awaitable<core::Status> send_webhook(const WebhookConfig& webhook, std::string body);
  asio::awaitable<core::Status> send_command(const CommandConfig& command,
                                             std::vector<std::string> environment);
  asio::awaitable<core::Status> send_email(const EmailConfig& email, const std::string& to,
                                           std::string message);

  struct CachedView {
    std::chrono::steady_clock::time_point fetched{};
    std::optional<PeerView> view;
  };

  asio::any_io_executor executor_;
  History* history_;
  std::shared_ptr<const NotificationConfig> config_;
  std::string location_;
  // What is notified (or being notified) and not recovered, by check. An event that
  // reaches no destination is undone, so that the next result tells it again.
  std::map<std::string, Notified> notified_;
  std::map<std::string, std::uint64_t> decisions_;  // by check: which decision is the latest
  std::set<std::string> evaluating_;                // one evaluation per check at a time
  std::map<std::string, CachedView> peer_cache_;
  std::map<std::string, bool> peer_failing_;            // for logging a peer's trouble once
  std::map<std::string, std::deque<Delivery>> queues_;  // by channel, destination and check
  NotificationCounts counts_;
  int in_flight_ = 0;
  std::uint64_t sequence_ = 0;  // for Message-IDs
};

// Servers that checks of `config` talk to, as their command lines name them (lower case).
std::set<std::string> checked_hosts(const Config& config);
// The warning that notifications.email's relay is one of them, by name or by address
// (names are looked up, a few seconds at most), or nullopt.
asio::awaitable<std::optional<std::string>> relay_warning(Config config);

}  // namespace mailprobe::daemon
