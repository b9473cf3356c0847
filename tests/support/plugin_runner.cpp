#include "support/plugin_runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace mailprobe::test {

namespace {
std::map<std::string, std::string> read_key_values(const std::string& path) {
  std::map<std::string, std::string> parsed;
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read " + path);
  std::string line;
  while (std::getline(file, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) parsed[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return parsed;
}

// Settings from the file $MAILPROBE_TEST_CONFIG that CMake writes.
std::string required_env(const char* name) {
  static const std::map<std::string, std::string> config = [] {
    const char* path = std::getenv("MAILPROBE_TEST_CONFIG");
    if (path == nullptr || *path == '\0') {
      throw std::runtime_error("MAILPROBE_TEST_CONFIG is not set (run the tests through ctest)");
    }
    return read_key_values(path);
  }();
  auto it = config.find(name);
  if (it == config.end()) throw std::runtime_error(std::string(name) + " missing in test config");
  return it->second;
}

PluginRun spawn(const std::string& path, const std::vector<std::string>& argv,
                const std::map<std::string, std::string>& environment,
                const std::string& input = {}, bool with_stderr = false) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  // Standard input: the given text, through a temporary file (no second pipe to pump).
  auto input_path = std::string("/tmp/mailprobe-test-input-") + std::to_string(::getpid());
  { std::ofstream(input_path, std::ios::binary) << input; }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, input_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  if (with_stderr) posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    env.emplace_back(*e);
  for (const auto& [key, value] : environment)
    env.push_back(key + "=" + value);
  std::vector<char*> env_ptrs;
  for (auto& e : env)
    env_ptrs.push_back(e.data());
  env_ptrs.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_ptrs;
  for (auto& a : args)
    arg_ptrs.push_back(a.data());
  arg_ptrs.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, arg_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + path);
  }
  PluginRun run;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) {
    run.output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::unlink(input_path.c_str());
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}
}  // namespace

PluginRun run_plugin(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& environment) {
  return spawn(required_env("MAILPROBE_BIN_DIR") + "/" + argv.at(0), argv, environment);
}

PluginRun run_plugin_with_input(const std::vector<std::string>& argv, const std::string& input) {
  return spawn(required_env("MAILPROBE_BIN_DIR") + "/" + argv.at(0), argv, {}, input);
}

PluginRun run_plugin_with_stderr(const std::vector<std::string>& argv, const std::string& input) {
  return spawn(required_env("MAILPROBE_BIN_DIR") + "/" + argv.at(0), argv, {}, input, true);
}

PluginRun run_program(const std::vector<std::string>& argv, const std::string& input) {
  return spawn(argv.at(0), argv, {}, input);
}

const std::map<std::string, std::string>& lab() {
  static const std::map<std::string, std::string> values =
      read_key_values(required_env("MAILPROBE_LAB_ENV"));
  return values;
}

const std::string& lab(const std::string& key) {
  auto it = lab().find(key);
  if (it == lab().end()) throw std::runtime_error("lab.env has no " + key);
  return it->second;
}

const std::string& dnslab(const std::string& key) {
  static const std::map<std::string, std::string> values =
      read_key_values(required_env("MAILPROBE_DNSLAB_ENV"));
  auto it = values.find(key);
  if (it == values.end()) throw std::runtime_error("dnslab.env has no " + key);
  return it->second;
}

std::vector<std::string> dnslab_resolver_options() {
  return {"--resolver", dnslab("DNSLAB_RESOLVER"), "--trust-anchor",
          dnslab("DNSLAB_TRUST_ANCHOR_FILE")};
}

int lab_command(const std::string& command) {
  auto script = required_env("MAILPROBE_LAB_SCRIPT");
  return spawn(script, {script, command},
               {{"MAILPROBE_LAB_DIR", required_env("MAILPROBE_LAB_DIR")},
                {"MAILPROBE_LAB_PORT_BASE", required_env("MAILPROBE_LAB_PORT_BASE")}})
      .exit_code;
}

}  // namespace mailprobe::test
