#pragma once
// Certificates made in memory for tests: a CA and leaves with chosen names and validity.

#include <string>
#include <vector>

namespace mailprobe::test {

struct Pem {
  std::string certificate;
  std::string key;
};

class TestPki {
 public:
  // A CA valid from yesterday for `ca_days` days.
  explicit TestPki(long ca_days = 3650);

  // A leaf signed by the CA, valid from now + from_days to now + to_days. `names` are
  // subjectAltName entries ("DNS:localhost", "IP:127.0.0.1").
  Pem issue(const std::string& common_name, const std::vector<std::string>& names,
            long from_days = -1, long to_days = 365) const;
  // A leaf signed by itself.
  Pem self_signed(const std::string& common_name, const std::vector<std::string>& names) const;

  const Pem& ca() const { return ca_; }
  // Writes the CA certificate to a file in a fresh temporary directory; returns its path.
  std::string ca_file() const;

 private:
  Pem ca_;
};

// A fresh directory under the system's temp directory, removed by the OS eventually.
std::string temp_directory();

}  // namespace mailprobe::test
