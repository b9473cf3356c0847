#pragma once
// Runs a mailprobe plugin as a user would (a check_* symlink with arguments) and captures
// its stdout and exit code, for integration tests.

#include <map>
#include <string>
#include <vector>

namespace mailprobe::test {

struct PluginRun {
  int exit_code = -1;
  std::string output;  // stdout
  std::string first_line() const { return output.substr(0, output.find('\n')); }
};

// `argv[0]` is a plugin name (check_smtp, ...) or "mailprobe"; it is looked up in the
// directory named by $MAILPROBE_BIN_DIR. Aborts the test run if that is not set.
PluginRun run_plugin(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& environment = {});
// The same, with `input` on standard input (mailprobe reflect reads a message there).
PluginRun run_plugin_with_input(const std::vector<std::string>& argv, const std::string& input);
// The same, with standard error in `output` too (the reflector logs there).
PluginRun run_plugin_with_stderr(const std::vector<std::string>& argv,
                                 const std::string& input = {});

// Runs a program of the system (doveadm, sendmail) with arguments; output and exit code.
PluginRun run_program(const std::vector<std::string>& argv, const std::string& input = {});

// The lab's lab.env, read once from the file named by $MAILPROBE_LAB_ENV.
const std::map<std::string, std::string>& lab();
// lab().at(key), with a readable failure when the key is missing.
const std::string& lab(const std::string& key);

// The DNS lab's dnslab.env ($MAILPROBE_DNSLAB_ENV): dnslab("DNSLAB_RESOLVER").
const std::string& dnslab(const std::string& key);
// --resolver and --trust-anchor of the DNS lab, for the domain checks.
std::vector<std::string> dnslab_resolver_options();

// Runs tests/lab/lab with `command` (hold, release, reset-mail) against the test lab.
int lab_command(const std::string& command);

}  // namespace mailprobe::test
