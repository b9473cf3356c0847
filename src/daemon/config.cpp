#include "daemon/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/duration_text.hpp"
#include "core/format.hpp"
#include "daemon/config_reader.hpp"
#include "plugins/plugins.hpp"

namespace mailprobe::daemon {

std::string record_state_file(const std::vector<std::string>& args, const std::string& fallback) {
  constexpr std::string_view option = "--state-file";
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == option && i + 1 < args.size()) return args[i + 1];
    if (arg.size() > option.size() && arg.substr(0, option.size()) == option &&
        arg[option.size()] == '=') {
      return std::string(arg.substr(option.size() + 1));
    }
  }
  return fallback;
}

namespace {

bool valid_label_name(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The plugin judges its own command line, as it would on the command line; its complaint
// becomes the configuration error.
plugins::PluginCall plan(const Reader& reader, const YAML::Node& node, const std::string& where,
                         const std::string& plugin, const std::vector<std::string>& args) {
  auto planned = plugins::plan_plugin(plugin, args);
  if (auto* stop = std::get_if<plugins::PluginStop>(&planned)) {
    auto message = stop->output;
    while (!message.empty() && message.back() == '\n')
      message.pop_back();
    if (stop->exit_code == 0) message = "--help and --version do not run a check";
    reader.fail(node["args"] ? node["args"] : node, where + ".args", message);
  }
  return std::get<plugins::PluginCall>(planned);
}

struct Defaults {
  std::chrono::milliseconds interval = std::chrono::minutes(5);
  std::chrono::milliseconds roundtrip_interval = std::chrono::minutes(20);
  std::chrono::milliseconds retry_interval = std::chrono::seconds(30);
  int max_attempts = 2;
};

// check_mail_domain tells what changed in a domain's records since the last run; in the
// daemon always, keeping the values in the history database unless the check names a file.
void keep_records_in(const std::string& plugin, std::vector<std::string>& args,
                     const std::string& database) {
  if (plugin != "check_mail_domain" || !record_state_file(args, "").empty()) return;
  args.emplace_back("--state-file");
  args.push_back(database);
}

CheckConfig read_check(const Reader& reader, const YAML::Node& node, const std::string& where,
                       const Defaults& defaults, const std::string& database) {
  reader.only(node, where,
              {"name", "plugin", "args", "interval", "retry_interval", "max_attempts", "timeout",
               "labels", "passive"});
  CheckConfig check;
  check.line = node.Mark().line + 1;
  if (!node["name"]) reader.fail(node, where + ".name", "missing");
  check.name = reader.text(node["name"], where + ".name");
  if (check.name.empty()) reader.fail(node["name"], where + ".name", "empty");
  if (!node["plugin"]) reader.fail(node, where + ".plugin", "missing (e.g. check_smtp)");
  check.plugin = reader.text(node["plugin"], where + ".plugin");
  if (plugins::find_plugin(check.plugin) == nullptr) {
    reader.fail(node["plugin"], where + ".plugin",
                "unknown plugin '" + check.plugin +
                    "' (e.g. check_smtp, check_imap, "
                    "check_mail_roundtrip)");
  }
  if (auto args = node["args"]) {
    if (!args.IsSequence()) reader.fail(args, where + ".args", "must be a list");
    for (const auto& arg : args)
      check.args.push_back(reader.text(arg, where + ".args"));
  }
  keep_records_in(check.plugin, check.args, database);
  bool roundtrip = check.plugin == "check_mail_roundtrip";
  check.interval = node["interval"]
                       ? reader.duration(node["interval"], where + ".interval", ranges::interval)
                   : roundtrip ? defaults.roundtrip_interval
                               : defaults.interval;
  check.retry_interval =
      node["retry_interval"]
          ? reader.duration(node["retry_interval"], where + ".retry_interval", ranges::interval)
          : defaults.retry_interval;
  check.max_attempts = node["max_attempts"]
                           ? reader.number(node["max_attempts"], where + ".max_attempts", 1, 10)
                           : defaults.max_attempts;
  if (node["passive"]) check.passive = reader.flag(node["passive"], where + ".passive");
  if (auto labels = node["labels"]) {
    if (!labels.IsMap()) reader.fail(labels, where + ".labels", "must be a mapping");
    for (const auto& label : labels) {
      auto name = label.first.as<std::string>();
      auto key = where + ".labels.";
      key += name;
      // They become Prometheus labels beside mailprobe's own.
      static const std::set<std::string> reserved{"check", "plugin",  "location", "le",
                                                  "phase", "leg",     "name",     "unit",
                                                  "mx",    "address", "state"};
      if (!valid_label_name(name)) {
        reader.fail(label.first, key,
                    "a label name is letters, digits and _, not starting with a digit");
      }
      if (reserved.count(name) != 0 || name.rfind("__", 0) == 0) {
        reader.fail(label.first, key, "'" + name + "' is a label of mailprobe's own");
      }
      check.labels[name] = reader.text(label.second, key);
    }
  }
  check.call = plan(reader, node, where, check.plugin, check.args);
  check.call.format = plugins::OutputFormat::nagios;
  if (node["timeout"]) {
    check.call.timeout_seconds =
        std::chrono::duration<double>(
            reader.duration(node["timeout"], where + ".timeout", ranges::timeout))
            .count();
  }
  if (check.call.timeout_seconds * 1000 >= static_cast<double>(check.interval.count())) {
    reader.fail(node["interval"] ? node["interval"] : node, where + ".interval",
                core::format_duration(check.interval) +
                    " must be longer than the check's timeout (" +
                    core::format_number(check.call.timeout_seconds) + "s; set timeout or -t)");
  }
  return check;
}

ModuleConfig read_module(const Reader& reader, const YAML::Node& key, const YAML::Node& node,
                         const std::string& database) {
  ModuleConfig module;
  module.name = key.as<std::string>();
  auto where = "modules." + module.name;
  reader.only(node, where, {"plugin", "args", "timeout"});
  module.line = node.Mark().line + 1;
  if (!node["plugin"]) reader.fail(node, where + ".plugin", "missing (e.g. check_smtp)");
  module.plugin = reader.text(node["plugin"], where + ".plugin");
  if (module.plugin == "check_mailq" || module.plugin == "check_mail_roundtrip") {
    reader.fail(node["plugin"], where + ".plugin",
                module.plugin + " has no target; schedule it as a check instead");
  }
  if (plugins::find_plugin(module.plugin) == nullptr) {
    reader.fail(node["plugin"], where + ".plugin",
                "unknown plugin '" + module.plugin + "' (e.g. check_smtp, check_imap)");
  }
  if (auto args = node["args"]) {
    if (!args.IsSequence()) reader.fail(args, where + ".args", "must be a list");
    for (const auto& arg : args) {
      auto text = reader.text(arg, where + ".args");
      // The target of each request says where to connect.
      bool mailstore = module.plugin.rfind("check_mailstore", 0) == 0;
      if (text == "-H" || text == "--host" || text == "--hostname" || text == "--port" ||
          text.rfind("--host=", 0) == 0 || text.rfind("--hostname=", 0) == 0 ||
          text.rfind("--port=", 0) == 0 || (!mailstore && text.rfind("-p", 0) == 0) ||
          text.rfind("-H", 0) == 0) {
        reader.fail(arg, where + ".args",
                    "'" + text + "': the host and port come from the request's target");
      }
      module.args.push_back(text);
    }
  }
  keep_records_in(module.plugin, module.args, database);
  if (node["timeout"]) {
    module.timeout_seconds =
        std::chrono::duration<double>(
            reader.duration(node["timeout"], where + ".timeout", ranges::timeout))
            .count();
  }
  plan(reader, node, where, module.plugin, module_arguments(module, "localhost", "", false));
  return module;
}

// The line of a YAML syntax error: yaml-cpp reports an error at the end of the file one
// line past the last.
int error_line(const std::string& path, int mark_line) {
  std::ifstream file(path);
  int lines = 0;
  for (std::string line; std::getline(file, line);)
    ++lines;
  return std::max(1, std::min(mark_line + 1, lines));
}

}  // namespace

std::vector<std::string> module_arguments(const ModuleConfig& module, const std::string& host,
                                          const std::string& port, bool verbose) {
  auto args = module.args;
  args.insert(args.end(), {"--host", host});
  if (!port.empty()) args.insert(args.end(), {"--port", port});
  if (verbose) args.emplace_back("-v");
  return args;
}

core::Outcome<Config> load_config(const std::string& path) {
  auto fail = [&](std::string message) -> core::Outcome<Config> {
    return core::Failure{"config", core::FailureKind::config, std::move(message)};
  };
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return fail(path + ": cannot read the file");
  } catch (const YAML::ParserException& e) {
    return fail(path + ":" + std::to_string(error_line(path, e.mark.line)) +
                ": not valid YAML: " + e.msg);
  }
  Reader reader(path);
  Config config;
  config.path = path;
  try {
    if (!root || root.IsNull())
      return fail(path + ": the file is empty (a list of checks is needed)");
    if (!root.IsMap()) {
      reader.fail(root, "", "the configuration must be a mapping (location:, checks:, ...)");
    }
    reader.unique_keys(root, "");
    reader.only(root, "",
                {"location", "listen", "database", "retention", "max_concurrent", "defaults",
                 "checks", "modules", "notifications", "http"});
    if (root["location"]) config.location = reader.text(root["location"], "location");
    if (root["listen"]) {
      auto listen = reader.text(root["listen"], "listen");
      auto colon = listen.rfind(':');
      // Port 0: any free port (the log says which), for tests and throwaway daemons.
      int port = -1;
      if (colon != std::string::npos) {
        auto digits = listen.substr(colon + 1);
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
        if (ec != std::errc{} || end != digits.data() + digits.size()) port = -1;
      }
      if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535) {
        reader.fail(root["listen"], "listen", "'" + listen + "' is not HOST:PORT");
      }
      config.listen_host = listen.substr(0, colon);
      if (config.listen_host.size() > 2 && config.listen_host.front() == '[') {
        config.listen_host = config.listen_host.substr(1, config.listen_host.size() - 2);
      }
      boost::system::error_code bad_address;
      boost::asio::ip::make_address(config.listen_host, bad_address);
      if (bad_address) {
        reader.fail(root["listen"], "listen",
                    "'" + config.listen_host +
                        "' is not an IP address to listen on (e.g. 127.0.0.1:9797, [::1]:9797, "
                        "0.0.0.0:9797)");
      }
      config.listen_port = static_cast<std::uint16_t>(port);
    }
    if (root["database"]) config.database = reader.text(root["database"], "database");
    if (config.database.empty()) {
      // Beside the configuration unless the configuration says where.
      auto dir = std::filesystem::path(path).parent_path();
      config.database =
          (dir.empty() ? std::filesystem::path(".") : dir).string() + "/mailprobe-history.sqlite";
    }
    if (root["retention"])
      config.retention = reader.duration(root["retention"], "retention", ranges::retention);
    if (root["max_concurrent"]) {
      config.max_concurrent = reader.number(root["max_concurrent"], "max_concurrent", 1, 100000);
    }
    Defaults defaults;
    if (auto d = root["defaults"]) {
      reader.only(d, "defaults",
                  {"interval", "roundtrip_interval", "retry_interval", "max_attempts"});
      if (d["interval"])
        defaults.interval = reader.duration(d["interval"], "defaults.interval", ranges::interval);
      if (d["roundtrip_interval"]) {
        defaults.roundtrip_interval = reader.duration(
            d["roundtrip_interval"], "defaults.roundtrip_interval", ranges::interval);
      }
      if (d["retry_interval"]) {
        defaults.retry_interval =
            reader.duration(d["retry_interval"], "defaults.retry_interval", ranges::interval);
      }
      if (d["max_attempts"]) {
        defaults.max_attempts = reader.number(d["max_attempts"], "defaults.max_attempts", 1, 10);
      }
    }
    auto checks = root["checks"];
    if (!checks || !checks.IsSequence() || checks.size() == 0) {
      reader.fail(checks ? checks : root, "checks", "a list of at least one check is needed");
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < checks.size(); ++i) {
      auto where = "checks[" + std::to_string(i) + "]";
      auto check = read_check(reader, checks[i], where, defaults, config.database);
      if (!names.insert(check.name).second) {
        reader.fail(checks[i]["name"], where + ".name", "'" + check.name + "' is used twice");
      }
      config.checks.push_back(std::move(check));
    }
    if (auto modules = root["modules"]) {
      if (!modules.IsMap())
        reader.fail(modules, "modules", "must be a mapping of names to modules");
      for (const auto& item : modules) {
        auto module = read_module(reader, item.first, item.second, config.database);
        config.modules[module.name] = std::move(module);
      }
    }
    if (root["http"]) config.http = read_http_access(reader, root["http"]);
    if (root["notifications"]) {
      config.notifications = read_notifications(reader, root["notifications"]);
    }
  } catch (const ConfigError& e) {
    return fail(e.message);
  } catch (const YAML::Exception& e) {
    return fail(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return config;
}

}  // namespace mailprobe::daemon
