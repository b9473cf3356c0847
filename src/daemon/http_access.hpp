#pragma once
// Who may use the daemon's HTTP server and how: HTTPS with a certificate of its own, and
// HTTP basic auth for a list of users. Off by default (the server listens on 127.0.0.1);
// needed as soon as it listens anywhere else.
//
//   http:
//     tls_cert_file: /etc/mailprobe/https.pem   # the certificate chain, leaf first
//     tls_key_file: /etc/mailprobe/https.key
//     users:                                    # basic auth for everything but /healthz
//       - {name: admin, password_file: /etc/mailprobe/admin.password}
//       - {name: prometheus, password_file: /etc/mailprobe/prometheus.password}

#include <boost/asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <string>

#include "daemon/config_reader.hpp"
#include "daemon/http_server.hpp"

namespace mailprobe::daemon {

struct HttpAccess {
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP
  std::map<std::string, std::string> users;        // name to password; empty: no login
};

// Reads `node` (the value of `http:`); throws ConfigError.
HttpAccess read_http_access(const Reader& reader, const YAML::Node& node);

// Whether `request` may be served: no users configured, /healthz (for load balancers and
// service managers; it tells nothing), or valid basic auth credentials of a user.
bool authorized(const HttpAccess& access, const HttpRequest& request);

// The 401 answer that asks for credentials.
HttpResponse unauthorized(const HttpRequest& request);

}  // namespace mailprobe::daemon
