#pragma once
// The Microsoft Graph emulator (tests/fixtures/graph_server.mjs) as a child process of an
// integration test: started with its arguments, stopped (SIGTERM, then SIGKILL) with the
// object; its test hooks through curl.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/plugin_runner.hpp"
#include "support/test_pki.hpp"

extern char** environ;

namespace mailprobe::test {

// The emulator as a child process: started once for a suite, stopped at its end.
class GraphServer {
 public:
  explicit GraphServer(std::vector<std::string> argv) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    log_ = temp_directory() + "/graph_server.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    int rc = ::posix_spawnp(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) {
      ::close(out[0]);
      throw std::runtime_error("cannot start " + argv[0]);
    }
    // "graph_server listening on https://127.0.0.1:P", within 10 s.
    std::string line;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < until) {
      pollfd fd{out[0], POLLIN, 0};
      if (::poll(&fd, 1, 100) <= 0) continue;
      char buffer[256];
      auto n = ::read(out[0], buffer, sizeof buffer);
      if (n <= 0) break;
      line.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    std::smatch match;
    if (!std::regex_search(line, match,
                           std::regex("listening on https://127\\.0\\.0\\.1:([0-9]+)"))) {
      stop();
      throw std::runtime_error("graph_server did not start: '" + line + "', log " + log_);
    }
    url_ = "https://localhost:" + match[1].str();
  }
  ~GraphServer() { stop(); }
  GraphServer(const GraphServer&) = delete;
  GraphServer& operator=(const GraphServer&) = delete;

  const std::string& url() const { return url_; }
  // POST a test hook (curl: the lab CA verifies the emulator's certificate).
  std::string hook(const std::string& path, const std::string& json = {}) const {
    std::vector<std::string> argv{"/usr/bin/curl",   "-sS", "--max-time", "5", "--cacert",
                                  lab("LAB_CA_FILE")};
    if (!json.empty()) argv.insert(argv.end(), {"-d", json});
    argv.push_back(url_ + path);
    return run_program(argv).output;
  }

 private:
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 50 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
      ::usleep(20000);
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
  }
  pid_t pid_ = -1;
  std::string log_;
  std::string url_;
};

}  // namespace mailprobe::test
