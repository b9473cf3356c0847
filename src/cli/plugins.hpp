#pragma once
// The plugins of the mailprobe binary, each a function of its command line.

#include <optional>
#include <string>

#include "cli/option_parser.hpp"

namespace mailprobe::cli {

inline constexpr const char* version = "mailprobe " MAILPROBE_VERSION;

// Each returns the plugin exit code. `name` is what the user called (check_smtp, ...).
int check_smtp(const std::string& name, int argc, const char* const* argv);
int check_tcp_family(const std::string& name, int argc, const char* const* argv);
int check_mailq(const std::string& name, int argc, const char* const* argv);
int check_mailstore(const std::string& name, int argc, const char* const* argv);
int check_mailstore_license(const std::string& name, int argc, const char* const* argv);
int check_roundtrip(const std::string& name, int argc, const char* const* argv);
// `mailprobe reflect`: not a plugin; exit codes for a mail system's pipe (0, or 75).
int reflect(const std::string& name, int argc, const char* const* argv);

// Parses the command line: prints help or version (exit 0) or the error as an UNKNOWN line
// (exit 3) and returns that exit code; returns nullopt when the check should run.
std::optional<int> parse_plugin_options(OptionParser& parser, int argc, const char* const* argv,
                                        const std::string& service);

}  // namespace mailprobe::cli
