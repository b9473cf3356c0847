#pragma once
// Reading the daemon's YAML configuration: typed values with errors that name the file,
// line and key ("FILE:LINE: KEY: what is wrong"), thrown as ConfigError and turned into
// one failure by load_config.

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/duration_text.hpp"

namespace mailprobe::daemon {

struct ConfigError {
  std::string message;
};

// The range of each kind of duration in the configuration.
struct DurationRange {
  std::chrono::milliseconds min;
  std::chrono::milliseconds max;
};
namespace ranges {
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
inline constexpr DurationRange interval{seconds(1), hours(24 * 366)};  // how often a check runs
inline constexpr DurationRange timeout{milliseconds(10), hours(24)};   // one run or delivery
inline constexpr DurationRange retention{hours(1), core::max_duration};
inline constexpr DurationRange renotify{seconds(1), hours(24 * 366)};
}  // namespace ranges

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const YAML::Node& node, const std::string& key,
                         const std::string& what) const {
    throw ConfigError{path_ + ":" + std::to_string(node.Mark().line + 1) + ": " +
                      (key.empty() ? "" : key + ": ") + what};
  }

  // yaml-cpp keeps the first of two equal keys of a mapping and drops the second without a
  // word: every mapping of the file is checked, so that a second `checks:` is not lost.
  void unique_keys(const YAML::Node& node, const std::string& where, int depth = 0) const {
    if (depth > 32) fail(node, where, "nested too deeply");
    if (node.IsMap()) {
      std::map<std::string, int> lines;
      for (const auto& item : node) {
        auto key = item.first.IsScalar() ? item.first.as<std::string>() : std::string("?");
        std::string full = where;
        if (!full.empty()) full += ".";
        full += key;
        auto [first, fresh] = lines.emplace(key, item.first.Mark().line + 1);
        if (!fresh) {
          fail(item.first, full,
               "given twice (first at line " + std::to_string(first->second) + ")");
        }
        unique_keys(item.second, full, depth + 1);
      }
    } else if (node.IsSequence()) {
      for (std::size_t i = 0; i < node.size(); ++i)
        unique_keys(node[i], where + "[" + std::to_string(i) + "]", depth + 1);
    }
  }

  // Every key of `map` must be one of `known`: a misspelt key is an error, not a default.
  void only(const YAML::Node& map, const std::string& where,
            const std::set<std::string>& known) const {
    if (!map.IsMap()) fail(map, where, "must be a mapping");
    for (const auto& item : map) {
      auto key = item.first.as<std::string>();
      if (known.count(key) == 0) {
        std::string what = "unknown key (known: ";
        for (const auto& k : known) {
          if (what.back() != ' ') what += ", ";
          what += k;
        }
        what += ")";
        std::string full = where;
        if (!full.empty()) full += ".";
        full += key;
        fail(item.first, full, what);
      }
    }
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(node, key, "must be a single value");
    return node.as<std::string>();
  }

  // A duration from `min` to `max`: each key has the range that makes sense for it, so that
  // nothing later adds or subtracts a time beyond what the clocks hold.
  std::chrono::milliseconds duration(const YAML::Node& node, const std::string& key,
                                     DurationRange range) const {
    auto [min, max] = range;
    auto written = text(node, key);
    auto ms = core::duration_milliseconds(written);
    if (!ms) fail(node, key, "'" + written + "' is not a duration (e.g. 30s, 5m, 1h, 30d)");
    if (*ms < static_cast<double>(min.count()) || *ms > static_cast<double>(max.count())) {
      fail(node, key,
           "'" + written + "' is out of range (from " + core::format_duration(min) + " to " +
               core::format_duration(max) + ")");
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(*ms)));
  }

  int number(const YAML::Node& node, const std::string& key, int min, int max) const {
    auto value = text(node, key);
    try {
      std::size_t used = 0;
      int n = std::stoi(value, &used);
      if (used == value.size() && n >= min && n <= max) return n;
    } catch (const std::exception&) {
    }
    fail(node, key,
         "'" + value + "' is not a whole number from " + std::to_string(min) + " to " +
             std::to_string(max));
  }

  // A list of single values; a single value is a list of one.
  std::vector<std::string> list(const YAML::Node& node, const std::string& key) const {
    std::vector<std::string> values;
    if (node.IsScalar()) {
      values.push_back(node.as<std::string>());
      return values;
    }
    if (!node.IsSequence()) fail(node, key, "must be a list");
    for (const auto& item : node)
      values.push_back(text(item, key));
    return values;
  }

  bool flag(const YAML::Node& node, const std::string& key) const {
    auto value = text(node, key);
    if (value == "true" || value == "yes") return true;
    if (value == "false" || value == "no") return false;
    fail(node, key, "'" + value + "' is not true or false");
  }

 private:
  std::string path_;
};

}  // namespace mailprobe::daemon
