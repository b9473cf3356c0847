// The OAuth 2.0 JSON mailprobe reads: a token endpoint's answer, success or error (RFC 6749
// sections 5.1 and 5.2, in Microsoft Entra ID's and Google's shapes), as request_token gets
// it with each HTTP status, and a Google service account's JSON key file, as
// --oauth-service-account reads it (with its PEM private key when the first byte says so).
// The first byte's low three bits pick the HTTP status.
#include <algorithm>

#include "fuzz_target.hpp"
#include "protocol/jwt.hpp"
#include "protocol/oauth_token.hpp"

namespace {
bool one_line(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; });
}
}  // namespace

MAILPROBE_FUZZ_TARGET(oauth_json) {
  using namespace mailprobe::protocol;
  auto [selector, text] = mailprobe::fuzz::select(data, size);
  static constexpr unsigned statuses[] = {200, 400, 401, 429, 500, 503, 201, 302};
  HttpAnswer answer;
  answer.status = statuses[selector & 7];
  answer.reason = "Status";
  answer.content_type = "application/json; charset=utf-8";
  answer.body = std::string(text);
  auto token = parse_token_answer(answer, "login.example.test");
  if (token) {
    // A token goes into a SASL response: never empty, always from a success.
    if (token->access_token.empty() || answer.status >= 300) __builtin_trap();
  } else if (!one_line(token.failure().message)) {
    __builtin_trap();  // the state line of the output
  }

  auto key = parse_service_account(text, "key.json");
  if (key) {
    if (key->client_email.empty() || key->private_key.empty() || key->token_uri.empty()) {
      __builtin_trap();
    }
    if ((selector & 8) != 0) static_cast<void>(signing_key_from_pem(key->private_key, "key.json"));
  } else if (!one_line(key.failure().message)) {
    __builtin_trap();
  }
  static_cast<void>(base64url_decode(text));
  return 0;
}
