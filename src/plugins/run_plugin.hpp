#pragma once
// Runs one probe as a plugin: one io_context, one deadline, output on stdout, the state as
// the exit code.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "core/deadline.hpp"
#include "core/result.hpp"
#include "plugins/plugin_options.hpp"

namespace mailprobe::plugins {

using ProbeTask = std::function<boost::asio::awaitable<core::ProbeResult>(core::Deadline)>;

// A plugin's command line turned into a check to run. The task owns copies of its
// options, so that it can be run any number of times (the daemon does).
struct PluginCall {
  std::string service;
  ProbeTask task;
  double timeout_seconds = 10;
  OutputFormat format = OutputFormat::nagios;
  bool transcript = false;
  // The servers the check talks to, as given (names or addresses): the daemon warns when
  // its notifications would go through one of them.
  std::vector<std::string> servers;
};

// A command line that runs no check: --help, --version, or an option error, with what to
// print and the exit code.
struct PluginStop {
  int exit_code = 3;
  std::string output;
};

using PluginPlan = std::variant<PluginCall, PluginStop>;

PluginCall plugin_call(std::string service, ProbeTask task, double timeout_seconds,
                       OutputFormat format, bool transcript);

// "<SERVICE> UNKNOWN - <message>" with exit code 3: bad options never run a check.
PluginStop option_error(const std::string& service, const std::string& message);

// Runs the call under a deadline of its timeout, prints the result and returns the
// plugin exit code.
int run_plugin(const PluginCall& call);

// Runs the call's probe under a deadline of `budget_seconds` on the caller's executor (the
// daemon's way). A probe never throws by design; if one does, the result is UNKNOWN
// "internal error: ..." instead of an exception.
boost::asio::awaitable<core::ProbeResult> run_call(const PluginCall& call, double budget_seconds);

// Prints a stop's output and returns its exit code, or runs the call.
int execute(const PluginPlan& plan);

}  // namespace mailprobe::plugins
