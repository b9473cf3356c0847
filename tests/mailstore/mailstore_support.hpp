#pragma once
// What the MailStore plugin tests share: an emulator with MailStore's kind of self-signed
// certificate, its certificate in a file (for --ca-file), a password file, and the
// plugin's command line.

#include <gtest/gtest.h>

#include <fstream>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "fixtures/mailstore_emulator.hpp"
#include "support/plugin_runner.hpp"
#include "support/test_pki.hpp"

namespace mailprobe::test {

struct MailstoreTest : ::testing::Test {
  TestPki pki;
  Pem certificate = pki.self_signed("VMTECHMSS", {"DNS:localhost", "IP:127.0.0.1"});
  std::string directory = temp_directory();
  std::string ca_file = directory + "/mailstore.pem";
  std::string password_file = directory + "/password";
  std::unique_ptr<MailstoreEmulator> emulator;

  void SetUp() override {
    std::ofstream(ca_file) << certificate.certificate;
    std::ofstream(password_file) << "secret\n";
  }

  MailstoreEmulator::Options options() const {
    MailstoreEmulator::Options o;
    o.data_file = MAILPROBE_EMULATOR_DATA;
    o.certificate = certificate;
    return o;
  }

  void start(MailstoreEmulator::Options o) { emulator = std::make_unique<MailstoreEmulator>(o); }
  void start() { start(options()); }

  // plugin --host localhost --port P --ca-file F --password-file F <extra>
  std::vector<std::string> command(const std::string& plugin,
                                   std::initializer_list<std::string> extra) const {
    std::vector<std::string> argv{
        plugin,      "--host", "localhost",       "--port",     std::to_string(emulator->port()),
        "--ca-file", ca_file,  "--password-file", password_file};
    argv.insert(argv.end(), extra);
    return argv;
  }

  PluginRun check(std::initializer_list<std::string> extra) {
    return run_plugin(command("check_mailstore", extra));
  }
  PluginRun license(std::initializer_list<std::string> extra) {
    return run_plugin(command("check_mailstore_license", extra));
  }

  // The arguments of the last GetWorkerResults call.
  std::string last_worker_request() const {
    std::string body;
    for (const auto& request : emulator->requests()) {
      if (request.target == "/api/invoke/GetWorkerResults") body = request.body;
    }
    return body;
  }
};

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace mailprobe::test
