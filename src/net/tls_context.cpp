#include "net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <tuple>

#include "net/openssl_texts.hpp"
#include "net/tls_library.hpp"

namespace mailprobe::net {

namespace ssl = boost::asio::ssl;

namespace {

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string openssl_error() {
  auto code = ERR_get_error();
  ERR_clear_error();
  return boost::system::error_code(static_cast<int>(code), boost::asio::error::get_ssl_category())
      .message();
}

// The same words whether the file cannot be opened (found early) or not parsed.
core::Failure ca_file_failure(const std::string& path, const std::string& reason) {
  return {"tls", core::FailureKind::config, "cannot load CA file '" + path + "': " + reason};
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

// The system's trust store, as OpenSSL's defaults (and SSL_CERT_FILE / SSL_CERT_DIR) say.
// The hashed directory is read lazily, one file per issuer looked up; the bundle file
// would be parsed whole (about 140 certificates, 16 ms) at every start of a plugin, so it
// is loaded only when it is not the same trust store as the directory.
core::Status load_system_cas(ssl::context& context) {
  auto dir = env_or("SSL_CERT_DIR", X509_get_default_cert_dir());
  auto file = env_or("SSL_CERT_FILE", X509_get_default_cert_file());
  bool have_dir = std::filesystem::is_directory(dir);
  bool custom_file = !same_file(file, X509_get_default_cert_file());
  boost::system::error_code ec;
  if (custom_file || !have_dir) {
    context.load_verify_file(file, ec);
    if (ec && !have_dir) {
      return core::Failure{
          "tls", core::FailureKind::config,
          "cannot load the system's CA certificates from " + file + ": " + ec.message()};
    }
  }
  if (have_dir) {
    context.add_verify_path(dir, ec);
    if (ec) {
      return core::Failure{"tls", core::FailureKind::config,
                           "cannot use the system's CA directory " + dir + ": " + ec.message()};
    }
  }
  return core::success();
}

}  // namespace

TlsClientContext::TlsClientContext(const TlsClientOptions& options) : options_(options) {}

namespace {

// What makes two contexts the same: the options, and the CA file as it is now (a changed
// file is read again), or the system's trust store as the environment names it; and the
// library context they are made in.
using ContextKey = std::tuple<bool, bool, std::string, std::int64_t, std::uintmax_t, std::string,
                              std::string, OSSL_LIB_CTX*>;

ContextKey key_of(const TlsClientOptions& options) {
  std::error_code ec;
  std::int64_t modified = 0;
  std::uintmax_t size = 0;
  if (!options.ca_file.empty()) {
    modified = std::filesystem::last_write_time(options.ca_file, ec).time_since_epoch().count();
    size = std::filesystem::file_size(options.ca_file, ec);
  }
  return {options.verify,
          options.allow_expired,
          options.ca_file,
          modified,
          size,
          env_or("SSL_CERT_FILE", ""),
          env_or("SSL_CERT_DIR", ""),
          client_tls_library()};
}

std::mutex cache_mutex;
std::map<ContextKey, std::shared_ptr<TlsClientContext>> cache;
constexpr std::size_t cache_limit = 64;

}  // namespace

core::Outcome<std::shared_ptr<TlsClientContext>> TlsClientContext::create(
    const TlsClientOptions& options) {
  auto key = key_of(options);
  {
    std::lock_guard lock(cache_mutex);
    if (auto found = cache.find(key); found != cache.end()) return found->second;
  }
  std::shared_ptr<TlsClientContext> made(new TlsClientContext(options));
  if (auto built = made->build(); !built) return built.failure();
  std::lock_guard lock(cache_mutex);
  if (cache.size() >= cache_limit) cache.clear();  // settings that come and go: start over
  cache.emplace(std::move(key), made);
  return made;
}

core::Outcome<std::shared_ptr<TlsClientContext>> TlsClientContext::deferred(
    const TlsClientOptions& options, bool defer_error_texts) {
  if (!options.ca_file.empty()) {
    std::ifstream file(options.ca_file);
    if (!file) {
      return ca_file_failure(options.ca_file, std::generic_category().message(errno));
    }
  }
  std::shared_ptr<TlsClientContext> context(new TlsClientContext(options));
  context->defer_error_texts_ = defer_error_texts;
  return context;
}

core::Status TlsClientContext::build() {
  std::lock_guard lock(build_mutex_);
  if (context_) return core::success();
  if (defer_error_texts_) defer_openssl_error_texts();
  SSL_CTX* native = SSL_CTX_new_ex(client_tls_library(), nullptr, TLS_client_method());
  if (native == nullptr) {
    return core::Failure{"tls", core::FailureKind::config,
                         "cannot create a TLS context: " + openssl_error()};
  }
  ssl::context context(native);  // owns it from here
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3);
  // Sessions are not resumed: every probe measures a full handshake, as a new client sees.
  SSL_CTX_set_session_cache_mode(context.native_handle(), SSL_SESS_CACHE_OFF);
  boost::system::error_code ec;
  if (!options_.ca_file.empty()) {
    context.load_verify_file(options_.ca_file, ec);
    if (ec) {
      return ca_file_failure(options_.ca_file, ec.message());
    }
  } else {
    auto loaded = load_system_cas(context);
    if (!loaded) return loaded.failure();
  }
  context.set_verify_mode(options_.verify ? ssl::verify_peer : ssl::verify_none);
  context_.emplace(std::move(context));
  return core::success();
}

}  // namespace mailprobe::net
