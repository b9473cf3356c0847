#pragma once
// The daemon's configuration: one YAML file, defaults applied and every check validated
// when it loads, so that a mistake is reported with the file, line and key before anything
// runs.
//
//   location: lab-1                 # this daemon's location, a label on everything
//   listen: 127.0.0.1:9797          # HTTP: dashboard, API, /metrics, /probe
//   http: {tls_cert_file: ..., tls_key_file: ..., users: [...]}   # see http_access.hpp
//   database: /var/lib/mailprobe/history.sqlite
//   retention: 30d
//   max_concurrent: 256
//   defaults: {interval: 5m, retry_interval: 30s, max_attempts: 2}
//   checks:
//     - name: submission
//       plugin: check_smtp          # any plugin of mailprobe, with its own options
//       args: [-H, mail.example.com, -p, "587", -S, -U, monitor@example.com,
//              --password-file, /etc/mailprobe/monitor.pw]
//       interval: 5m                # round trips default to 20m
//       labels: {role: submission}
//       passive: false              # measured and stored, never notified
//   modules:                        # for /probe?module=NAME&target=HOST:PORT
//     smtp_starttls: {plugin: check_smtp, args: [-S], timeout: 10s}

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "daemon/http_access.hpp"
#include "daemon/notify_config.hpp"
#include "plugins/run_plugin.hpp"

namespace mailprobe::daemon {

struct CheckConfig {
  std::string name;
  std::string plugin;
  std::vector<std::string> args;
  std::map<std::string, std::string> labels;
  std::chrono::milliseconds interval{0};
  std::chrono::milliseconds retry_interval{0};
  int max_attempts = 2;  // a failure is retested this many times in all before it is hard
  bool passive = false;
  plugins::PluginCall call;  // what to run, planned from plugin + args
  int line = 0;              // where it is defined, for messages
};

// A /probe module (blackbox_exporter's term): a plugin and its options without the target;
// the request's target adds --host and --port.
struct ModuleConfig {
  std::string name;
  std::string plugin;
  std::vector<std::string> args;
  double timeout_seconds = 0;  // 0: the plugin's own (-t or its default)
  int line = 0;
};

struct Config {
  std::string path;
  std::string location = "default";
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 9797;  // 0: any free port
  std::string database;  // as given, else mailprobe-history.sqlite beside the configuration
  std::chrono::milliseconds retention = std::chrono::hours(24 * 30);
  int max_concurrent = 256;
  std::vector<CheckConfig> checks;
  std::map<std::string, ModuleConfig> modules;
  NotificationConfig notifications;
  HttpAccess http;  // TLS and basic auth of the HTTP server
};

// The plugin's command line for a /probe of `host` (and `port` unless empty) with
// `module`, -v added when `verbose`.
std::vector<std::string> module_arguments(const ModuleConfig& module, const std::string& host,
                                          const std::string& port, bool verbose);

// Reads and validates `path`. A failure's message is "FILE:LINE: KEY: what is wrong".
core::Outcome<Config> load_config(const std::string& path);

// The file a check_mail_domain check keeps its records in: its --state-file argument
// ("--state-file F" or "--state-file=F"), else `fallback`. Loading adds the history
// database as one to every check that names none.
std::string record_state_file(const std::vector<std::string>& args, const std::string& fallback);

}  // namespace mailprobe::daemon
