#pragma once
// The options check_mailstore and check_mailstore_license share: where the MailStore
// Server Administration API is, how to log in, how to trust its certificate.

#include <string>

#include "core/outcome.hpp"
#include "plugins/option_parser.hpp"
#include "plugins/plugin_options.hpp"
#include "protocol/mailstore_api.hpp"

namespace mailprobe::plugins {

struct MailstoreApiOptions {
  std::string host = "localhost";
  int port = 8463;
  bool ipv4 = false;
  bool ipv6 = false;
  std::string user = "admin";
  std::string password;  // --password/--pass: compatibility only, visible in ps
  std::string password_file;
  std::string password_env;
  std::string ca_file;
  std::string fingerprint;
  bool insecure = false;
  double timeout = 30;
  int verbose = 0;
  std::string output_format = "nagios";
};

// Registers --host/-H, --port, -4, -6, --username/--user/--userName/-U, --password/--pass,
// --password-file, --password-env, --ca-file, --fingerprint, --insecure, -t, -v,
// --output-format.
void add_mailstore_api_options(OptionParser& app, MailstoreApiOptions& options);

// Checks them and reads the password; failures are option errors (UNKNOWN).
core::Outcome<protocol::mailstore::ApiEndpoint> make_api_endpoint(
    const MailstoreApiOptions& options);

}  // namespace mailprobe::plugins
