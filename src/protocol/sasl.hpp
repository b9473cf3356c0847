#pragma once
// SASL initial responses (RFC 4616 PLAIN, the LOGIN convention, Google's XOAUTH2, RFC 7628
// OAUTHBEARER) and base64, shared by the SMTP, POP3 and IMAP clients.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailprobe::protocol {

struct Credentials {
  std::string user;
  std::string secret;  // password, or the OAuth 2.0 bearer token for XOAUTH2/OAUTHBEARER
  // The secret is an OAuth 2.0 bearer token: the login uses OAUTHBEARER or XOAUTH2.
  bool token = false;
  // The server as the client reached it, which OAUTHBEARER names (RFC 7628 section 3.1).
  std::string host{};
  std::uint16_t port = 0;
};

std::string base64_encode(std::string_view data);
// nullopt when `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

// base64("authzid NUL user NUL password"), RFC 4616 section 2, with an empty authzid.
std::string sasl_plain(const Credentials& credentials);

// base64("user=" user ^A "auth=Bearer " token ^A ^A).
std::string sasl_xoauth2(const Credentials& credentials);

// base64(gs2-header ^A "host=" host ^A "port=" port ^A "auth=Bearer " token ^A ^A), RFC 7628
// section 3.1, the gs2 header "n,a=" user "," with ',' and '=' in the user escaped (RFC 5801
// section 4). host and port are left out when unknown.
std::string sasl_oauthbearer(const Credentials& credentials);

// "OAUTHBEARER" and "XOAUTH2" (any case): the mechanisms that carry a bearer token.
bool is_bearer_mechanism(std::string_view mechanism);
// The bearer mechanism to use of those offered: OAUTHBEARER, the standard one, when offered,
// else XOAUTH2; nullopt when neither is.
std::optional<std::string> choose_bearer_mechanism(const std::vector<std::string>& offered);

// The error document a server sends instead of accepting a bearer token (RFC 7628 section
// 3.2.2; XOAUTH2 sends the same), base64 as it arrives, told in words for the output:
// "token refused: status invalid_token, scope https://mail.google.com/". Empty when the
// text is not such a document.
std::string describe_bearer_failure(std::string_view base64_text);
// What the client answers to that error document to end the exchange: a single ^A for
// OAUTHBEARER (RFC 7628 section 3.2.3), an empty response for XOAUTH2; base64.
std::string bearer_failure_response(std::string_view mechanism);

}  // namespace mailprobe::protocol
