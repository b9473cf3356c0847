#pragma once
// The client side of TLS: trust anchors and whether to verify. One context serves many
// connections (the daemon shares it between probes with the same settings).

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
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

  boost::asio::ssl::context& native() { return context_; }
  const TlsClientOptions& options() const { return options_; }

 private:
  TlsClientContext(SSL_CTX* native, const TlsClientOptions& options);
  static core::Outcome<std::shared_ptr<TlsClientContext>> make(const TlsClientOptions& options);
  boost::asio::ssl::context context_;
  TlsClientOptions options_;
};

}  // namespace mailprobe::net
