#pragma once
// Errors as values: an operation of net/ or protocol/ returns either its value or the
// Failure that says in which phase and why it failed.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mailprobe::core {

// What kind of failure, so callers can map it to a state (check_tcp's -r for refused,
// -M for mismatch) without parsing messages.
enum class FailureKind {
  resolve,      // name could not be resolved
  refused,      // TCP connection refused
  timeout,      // the deadline hit
  network,      // other connect/read/write error, connection closed early
  tls,          // handshake or TLS record failure not caused by the certificate
  certificate,  // certificate verification failed (expired, wrong host, untrusted, ...)
  protocol,     // the server's reply was malformed, too long, or not what the protocol says
  rejected,     // the server answered correctly but refused (STARTTLS missing, AUTH failed)
  mismatch,     // an expected string or reply code did not match
  config,       // bad options or local files (CA file, password file)
  internal,     // mailprobe's own fault (a bug): UNKNOWN, never blamed on the server
};

// "resolve", "refused", "timeout", ...: stable names for JSON and metrics labels.
std::string_view failure_kind_name(FailureKind kind);

struct Failure {
  std::string phase;  // short id: "resolve", "connect", "tls", "greeting", "auth", ...
  FailureKind kind;
  std::string message;  // one line a mail administrator can act on
};

template <class T>
class Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Outcome(Failure failure) : v_(std::move(failure)) {}  // NOLINT(google-explicit-constructor)

  explicit operator bool() const { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Failure& failure() const { return std::get<1>(v_); }
  Failure& failure() { return std::get<1>(v_); }

 private:
  std::variant<T, Failure> v_;
};

// The outcome of an operation that yields nothing but success.
struct Done {};
using Status = Outcome<Done>;
inline Status success() {
  return Done{};
}

}  // namespace mailprobe::core
