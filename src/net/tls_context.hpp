#pragma once
// The client side of TLS: trust anchors and whether to verify. One context serves many
// connections (the daemon shares it between probes with the same settings).

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/outcome.hpp"

namespace mailprobe::net {

struct TlsClientOptions {
  // Verify the chain and the host name. Off only by an explicit user choice
  // (--insecure), which the output then reports.
  bool verify = true;
  // PEM file of trusted CAs; empty means the system's CAs.
  std::string ca_file;
  // --ignore-certificate-expiration: an expired certificate does not fail verification
  // (everything else still does); its dates are still reported.
  bool allow_expired = false;
};

class TlsClientContext {
 public:
  // Fails (phase "tls", kind config) when the CA file cannot be loaded. Probes with the
  // same options share one context (and one copy of the CAs) while the CA file stays the
  // same: the daemon plans thousands of checks and a /probe per scrape.
  static core::Outcome<std::shared_ptr<TlsClientContext>> create(const TlsClientOptions& options);

  // A context that builds its OpenSSL context at the first build(), for a one-shot check:
  // it builds it once its connection is up, so that the 3 ms of OpenSSL set-up overlap the
  // server accepting the connection instead of coming before it (bench/README.md). A CA
  // file that cannot be opened fails here already, before anything is sent. With
  // `defer_error_texts` (a process whose first OpenSSL call is this build), the build
  // starts by deferring OpenSSL's error texts (openssl_texts.hpp).
  static core::Outcome<std::shared_ptr<TlsClientContext>> deferred(const TlsClientOptions& options,
                                                                   bool defer_error_texts);

  // Builds the OpenSSL context if it is not built yet (the failures of create()); cheap
  // once built. Connection::start_tls calls it, so a deferred context works anywhere.
  core::Status build();

  // The OpenSSL context; only after a successful build() (create() returns it built).
  boost::asio::ssl::context& native() { return *context_; }
  const TlsClientOptions& options() const { return options_; }

 private:
  explicit TlsClientContext(const TlsClientOptions& options);
  std::mutex build_mutex_;
  std::optional<boost::asio::ssl::context> context_;
  TlsClientOptions options_;
  bool defer_error_texts_ = false;
};

}  // namespace mailprobe::net
