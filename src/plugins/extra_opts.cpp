#include "plugins/extra_opts.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace mailprobe::plugins {

namespace {

constexpr std::size_t max_file_bytes = std::size_t{1024} * 1024;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

core::Failure failure(std::string message) {
  return core::Failure{"options", core::FailureKind::config, "--extra-opts: " + message};
}

bool exists(const std::string& path) {
  struct stat status {};
  return stat(path.c_str(), &status) == 0;
}

}  // namespace

const std::vector<std::string>& default_extra_opts_files() {
  static const std::vector<std::string> files{
      "/usr/local/etc/monitoring-plugins/monitoring-plugins.ini",
      "/usr/local/etc/monitoring-plugins.ini",
      "/etc/monitoring-plugins/monitoring-plugins.ini",
      "/etc/monitoring-plugins.ini",
      "/etc/nagios/plugins.ini",
      "/usr/local/nagios/etc/plugins.ini",
      "/usr/local/etc/nagios/plugins.ini",
      "/etc/opt/nagios/plugins.ini",
      "/etc/nagios-plugins.ini",
      "/usr/local/etc/nagios-plugins.ini",
      "/etc/opt/nagios-plugins.ini",
  };
  return files;
}

core::Outcome<ExtraOpts> read_extra_opts(std::string_view locator, const std::string& plugin) {
  ExtraOpts result;
  auto at = locator.find('@');
  result.section = std::string(trim(locator.substr(0, at)));
  if (result.section.empty()) result.section = plugin;
  if (at != std::string_view::npos) {
    result.file = std::string(locator.substr(at + 1));
    if (result.file.empty()) return failure("'@' without a file name");
  } else if (const char* env = std::getenv("MP_CONFIG_FILE"); env != nullptr && *env != '\0') {
    result.file = env;
  } else {
    for (const auto& candidate : default_extra_opts_files()) {
      if (exists(candidate)) {
        result.file = candidate;
        break;
      }
    }
    if (result.file.empty()) {
      return failure(
          "no configuration file: give one (--extra-opts=@FILE), set MP_CONFIG_FILE, "
          "or create /etc/monitoring-plugins/monitoring-plugins.ini");
    }
  }

  std::ifstream in(result.file, std::ios::binary);
  if (!in) return failure("cannot read " + result.file + ": " + std::strerror(errno));
  std::string text;
  text.resize(max_file_bytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_file_bytes) return failure(result.file + " is over 1 MiB");

  enum class Where { before_sections, other_section, ours };
  auto where = Where::before_sections;
  bool found = false;
  int number = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto end = rest.find('\n');
    auto line = trim(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    ++number;
    auto here = [&](const std::string& what) {
      return failure(result.file + " line " + std::to_string(number) + ": " + what);
    };
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return here("'" + std::string(line) + "' is not a [section]");
      auto name = trim(line.substr(1, line.size() - 2));
      where = name == result.section ? Where::ours : Where::other_section;
      found = found || where == Where::ours;
      continue;
    }
    if (where == Where::other_section) continue;
    auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      return here("'" + std::string(line) +
                  "' is not KEY=VALUE (an option without a value is KEY=)");
    }
    auto key = trim(line.substr(0, equals));
    if (where == Where::before_sections) return here("an option before any [section]");
    if (key.empty() || key.find_first_of(" \t") != std::string_view::npos || key.front() == '-') {
      return here("'" + std::string(key) + "' is not an option name");
    }
    result.options.push_back(
        IniOption{std::string(key), std::string(trim(line.substr(equals + 1))), number});
  }
  if (!found) return failure("no [" + result.section + "] section in " + result.file);
  return result;
}

}  // namespace mailprobe::plugins
