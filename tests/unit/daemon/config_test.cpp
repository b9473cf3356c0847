#include "daemon/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mailprobe::daemon {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mailprobe-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& yaml) {
    auto path = (dir_ / "mailprobe.yaml").string();
    std::ofstream(path) << yaml;
    return path;
  }
  // The error message of a configuration that must not load.
  std::string error_of(const std::string& yaml) {
    auto config = load_config(write(yaml));
    if (config) return "(loaded)";
    return config.failure().message;
  }

  fs::path dir_;
};

TEST_F(ConfigTest, DefaultsApply) {
  std::ofstream(dir_ / "pw") << "secret\n";
  auto config = load_config(write(R"(
checks:
  - name: smtp
    plugin: check_smtp
    args: [-H, 127.0.0.1, -p, "2525"]
  - name: rt
    plugin: check_mail_roundtrip
    args: [--smtp-host, 127.0.0.1, --receive-host, 127.0.0.1, --from, m@example.com, --to, a@example.com,
           --receive-user, a, --receive-password-file, )" +
                                  (dir_ / "pw").string() + R"(]
)"));
  ASSERT_TRUE(config) << config.failure().message;
  EXPECT_EQ(config->location, "default");
  EXPECT_EQ(config->listen_host, "127.0.0.1");
  EXPECT_EQ(config->listen_port, 9797);
  ASSERT_EQ(config->checks.size(), 2U);
  const auto& smtp = config->checks[0];
  EXPECT_EQ(smtp.interval, milliseconds(300'000));
  EXPECT_EQ(smtp.retry_interval, milliseconds(30'000));
  EXPECT_EQ(smtp.max_attempts, 2);
  EXPECT_FALSE(smtp.passive);
  EXPECT_EQ(smtp.line, 3);
  EXPECT_EQ(config->checks[1].interval, milliseconds(1'200'000));
}

TEST_F(ConfigTest, EverythingSet) {
  auto config = load_config(write(R"(
location: lab-1
listen: "[::1]:9898"
database: /tmp/x.sqlite
retention: 7d
max_concurrent: 10
defaults: {interval: 1m, retry_interval: 10s, max_attempts: 3}
checks:
  - name: imap
    plugin: check_imap
    args: [-H, 127.0.0.1]
    interval: 2m
    timeout: 20s
    labels: {role: archive, site: "b"}
    passive: true
)"));
  ASSERT_TRUE(config) << config.failure().message;
  EXPECT_EQ(config->location, "lab-1");
  EXPECT_EQ(config->listen_host, "::1");
  EXPECT_EQ(config->listen_port, 9898);
  EXPECT_EQ(config->retention, milliseconds(7 * 86'400'000LL));
  EXPECT_EQ(config->max_concurrent, 10);
  const auto& imap = config->checks[0];
  EXPECT_EQ(imap.interval, milliseconds(120'000));
  EXPECT_EQ(imap.retry_interval, milliseconds(10'000));
  EXPECT_EQ(imap.max_attempts, 3);
  EXPECT_TRUE(imap.passive);
  EXPECT_DOUBLE_EQ(imap.call.timeout_seconds, 20);
  EXPECT_EQ(imap.labels.at("role"), "archive");
}

TEST_F(ConfigTest, ErrorsSayFileLineKeyAndWhat) {
  auto file = (dir_ / "mailprobe.yaml").string();
  const std::string head = "checks:\n  - name: a\n    plugin: check_smtp\n    args: [-H, h]\n";
  struct Case {
    std::string yaml;
    std::string message;  // after "FILE:"
  };
  const Case cases[] = {
      {"", ": the file is empty"},
      {"chekcs: []\n", "1: chekcs: unknown key"},
      {"listen: 9797\n" + head, "1: listen: '9797' is not HOST:PORT"},
      {"listen: host:70000\n" + head, "1: listen: 'host:70000' is not HOST:PORT"},
      {"listen: host:80x\n" + head, "1: listen: 'host:80x' is not HOST:PORT"},
      {"listen: :80\n" + head, "1: listen: ':80' is not HOST:PORT"},
      {"retention: forever\n" + head, "1: retention: 'forever' is not a duration"},
      {"retention: 99999999999999999999999d\n" + head,
       "1: retention: '99999999999999999999999d' is out of range (from 1h to 36500d)"},
      {"defaults: {retry_interval: 99999999999999999999999d}\n" + head,
       "1: defaults.retry_interval: '99999999999999999999999d' is out of range (from 1s to "
       "366d)"},
      {head + "    retry_interval: 0s\n",
       "5: checks[0].retry_interval: '0s' is out of range (from 1s to 366d)"},
      {head + "    timeout: 2d\n    interval: 1h\n",
       "5: checks[0].timeout: '2d' is out of range (from 10ms to 1d)"},
      {"max_concurrent: 0\n" + head, "1: max_concurrent: '0' is not a whole number from 1"},
      {"defaults: {interval: 5m, tries: 3}\n" + head, "1: defaults.tries: unknown key"},
      {"checks: []\n", "1: checks: a list of at least one check is needed"},
      {"checks:\n  - plugin: check_smtp\n", "2: checks[0].name: missing"},
      {"checks:\n  - name: a\n    plugin: check_smpt\n",
       "3: checks[0].plugin: unknown plugin 'check_smpt'"},
      {head + "    intervall: 5m\n", "5: checks[0].intervall: unknown key"},
      {head + "    interval: 5\n    timeout: 10s\n",
       "5: checks[0].interval: 5s must be longer than the check's timeout (10s; set timeout or "
       "-t)"},
      {head + "    interval: 5s\n",
       "5: checks[0].interval: 5s must be longer than the check's timeout (10s"},
      {head + "    max_attempts: eleven\n",
       "5: checks[0].max_attempts: 'eleven' is not a whole number"},
      {head + "    passive: maybe\n", "5: checks[0].passive: 'maybe' is not true or false"},
      {head + "    labels: [a]\n", "5: checks[0].labels: must be a mapping"},
      {"checks:\n  - name: a\n    plugin: check_smtp\n    args: [-H, h, --bogus]\n",
       "4: checks[0].args: "},
      {"checks:\n  - name: a\n    plugin: check_smtp\n    args: [--help]\n",
       "4: checks[0].args: --help and --version do not run a check"},
      {head + "  - name: a\n    plugin: check_imap\n    args: [-H, h]\n",
       "5: checks[1].name: 'a' is used twice"},
      {"checks: [\n", "1: not valid YAML"},  // not line 2 of a file of one line
      {"listen: localhost:9797\n" + head, "1: listen: 'localhost' is not an IP address"},
      {"- a\n", "1: the configuration must be a mapping"},
      // yaml-cpp alone would keep the first of two equal keys and drop the second.
      {head + "checks:\n  - name: b\n    plugin: check_imap\n",
       "5: checks: given twice (first at line 1)"},
      {head + "    passive: true\n    passive: false\n",
       "6: checks[0].passive: given twice (first at line 5)"},
      {head + "    labels: {a: x, a: y}\n", "5: checks[0].labels.a: given twice"},
      {head + "modules: [a]\n", "5: modules: must be a mapping of names to modules"},
      {head + "modules:\n  m: {plugin: check_smtp, args: [-S, -H, h]}\n",
       "6: modules.m.args: '-H': the host and port come from the request's target"},
      {head + "modules:\n  m: {plugin: check_smtp, args: [-p, \"25\"]}\n",
       "6: modules.m.args: '-p': the host and port come from the request's target"},
      {head + "modules:\n  m: {plugin: check_mailq}\n",
       "6: modules.m.plugin: check_mailq has no target; schedule it as a check instead"},
      {head + "modules:\n  m: {plugin: check_smtp, args: [--bogus]}\n", "6: modules.m.args: "},
      {head + "modules:\n  m: {plugin: check_smtp, tiemout: 5s}\n",
       "6: modules.m.tiemout: unknown key"},
  };
  for (const auto& c : cases) {
    auto message = error_of(c.yaml);
    EXPECT_NE(message.find(c.message), std::string::npos) << c.yaml << "\n=> " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.rfind(file, 0), 0U) << message;
  }
}

TEST_F(ConfigTest, Modules) {
  auto config = load_config(write(R"(
checks:
  - {name: a, plugin: check_smtp, args: [-H, h]}
modules:
  smtp_starttls: {plugin: check_smtp, args: [-S], timeout: 5s}
  mailstore: {plugin: check_mailstore, args: [-p, archive, --password, x, -s, since:1d]}
  mx: {plugin: check_mx, args: [--require-dane]}
)"));
  ASSERT_TRUE(config) << config.failure().message;
  ASSERT_EQ(config->modules.size(), 3U);
  // check_mx takes the request's target as its domain (--host).
  EXPECT_EQ(module_arguments(config->modules.at("mx"), "example.org", "", false),
            (std::vector<std::string>{"--require-dane", "--host", "example.org"}));
  const auto& smtp = config->modules.at("smtp_starttls");
  EXPECT_EQ(smtp.plugin, "check_smtp");
  EXPECT_DOUBLE_EQ(smtp.timeout_seconds, 5);
  EXPECT_EQ(module_arguments(smtp, "mx.example.com", "587", true),
            (std::vector<std::string>{"-S", "--host", "mx.example.com", "--port", "587", "-v"}));
  EXPECT_EQ(module_arguments(smtp, "mx.example.com", "", false),
            (std::vector<std::string>{"-S", "--host", "mx.example.com"}));
  // MailStore's -p is its profile, not a port.
  EXPECT_EQ(config->modules.at("mailstore").args.front(), "-p");
}

TEST_F(ConfigTest, AMissingFileIsAnError) {
  auto config = load_config((dir_ / "absent.yaml").string());
  ASSERT_FALSE(config);
  EXPECT_NE(config.failure().message.find("absent.yaml: cannot read the file"), std::string::npos);
}

}  // namespace
}  // namespace mailprobe::daemon
