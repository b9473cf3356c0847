#include "plugins/run_plugin.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <exception>
#include <optional>

#include "output/json.hpp"
#include "output/nagios.hpp"

namespace mailprobe::plugins {

namespace {
boost::asio::awaitable<void> run_into(const ProbeTask& task, core::Deadline deadline,
                                      std::optional<core::ProbeResult>& out,
                                      std::exception_ptr& error) {
  try {
    out = co_await task(deadline);
  } catch (...) {
    error = std::current_exception();
  }
}
}  // namespace

PluginCall plugin_call(std::string service, ProbeTask task, double timeout_seconds,
                       OutputFormat format, bool transcript) {
  return PluginCall{std::move(service), std::move(task), timeout_seconds, format, transcript, {}};
}

int execute(const PluginPlan& plan) {
  if (const auto* stop = std::get_if<PluginStop>(&plan)) {
    std::fwrite(stop->output.data(), 1, stop->output.size(), stdout);
    return stop->exit_code;
  }
  return run_plugin(std::get<PluginCall>(plan));
}

int run_plugin(const PluginCall& call) {
  const auto& task = call.task;
  auto timeout_seconds = call.timeout_seconds;
  auto format = call.format;
  auto transcript = call.transcript;
  auto deadline = core::Deadline::after_seconds(timeout_seconds);
  boost::asio::io_context io(1);
  std::optional<core::ProbeResult> result;
  std::exception_ptr error;
  boost::asio::co_spawn(io, run_into(task, deadline, result, error), boost::asio::detached);
  io.run();
  if (error || !result) {
    // A probe never throws by design; if one does, it is a bug, said as UNKNOWN.
    std::string what = "internal error";
    try {
      if (error) std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what += std::string(": ") + e.what();
    } catch (...) {
    }
    std::fputs(("UNKNOWN - " + what + "\n").c_str(), stdout);
    return 3;
  }
  std::string text = format == OutputFormat::json ? output::render_json(*result)
                                                  : output::render_nagios(*result, transcript);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return core::exit_code(result->overall());
}

boost::asio::awaitable<core::ProbeResult> run_call(const PluginCall& call, double budget_seconds) {
  std::string what;
  try {
    co_return co_await call.task(core::Deadline::after_seconds(budget_seconds));
  } catch (const std::exception& e) {
    what = e.what();
  }
  core::ProbeResult result;
  result.service = call.service;
  result.state = core::State::unknown;
  result.summary = "internal error: " + what;
  co_return result;
}

PluginStop option_error(const std::string& service, const std::string& message) {
  return PluginStop{3, service + " UNKNOWN - " + message + "\n"};
}

}  // namespace mailprobe::plugins
