#include "probes/run_command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

#include "core/format.hpp"

extern char** environ;

namespace mailprobe::probes {

namespace asio = boost::asio;

boost::asio::awaitable<core::Outcome<CommandOutput>> run_command(
    std::vector<std::string> argv, std::vector<std::string> environment, core::Deadline deadline,
    std::size_t keep, Inherit inherit) {
  auto fail = [&](std::string message) -> core::Outcome<CommandOutput> {
    return core::Failure{"command", core::FailureKind::config, std::move(message)};
  };
  if (argv.empty()) co_return fail("no command given");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    co_return fail(std::string("pipe: ") + std::strerror(errno));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  std::vector<std::string> env_strings;
  auto basic = [](std::string_view entry) {
    static constexpr std::string_view names[] = {"PATH=",   "HOME=", "USER=", "LOGNAME=",  "SHELL=",
                                                 "TMPDIR=", "TZ=",   "LANG=", "LANGUAGE=", "LC_"};
    for (auto name : names) {
      if (entry.substr(0, name.size()) == name) return true;
    }
    return false;
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (inherit == Inherit::all || basic(*e)) env_strings.emplace_back(*e);
  }
  for (const auto& extra : environment)
    env_strings.push_back(extra);
  std::vector<char*> env_pointers;
  env_pointers.reserve(env_strings.size() + 1);
  for (auto& e : env_strings)
    env_pointers.push_back(e.data());
  env_pointers.push_back(nullptr);
  std::vector<char*> arg_pointers;
  arg_pointers.reserve(argv.size() + 1);
  for (auto& a : argv)
    arg_pointers.push_back(a.data());
  arg_pointers.push_back(nullptr);

  // The child leads a process group of its own, so that a timeout kills whatever it
  // started too (a wrapper script's children would otherwise keep the output open).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = 0;
  int spawned = ::posix_spawnp(&pid, arg_pointers[0], &actions, &attributes, arg_pointers.data(),
                               env_pointers.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(pipe_fds[1]);
  if (spawned != 0) {
    ::close(pipe_fds[0]);
    co_return fail("cannot run " + argv[0] + ": " + std::strerror(spawned));
  }

  auto executor = co_await asio::this_coro::executor;
  asio::posix::stream_descriptor reader(executor, pipe_fds[0]);
  asio::steady_timer timer(executor);
  timer.expires_at(deadline.at());
  // Shared with the timer's handler, which may run after this coroutine has finished.
  struct Watch {
    pid_t pid;
    bool exited = false;
    bool timed_out = false;
  };
  auto watch = std::make_shared<Watch>(Watch{pid});
  timer.async_wait([watch](const boost::system::error_code& ec) {
    if (ec || watch->exited) return;
    watch->timed_out = true;
    ::kill(-watch->pid, SIGKILL);
  });

  CommandOutput result;
  char buffer[16384];
  for (;;) {
    auto [ec, n] =
        co_await reader.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    result.output.append(buffer, n);
    if (result.output.size() > keep) {
      // Keep the tail: a queue listing ends with its summary.
      result.output.erase(0, result.output.size() - keep);
      result.truncated = true;
    }
    if (ec) break;
  }
  timer.cancel();
  // The output ended, so the child has exited or closed its output; reap it. A child that
  // closed its output but lives on is killed once the deadline passes.
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) break;
    if (deadline.expired()) {
      watch->timed_out = true;
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    asio::steady_timer pause(executor, std::chrono::milliseconds(5));
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  watch->exited = true;  // the pid may be reused from now on: the handler must not kill it
  if (watch->timed_out) {
    co_return core::Failure{"command", core::FailureKind::timeout,
                            "timeout after " +
                                core::format_seconds(core::seconds(deadline.budget())) +
                                " waiting for " + argv[0]};
  }
  result.exit_status = WIFEXITED(status)     ? WEXITSTATUS(status)
                       : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                             : -1;
  co_return result;
}

}  // namespace mailprobe::probes
