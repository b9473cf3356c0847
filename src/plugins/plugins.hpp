#pragma once
// The plugins of the mailprobe binary, each a function of its command line: what the program
// (argv[0] dispatch, `mailprobe check`) and the daemon (its configuration's checks) share.

#include <optional>
#include <string>
#include <vector>

#include "plugins/option_parser.hpp"
#include "plugins/run_plugin.hpp"

namespace mailprobe::plugins {

inline constexpr const char* version = "mailprobe " MAILPROBE_VERSION;

// Each turns a command line into a check to run, or what to print instead. `name` is
// what the user called (check_smtp, ...).
PluginPlan check_smtp(const std::string& name, int argc, const char* const* argv);
PluginPlan check_tcp_family(const std::string& name, int argc, const char* const* argv);
PluginPlan check_mailq(const std::string& name, int argc, const char* const* argv);
PluginPlan check_mailstore(const std::string& name, int argc, const char* const* argv);
PluginPlan check_mailstore_license(const std::string& name, int argc, const char* const* argv);
PluginPlan check_roundtrip(const std::string& name, int argc, const char* const* argv);
PluginPlan check_mx(const std::string& name, int argc, const char* const* argv);
PluginPlan check_mail_domain(const std::string& name, int argc, const char* const* argv);
PluginPlan check_dnsbl(const std::string& name, int argc, const char* const* argv);

using Plugin = PluginPlan (*)(const std::string& name, int argc, const char* const* argv);

// The plugin called `name` (check_smtp, check_mail_roundtrip, ...), or nullptr.
Plugin find_plugin(const std::string& name);

// Plans a plugin from a name and its arguments (without the name), as the daemon does with
// the command lines of its configuration.
PluginPlan plan_plugin(const std::string& name, const std::vector<std::string>& arguments);

// Parses the command line: nullopt when the check should run, else what to print (help,
// version, or the error as an UNKNOWN line) with its exit code.
std::optional<PluginStop> parse_plugin_options(OptionParser& parser, int argc,
                                               const char* const* argv, const std::string& service);

}  // namespace mailprobe::plugins
