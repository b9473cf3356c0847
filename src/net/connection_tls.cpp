// The TLS half of net::Connection: the handshake on the socket itself (OpenSSL with
// SSL_set_fd, waits under the deadline), the chain check's callback, what a session
// presented, and the quick ACKs that keep the server's reply after a handshake on time.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <cerrno>

#include "core/format.hpp"
#include "net/connection.hpp"

namespace mailprobe::net {

namespace {
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using boost::system::error_code;

// Where OpenSSL keeps, for the verify callback, the Connection a handshake belongs to.
int verify_check_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

extern "C" int verify_trampoline(int preverified, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const auto* check = static_cast<const std::function<bool(bool, X509_STORE_CTX*)>*>(
      SSL_get_ex_data(ssl, verify_check_index()));
  return check != nullptr && (*check)(preverified != 0, store) ? 1 : 0;
}
}  // namespace

asio::awaitable<std::optional<error_code>> Connection::tls_progress(int ret) {
  switch (SSL_get_error(tls_.get(), ret)) {
    case SSL_ERROR_WANT_READ: {
      auto ec = co_await wait_socket(tcp::socket::wait_read);
      if (ec) co_return ec;
      co_return std::nullopt;
    }
    case SSL_ERROR_WANT_WRITE: {
      auto ec = co_await wait_socket(tcp::socket::wait_write);
      if (ec) co_return ec;
      co_return std::nullopt;
    }
    case SSL_ERROR_ZERO_RETURN:
      co_return error_code(asio::error::eof);
    case SSL_ERROR_SYSCALL: {
      int code = errno;
      ERR_clear_error();
      if (code == 0) co_return error_code(ssl::error::stream_truncated);
      co_return error_code(code, boost::system::system_category());
    }
    default: {
      auto code = ERR_get_error();
      ERR_clear_error();
      if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        co_return error_code(ssl::error::stream_truncated);
      }
      co_return error_code(static_cast<int>(code), asio::error::get_ssl_category());
    }
  }
}

std::vector<X509Ptr> Connection::peer_chain() const {
  std::vector<X509Ptr> chain;
  if (!tls_) return chain;
  // On a client, SSL_get_peer_cert_chain includes the leaf (ssl(7)).
  STACK_OF(X509)* presented = SSL_get_peer_cert_chain(tls_.get());
  for (int i = 0; presented != nullptr && i < sk_X509_num(presented); ++i) {
    X509* certificate = sk_X509_value(presented, i);
    X509_up_ref(certificate);
    chain.emplace_back(certificate);
  }
  return chain;
}

void Connection::quick_ack() {
  // After a TLS handshake the server sends records we do not answer at once (TLS 1.3
  // session tickets), then its reply. Linux delays our ACK of the tickets by 40 ms or
  // more, and the server's Nagle algorithm holds the reply until that ACK comes: every
  // reply after TLS looked 40 ms slower than the server was. In quick-ack mode each segment
  // is acknowledged at once; the kernel leaves the mode by itself, so it is set again
  // before each read and after each write while TLS is on (a setsockopt each, no packets).
  int one = 1;
  ::setsockopt(static_cast<int>(tcp_.socket().native_handle()), IPPROTO_TCP, TCP_QUICKACK, &one,
               sizeof one);
}

asio::awaitable<core::Outcome<TlsFacts>> Connection::start_tls(TlsClientContext& context,
                                                               std::string server_name) {
  // What the server sent before the handshake must not be read as if it came over TLS.
  std::size_t discarded = buffer_.size() - head_;
  buffer_.clear();
  head_ = 0;
  if (discarded > 0)
    note("", "* discarded " + std::to_string(discarded) + " bytes sent before TLS");

  if (auto built = context.build(); !built) co_return built.failure();
  tls_.reset(SSL_new(context.native().native_handle()));
  if (!tls_) {
    co_return core::Failure{"tls", core::FailureKind::tls, "cannot create a TLS session"};
  }
  SSL* ssl = tls_.get();
  error_code nb_error;
  tcp_.socket().non_blocking(true, nb_error);
  SSL_set_fd(ssl, static_cast<int>(tcp_.socket().native_handle()));
  // OpenSSL's 16 KB read buffer is given back while a probe waits for the server.
  SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
  // Whatever has arrived is read at once, not a record header and then its body: a third
  // of the read calls. Every read starts with SSL_read, so nothing buffered waits unseen.
  SSL_set_read_ahead(ssl, 1);
  if (!server_name.empty() && !is_ip_literal(server_name)) {
    // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it expands to.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(server_name.c_str()));
  }
  bool verify = context.options().verify;
  if (!server_name.empty()) {
    if (is_ip_literal(server_name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), server_name.c_str());
    } else {
      SSL_set1_host(ssl, server_name.c_str());
    }
  }
  // The chain is always checked so that a problem can be reported; only with
  // verification on does a problem fail the handshake.
  verify_failure_.reset();
  bool allow_expired = context.options().allow_expired;
  verify_check_ = [this, verify, allow_expired](bool preverified, X509_STORE_CTX* ctx) {
    if (!preverified && allow_expired &&
        (X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_HAS_EXPIRED ||
         X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_NOT_YET_VALID)) {
      return true;  // judged by the probe from the dates, not by the handshake
    }
    if (!preverified && !verify_failure_) {
      VerifyFailure failure;
      failure.error = X509_STORE_CTX_get_error(ctx);
      failure.depth = X509_STORE_CTX_get_error_depth(ctx);
      if (X509* cert = X509_STORE_CTX_get_current_cert(ctx)) {
        failure.certificate = certificate_facts(cert);
      }
      verify_failure_ = std::move(failure);
    }
    return verify ? preverified : true;
  };
  SSL_set_ex_data(ssl, verify_check_index(), &verify_check_);
  SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_trampoline);

  // The deadline bounds every TLS wait from now on (the stream's timer covers only its
  // own operations).
  tls_timed_out_ = false;
  tls_deadline_.emplace(tcp_.get_executor());
  tls_deadline_->expires_at(deadline_.at());
  std::weak_ptr<int> alive = lifetime_;
  tls_deadline_->async_wait([this, alive](const error_code& ec) {
    if (ec || alive.expired()) return;
    tls_timed_out_ = true;
    error_code ignored;
    tcp_.socket().cancel(ignored);
  });

  error_code ec;
  for (;;) {
    ERR_clear_error();
    int ret = SSL_connect(ssl);
    if (ret == 1) break;
    auto failed = co_await tls_progress(ret);
    if (failed) {
      ec = *failed;
      break;
    }
  }
  if (ec) {
    tls_.reset();
    error_code ignored;
    tcp_.socket().close(ignored);
    if (ec == beast::error::timeout) {
      co_return core::Failure{"tls", core::FailureKind::timeout,
                              "timeout after " +
                                  core::format_seconds(core::seconds(deadline_.budget())) +
                                  " during the TLS handshake with " + peer()};
    }
    if (verify_failure_) {
      co_return core::Failure{"tls", core::FailureKind::certificate,
                              "TLS " + describe_verify_failure(*verify_failure_, server_name)};
    }
    if (closed_by_peer(ec)) {
      co_return core::Failure{
          "tls", core::FailureKind::tls,
          "TLS handshake with " + peer() + " failed: connection closed by the server"};
    }
    co_return core::Failure{"tls", core::FailureKind::tls,
                            "TLS handshake with " + peer() + " failed: " + ec.message()};
  }
  quick_ack();
  auto facts = session_facts(ssl, verify);
  facts.discarded_bytes = discarded;
  if (verify_failure_)
    facts.verify_problem = describe_verify_failure(*verify_failure_, server_name);
  note("", "* TLS " + facts.version + " " + facts.cipher);
  co_return facts;
}

}  // namespace mailprobe::net
