#pragma once
// Runs a coroutine to completion on an io_context, for tests.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace mailprobe::test {

namespace detail {
template <class T>
boost::asio::awaitable<void> store(boost::asio::awaitable<T> task, std::optional<T>& result,
                                   std::exception_ptr& error) {
  try {
    result.emplace(co_await std::move(task));
  } catch (...) {
    error = std::current_exception();
  }
}
inline boost::asio::awaitable<void> store(boost::asio::awaitable<void> task,
                                          std::exception_ptr& error) {
  try {
    co_await std::move(task);
  } catch (...) {
    error = std::current_exception();
  }
}
}  // namespace detail

// Runs `task` and everything else on `io` until no work is left; returns the task's value.
template <class T>
T run(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::exception_ptr error;
  if constexpr (std::is_void_v<T>) {
    boost::asio::co_spawn(io, detail::store(std::move(task), error), boost::asio::detached);
    io.run();
    io.restart();
    if (error) std::rethrow_exception(error);
  } else {
    std::optional<T> result;
    boost::asio::co_spawn(io, detail::store(std::move(task), result, error), boost::asio::detached);
    io.run();
    io.restart();
    if (error) std::rethrow_exception(error);
    return std::move(*result);
  }
}

}  // namespace mailprobe::test
