#pragma once
// Completion handlers for coroutines started with co_spawn and not awaited. Asio's
// `detached` drops a coroutine's exception without a word: a probe or a loop that died that
// way leaves nothing behind but its silence. These hand the failure on as one line instead.

#include <cstdio>
#include <exception>
#include <string>
#include <utility>

namespace mailprobe::net {

// The exception's what(), or "unknown exception".
inline std::string describe(const std::exception_ptr& error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
  return {};
}

// co_spawn(executor, coroutine, on_failure([](const std::string& why) { ... })):
// `report` is called with the failure's text when the coroutine threw.
template <class Report>
auto on_failure(Report report) {
  return [report = std::move(report)](const std::exception_ptr& error, auto&&...) mutable {
    if (error) report(describe(error));
  };
}

// Says "mailprobe: WHAT failed: WHY" on standard error (the daemon's log).
inline auto log_failure(std::string what) {
  return on_failure([what = std::move(what)](const std::string& why) {
    std::fprintf(stderr, "mailprobe: %s failed: %s\n", what.c_str(), why.c_str());
    std::fflush(stderr);
  });
}

}  // namespace mailprobe::net
