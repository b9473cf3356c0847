#pragma once
// One request to an OAuth 2.0 token endpoint (RFC 6749 section 3.2) over HTTPS, verified,
// under the probe's deadline, the answer bounded: the client credentials grant (section
// 4.4) with a client secret or a client assertion (RFC 7523 section 2.2), the refresh
// token grant (section 6) and the JWT bearer grant (RFC 7523 section 2.1). Every failure is
// of phase "token" and says which endpoint answered what:
// "token endpoint login.microsoftonline.com: invalid_client (AADSTS7000215: Invalid ...)".

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "net/tls_context.hpp"
#include "protocol/http_client.hpp"

namespace mailprobe::protocol {

// Name/value pairs of an application/x-www-form-urlencoded body, in order.
using FormFields = std::vector<std::pair<std::string, std::string>>;

// The form body (RFC 6749 appendix B): every byte but ALPHA DIGIT "-" "." "_" "~" as %XX.
std::string form_encode(const FormFields& fields);

// The grants' bodies. `scope` is space-separated; an empty one is left out.
FormFields client_secret_form(std::string_view client_id, std::string_view client_secret,
                              std::string_view scope);
FormFields client_assertion_form(std::string_view client_id, std::string_view assertion,
                                 std::string_view scope);
// `client_secret` empty: a public client (no client authentication, RFC 6749 section 6).
FormFields refresh_token_form(std::string_view client_id, std::string_view client_secret,
                              std::string_view refresh_token, std::string_view scope);
FormFields jwt_bearer_form(std::string_view assertion);

// The form as a transcript shows it: secrets (client_secret, client_assertion, assertion,
// refresh_token) replaced by <redacted>.
std::string form_for_transcript(const FormFields& fields);

struct TokenAnswer {
  std::string access_token;
  std::string token_type;
  std::optional<long long> expires_in;  // seconds; nullopt when the server did not say
  std::string refresh_token;            // a rotated refresh token, when the server sent one
  std::string scope;
};

// RFC 6749 section 5.1 (success) or 5.2 (error) from the endpoint on `host`.
core::Outcome<TokenAnswer> parse_token_answer(const HttpAnswer& answer, std::string_view host);

// The largest answer taken from a token endpoint: an access token of Entra ID is 2-3 KiB.
constexpr std::size_t max_token_answer = std::size_t{64} * 1024;

struct TokenEndpoint {
  std::string url;  // https://...
  std::shared_ptr<net::TlsClientContext> tls;
  // Appended to a certificate failure: where the user names the endpoint's CAs.
  std::string trust_hint = "(trust it with --oauth-ca-file)";
};

// POSTs `form` to the endpoint and parses the answer. `transcript`, when set, gets the
// request and a summary of the answer, secrets redacted.
boost::asio::awaitable<core::Outcome<TokenAnswer>> request_token(
    boost::asio::any_io_executor executor, const TokenEndpoint& endpoint, const FormFields& form,
    core::Deadline deadline, std::vector<std::string>* transcript = nullptr);

}  // namespace mailprobe::protocol
