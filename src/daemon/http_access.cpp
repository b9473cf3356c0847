#include "daemon/http_access.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "plugins/plugin_options.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::daemon {

namespace ssl = boost::asio::ssl;

namespace {

// Compares without stopping at the first difference: the time of a wrong guess does not
// tell how much of it was right.
bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

HttpAccess read_http_access(const Reader& reader, const YAML::Node& node) {
  const std::string where = "http";
  reader.only(node, where, {"tls_cert_file", "tls_key_file", "users"});
  HttpAccess access;
  if (node["tls_cert_file"] || node["tls_key_file"]) {
    if (!node["tls_cert_file"] || !node["tls_key_file"]) {
      reader.fail(node, where + (node["tls_cert_file"] ? ".tls_key_file" : ".tls_cert_file"),
                  "missing (tls_cert_file and tls_key_file go together)");
    }
    auto cert = reader.text(node["tls_cert_file"], where + ".tls_cert_file");
    auto key = reader.text(node["tls_key_file"], where + ".tls_key_file");
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    context->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    boost::system::error_code ec;
    context->use_certificate_chain_file(cert, ec);
    if (ec)
      reader.fail(node["tls_cert_file"], where + ".tls_cert_file", cert + ": " + ec.message());
    context->use_private_key_file(key, ssl::context::pem, ec);
    if (ec) reader.fail(node["tls_key_file"], where + ".tls_key_file", key + ": " + ec.message());
    if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
      reader.fail(node["tls_key_file"], where + ".tls_key_file",
                  key + " is not the key of the certificate in " + cert);
    }
    access.tls = std::move(context);
  }
  if (auto users = node["users"]) {
    if (!users.IsSequence() || users.size() == 0) {
      reader.fail(users, where + ".users", "must be a list of {name, password_file}");
    }
    for (std::size_t i = 0; i < users.size(); ++i) {
      auto at = where + ".users[" + std::to_string(i) + "]";
      reader.only(users[i], at, {"name", "password_file"});
      if (!users[i]["name"]) reader.fail(users[i], at + ".name", "missing");
      if (!users[i]["password_file"]) reader.fail(users[i], at + ".password_file", "missing");
      auto name = reader.text(users[i]["name"], at + ".name");
      if (name.empty() || name.find(':') != std::string::npos) {
        reader.fail(users[i]["name"], at + ".name", "a user name is not empty and has no ':'");
      }
      auto path = reader.text(users[i]["password_file"], at + ".password_file");
      auto password = plugins::read_secret_file(path);
      if (!password)
        reader.fail(users[i]["password_file"], at + ".password_file", password.failure().message);
      if (!access.users.emplace(name, *password).second) {
        reader.fail(users[i]["name"], at + ".name", "'" + name + "' is listed twice");
      }
    }
  }
  return access;
}

bool authorized(const HttpAccess& access, const HttpRequest& request) {
  if (access.users.empty()) return true;
  auto target = request.target();
  auto path = target.substr(0, target.find('?'));
  if (path == "/healthz") return true;
  auto header = request[http::field::authorization];
  constexpr std::string_view scheme = "Basic ";
  if (header.size() <= scheme.size() || header.substr(0, scheme.size()) != scheme) return false;
  auto decoded = protocol::base64_decode(header.substr(scheme.size()));
  if (!decoded) return false;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  auto user = access.users.find(decoded->substr(0, colon));
  // An unknown user is compared too, against itself: the answer takes as long.
  if (user == access.users.end()) {
    same_secret(*decoded, *decoded);
    return false;
  }
  return same_secret(user->second, decoded->substr(colon + 1));
}

HttpResponse unauthorized(const HttpRequest& request) {
  auto response = make_response(request, http::status::unauthorized, "login required\n",
                                "text/plain; charset=utf-8");
  response.set(http::field::www_authenticate, R"(Basic realm="mailprobe", charset="UTF-8")");
  return response;
}

}  // namespace mailprobe::daemon
