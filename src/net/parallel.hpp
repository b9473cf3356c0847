#pragma once
// Runs coroutines side by side on the caller's executor and waits for all of them: the
// parts of a domain check, the queries of a blocklist check. Each task bounds itself (its
// deadline); one that throws, a fault of ours, gets the value `on_fault` makes of the
// exception's text instead of vanishing.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <string>
#include <vector>

#include "net/spawn.hpp"

namespace mailprobe::net {

template <class T>
using Task = std::function<boost::asio::awaitable<T>()>;

// The tasks' values in the order of `tasks`.
template <class T>
boost::asio::awaitable<std::vector<T>> run_all(
    std::vector<Task<T>> tasks,
    std::function<T(std::size_t index, const std::string& why)> on_fault) {
  auto executor = co_await boost::asio::this_coro::executor;
  std::vector<T> values(tasks.size());
  std::size_t left = tasks.size();
  boost::asio::steady_timer all_done(executor, boost::asio::steady_timer::time_point::max());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    boost::asio::co_spawn(
        executor, [&, i]() -> boost::asio::awaitable<void> { values[i] = co_await tasks[i](); },
        [&, i](const std::exception_ptr& error) {
          if (error) values[i] = on_fault(i, describe(error));
          if (--left == 0) all_done.cancel();
        });
  }
  if (left > 0) co_await all_done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  co_return values;
}

}  // namespace mailprobe::net
