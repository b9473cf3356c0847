#include "plugins/option_parser.hpp"

#include <getopt.h>

#include <charconv>
#include <cmath>

#include "core/format.hpp"
#include "core/range.hpp"
#include "plugins/extra_opts.hpp"

namespace mailprobe::plugins {

namespace {

std::string out_of_range(const char* text, NumberRange range) {
  return "'" + std::string(text) + "' is out of range (from " + core::format_number(range.min) +
         " to " + core::format_number(range.max) + ")";
}

template <class Integer>
std::string parse_integer(const char* text, Integer& out, NumberRange range) {
  std::string_view view(text);
  Integer value = 0;
  auto [ptr, ec] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (ec == std::errc::result_out_of_range) return out_of_range(text, range);
  if (view.empty() || ec != std::errc{} || ptr != view.data() + view.size()) {
    return "'" + std::string(view) + "' is not a whole number";
  }
  if (static_cast<double>(value) < range.min || static_cast<double>(value) > range.max) {
    return out_of_range(text, range);
  }
  out = value;
  return "";
}

// Long option ids start past the range of short option characters.
constexpr int long_id_base = 1000;

}  // namespace

OptionParser::OptionParser(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

void OptionParser::add(const std::string& names, bool takes_value, std::string help, Apply apply) {
  Option option;
  option.takes_value = takes_value;
  option.help = std::move(help);
  option.apply = std::move(apply);
  std::size_t start = 0;
  while (start <= names.size()) {
    auto end = names.find(',', start);
    auto name = names.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (name.size() == 2 && name[0] == '-') {
      option.short_name = name[1];
    } else if (name.rfind("--", 0) == 0) {
      option.long_names.push_back(name.substr(2));
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  options_.push_back(std::move(option));
}

void OptionParser::flag(const std::string& names, bool& target, std::string help) {
  add(names, false, std::move(help), [&target](const char*) {
    target = true;
    return std::string();
  });
}

void OptionParser::counter(const std::string& names, int& target, std::string help) {
  add(names, false, std::move(help), [&target](const char*) {
    ++target;
    return std::string();
  });
}

void OptionParser::value(const std::string& names, std::string& target, std::string help) {
  add(names, true, std::move(help), [&target](const char* v) {
    target = v;
    return std::string();
  });
}

void OptionParser::value(const std::string& names, std::optional<std::string>& target,
                         std::string help) {
  add(names, true, std::move(help), [&target](const char* v) {
    target = v;
    return std::string();
  });
}

void OptionParser::value(const std::string& names, std::vector<std::string>& target,
                         std::string help) {
  add(names, true, std::move(help), [&target](const char* v) {
    target.emplace_back(v);
    return std::string();
  });
}

void OptionParser::value(const std::string& names, int& target, std::string help,
                         NumberRange range) {
  add(names, true, std::move(help),
      [&target, range](const char* v) { return parse_integer(v, target, range); });
}

void OptionParser::value(const std::string& names, long& target, std::string help,
                         NumberRange range) {
  add(names, true, std::move(help),
      [&target, range](const char* v) { return parse_integer(v, target, range); });
}

void OptionParser::value(const std::string& names, std::optional<long>& target, std::string help,
                         NumberRange range) {
  add(names, true, std::move(help), [&target, range](const char* v) {
    long parsed = 0;
    auto error = parse_integer(v, parsed, range);
    if (error.empty()) target = parsed;
    return error;
  });
}

void OptionParser::value(const std::string& names, double& target, std::string help,
                         NumberRange range) {
  add(names, true, std::move(help), [&target, range](const char* v) {
    auto parsed = core::parse_number(v);
    if (!parsed) return "'" + std::string(v) + "' is not a number";
    if (*parsed < range.min || *parsed > range.max) return out_of_range(v, range);
    target = *parsed;
    return std::string();
  });
}

void OptionParser::operand(std::string& target, std::string name) {
  operand_ = &target;
  operand_name_ = std::move(name);
}

const OptionParser::Option* OptionParser::find(std::string_view name) const {
  for (const auto& o : options_) {
    if (name.size() == 1 && o.short_name == name[0]) return &o;
    for (const auto& l : o.long_names) {
      if (l == name) return &o;
    }
  }
  return nullptr;
}

bool OptionParser::expand_extra_opts(std::vector<std::string>& args) {
  std::vector<std::string> first{args.front()};
  std::vector<std::string> rest;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--") {  // operands from here on
      rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (arg != "--extra-opts" && arg.rfind("--extra-opts=", 0) != 0) {
      rest.push_back(arg);
      continue;
    }
    // "--extra-opts=LOCATOR", or as monitoring-plugins also takes it, "--extra-opts
    // LOCATOR" when the next argument is no option.
    std::string locator = arg.size() > 13 ? arg.substr(13) : "";
    if (arg == "--extra-opts" && i + 1 < args.size() && !args[i + 1].empty() &&
        args[i + 1].front() != '-') {
      locator = args[++i];
    }
    auto read = read_extra_opts(locator, program_);
    if (!read) {
      error_ = read.failure().message;
      return false;
    }
    for (const auto& ini : read->options) {
      // "--extra-opts: FILE line N: "
      std::string where = "--extra-opts: ";
      where += read->file;
      where += " line " + std::to_string(ini.line) + ": ";
      const auto* option = find(ini.key);
      if (option == nullptr) {
        error_ = where + "unknown option '" + ini.key + "'";
        return false;
      }
      auto dash = ini.key.size() == 1 ? "-" + ini.key : "--" + ini.key;
      if (option->takes_value && ini.value.empty()) {
        error_ = where;
        error_ += dash + " needs a value";
        return false;
      }
      if (!option->takes_value && !ini.value.empty()) {
        error_ = where;
        error_ += dash + " takes no value (write '" + ini.key + "=')";
        return false;
      }
      first.push_back(dash);
      if (option->takes_value) first.push_back(ini.value);
    }
  }
  first.insert(first.end(), rest.begin(), rest.end());
  args = std::move(first);
  return true;
}

OptionParser::Result OptionParser::parse(int argc, const char* const* argv) {
  // --extra-opts: its options come first, whatever its place on the command line (as in
  // monitoring-plugins), so that the command line's own options win.
  std::vector<std::string> expanded;
  std::vector<const char*> expanded_argv;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "--extra-opts" || arg.rfind("--extra-opts=", 0) == 0) {
      expanded.assign(argv, argv + argc);
      if (!expand_extra_opts(expanded)) return Result::error;
      for (const auto& e : expanded)
        expanded_argv.push_back(e.c_str());
      expanded_argv.push_back(nullptr);
      argc = static_cast<int>(expanded.size());
      argv = expanded_argv.data();
      break;
    }
  }
  // getopt_long's table: the short option string and the long options, with -h and -V.
  std::string short_options = ":hV";
  std::vector<option> long_options;
  long_options.push_back({"help", no_argument, nullptr, 'h'});
  long_options.push_back({"version", no_argument, nullptr, 'V'});
  for (std::size_t i = 0; i < options_.size(); ++i) {
    const auto& o = options_[i];
    int id = o.short_name != 0 ? o.short_name : long_id_base + static_cast<int>(i);
    if (o.short_name != 0) {
      short_options += o.short_name;
      if (o.takes_value) short_options += ':';
    }
    for (const auto& name : o.long_names) {
      long_options.push_back(
          {name.c_str(), o.takes_value ? required_argument : no_argument, nullptr, id});
    }
  }
  long_options.push_back({nullptr, 0, nullptr, 0});

  auto name_of = [&](int id) -> std::string {
    for (const auto& o : options_) {
      if (o.short_name == id) return std::string("-") + o.short_name;
    }
    if (id >= long_id_base && id - long_id_base < static_cast<int>(options_.size())) {
      return "--" + options_[static_cast<std::size_t>(id - long_id_base)].long_names.front();
    }
    return std::string("-") + static_cast<char>(id);
  };

  // getopt keeps its state in globals; every parse starts afresh.
  optind = 0;
  opterr = 0;
  auto* args = const_cast<char* const*>(argv);
  int index = 0;
  for (;;) {
    int id = getopt_long(argc, args, short_options.c_str(), long_options.data(), &index);
    if (id == -1) break;
    if (id == 'h') return Result::help;
    if (id == 'V') return Result::version;
    if (id == '?') {
      error_ = optopt != 0 ? std::string("unknown option -") + static_cast<char>(optopt)
                           : "unknown option " + std::string(argv[optind - 1]);
      return Result::error;
    }
    if (id == ':') {
      error_ = (optopt != 0 && optopt < long_id_base ? std::string("-") + static_cast<char>(optopt)
                                                     : std::string(argv[optind - 1])) +
               " needs a value";
      return Result::error;
    }
    const Option* found = nullptr;
    if (id >= long_id_base) {
      found = &options_[static_cast<std::size_t>(id - long_id_base)];
    } else {
      for (const auto& o : options_) {
        if (o.short_name == id) found = &o;
      }
    }
    if (found == nullptr) {
      error_ = "unknown option " + name_of(id);
      return Result::error;
    }
    auto problem = found->apply(optarg);
    if (!problem.empty()) {
      error_ = name_of(id) + ": " + problem;
      return Result::error;
    }
  }
  for (int i = optind; i < argc; ++i) {
    if (operand_ != nullptr && operand_->empty()) {
      *operand_ = argv[i];
      continue;
    }
    error_ = "unexpected argument '" + std::string(argv[i]) + "'";
    return Result::error;
  }
  return Result::run;
}

std::string OptionParser::help() const {
  std::string text = "Usage: " + program_ + " [options]" +
                     (operand_ != nullptr ? " [" + operand_name_ + "]" : std::string()) + "\n" +
                     description_ + "\n\nOptions:\n";
  auto line = [&](const std::string& names, const std::string& help) {
    text += "  " + names;
    if (names.size() < 30) {
      text.append(30 - names.size(), ' ');
    } else {
      text += "\n" + std::string(32, ' ');
    }
    text += help + "\n";
  };
  line("-h, --help", "Show this help");
  line("-V, --version", "Show the version");
  line("--extra-opts[=[SECTION][@FILE]]",
       "Read options from a section of an ini file first (monitoring-plugins' extra-opts; "
       "SECTION defaults to " +
           program_ + ")");
  for (const auto& o : options_) {
    std::string names;
    if (o.short_name != 0) names += std::string("-") + o.short_name;
    for (const auto& l : o.long_names)
      names += (names.empty() ? "--" : ", --") + l;
    if (o.takes_value) names += " VALUE";
    line(names, o.help);
  }
  return text;
}

}  // namespace mailprobe::plugins
