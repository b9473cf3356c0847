#pragma once
// Runs one probe as a plugin: one io_context, one deadline, output on stdout, the state as
// the exit code.

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "cli/plugin_options.hpp"
#include "core/deadline.hpp"
#include "core/result.hpp"

namespace mailprobe::cli {

using ProbeTask = std::function<boost::asio::awaitable<core::ProbeResult>(core::Deadline)>;

// Runs `task` under a deadline of `timeout_seconds`, prints the result and returns the
// plugin exit code.
int run_plugin(const ProbeTask& task, double timeout_seconds, OutputFormat format, bool transcript);

// Prints "<SERVICE> UNKNOWN - <message>" and returns 3: bad options never run a check.
int option_error(const std::string& service, const std::string& message);

}  // namespace mailprobe::cli
