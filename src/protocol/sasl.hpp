#pragma once
// SASL initial responses (RFC 4616 PLAIN, the LOGIN convention, Google's XOAUTH2) and
// base64, shared by the SMTP, POP3 and IMAP clients.

#include <optional>
#include <string>
#include <string_view>

namespace mailprobe::protocol {

struct Credentials {
  std::string user;
  std::string secret;  // password, or the OAuth 2.0 bearer token for XOAUTH2
};

std::string base64_encode(std::string_view data);
// nullopt when `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

// base64("authzid NUL user NUL password"), RFC 4616 section 2, with an empty authzid.
std::string sasl_plain(const Credentials& credentials);

// base64("user=" user ^A "auth=Bearer " token ^A ^A).
std::string sasl_xoauth2(const Credentials& credentials);

}  // namespace mailprobe::protocol
