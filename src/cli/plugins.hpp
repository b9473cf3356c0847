#pragma once
// The plugins of the mailprobe binary, each a function of its command line.

#include <CLI/CLI.hpp>
#include <string>

namespace mailprobe::cli {

inline constexpr const char* version = "mailprobe " MAILPROBE_VERSION;

// Each returns the plugin exit code. `name` is what the user called (check_smtp, ...).
int check_smtp(const std::string& name, int argc, const char* const* argv);
int check_tcp_family(const std::string& name, int argc, const char* const* argv);
int check_mailq(const std::string& name, int argc, const char* const* argv);

// Prints help/version (exit 0) or the parse error as an UNKNOWN line (exit 3).
int parse_error(const CLI::App& app, const CLI::ParseError& error, const std::string& service);

}  // namespace mailprobe::cli
