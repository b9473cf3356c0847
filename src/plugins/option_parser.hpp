#pragma once
// Command-line options of the plugins, parsed by getopt_long as monitoring-plugins parses
// them (-w5, -w 5, --warning=5, --warning 5, options after operands). A plugin starts for
// every check, so this stays cheap: no per-option objects beyond a small table.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailprobe::plugins {

// The values a numeric option accepts, both ends included: a value outside is an error that
// names the option and the range, never a number that overflows later (a timeout of 1e300
// seconds, a port of 70000).
struct NumberRange {
  double min;
  double max;
};

// The ranges the plugins share.
namespace ranges {
inline constexpr NumberRange timeout{0.001, 86400};  // -t: one run takes at most a day
inline constexpr NumberRange port{1, 65535};
inline constexpr NumberRange count{0, 1e9};       // messages in a queue
inline constexpr NumberRange wait{0.001, 86400};  // seconds waited within a run
}  // namespace ranges

class OptionParser {
 public:
  enum class Result { run, help, version, error };

  OptionParser(std::string program, std::string description);

  // `names` lists a short and/or long names: "-H,--hostname,--host".
  void flag(const std::string& names, bool& target, std::string help);
  void counter(const std::string& names, int& target, std::string help);
  void value(const std::string& names, std::string& target, std::string help);
  void value(const std::string& names, std::optional<std::string>& target, std::string help);
  void value(const std::string& names, std::vector<std::string>& target, std::string help);
  void value(const std::string& names, int& target, std::string help, NumberRange range);
  void value(const std::string& names, long& target, std::string help, NumberRange range);
  void value(const std::string& names, std::optional<long>& target, std::string help,
             NumberRange range);
  void value(const std::string& names, double& target, std::string help, NumberRange range);
  // One operand (a host, as monitoring-plugins accepts it without -H).
  void operand(std::string& target, std::string name);

  Result parse(int argc, const char* const* argv);
  // After Result::error: what was wrong, naming the option ("--port: 'x' is not a number").
  const std::string& error() const { return error_; }
  std::string help() const;
  const std::string& program() const { return program_; }

 private:
  // Applies a value; returns an error message or "".
  using Apply = std::function<std::string(const char* value)>;
  struct Option {
    char short_name = 0;
    std::vector<std::string> long_names;
    bool takes_value = false;
    std::string help;
    Apply apply;
  };
  void add(const std::string& names, bool takes_value, std::string help, Apply apply);
  const Option* find(std::string_view name) const;
  // Replaces --extra-opts[=...] in argv by the options its file section holds, first;
  // false (and error_) when the file cannot be used.
  bool expand_extra_opts(std::vector<std::string>& args);

  std::string program_;
  std::string description_;
  std::vector<Option> options_;
  std::string* operand_ = nullptr;
  std::string operand_name_;
  std::string error_;
};

}  // namespace mailprobe::plugins
