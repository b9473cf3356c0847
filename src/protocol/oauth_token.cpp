#include "protocol/oauth_token.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <climits>
#include <cmath>

#include "core/format.hpp"

namespace mailprobe::protocol {

namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

core::Failure token_failure(core::FailureKind kind, std::string_view host, std::string message) {
  return {"token", kind, "token endpoint " + std::string(host) + ": " + std::move(message)};
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (unreserved(byte)) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    }
  }
  return out;
}

// A body quoted in messages: a little longer than elsewhere, an OAuth error says why.
std::string excerpt(std::string_view body, std::size_t limit = 80) {
  return core::excerpt(body, limit);
}

// The first line of an error_description, whole (Entra ID's run to 250 characters, and the
// end says what to do); Entra ID appends "\r\nTrace ID: ..." and more.
std::string first_line(std::string_view text) {
  auto end = text.find_first_of("\r\n");
  return excerpt(text.substr(0, end == std::string_view::npos ? text.size() : end), 400);
}

std::string string_member(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) return "";
  return std::string(value->get_string());
}

// expires_in is a number (RFC 6749 section 5.1); Entra ID's v1 endpoint and some others
// send it as a string of digits.
std::optional<long long> seconds_member(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(LLONG_MAX)) {
    return static_cast<long long>(value->get_uint64());
  }
  if (value->is_double() && std::isfinite(value->get_double()) &&
      std::fabs(value->get_double()) < 9e15) {
    return static_cast<long long>(value->get_double());
  }
  if (value->is_string()) {
    std::string_view text = value->get_string();
    if (text.empty() || text.size() > 15 ||
        !std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stoll(std::string(text));
  }
  return std::nullopt;
}

bool secret_field(std::string_view name) {
  return name == "client_secret" || name == "client_assertion" || name == "assertion" ||
         name == "refresh_token" || name == "password" || name == "code";
}

}  // namespace

std::string form_encode(const FormFields& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += percent_encode(name) + "=" + percent_encode(value);
  }
  return body;
}

std::string form_for_transcript(const FormFields& fields) {
  std::string shown;
  for (const auto& [name, value] : fields) {
    if (!shown.empty()) shown += '&';
    shown +=
        percent_encode(name) + "=" + (secret_field(name) ? "<redacted>" : percent_encode(value));
  }
  return shown;
}

FormFields client_secret_form(std::string_view client_id, std::string_view client_secret,
                              std::string_view scope) {
  FormFields form{{"grant_type", "client_credentials"},
                  {"client_id", std::string(client_id)},
                  {"client_secret", std::string(client_secret)}};
  if (!scope.empty()) form.emplace_back("scope", scope);
  return form;
}

FormFields client_assertion_form(std::string_view client_id, std::string_view assertion,
                                 std::string_view scope) {
  FormFields form{
      {"grant_type", "client_credentials"},
      {"client_id", std::string(client_id)},
      {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
      {"client_assertion", std::string(assertion)}};
  if (!scope.empty()) form.emplace_back("scope", scope);
  return form;
}

FormFields refresh_token_form(std::string_view client_id, std::string_view client_secret,
                              std::string_view refresh_token, std::string_view scope) {
  FormFields form{{"grant_type", "refresh_token"},
                  {"client_id", std::string(client_id)},
                  {"refresh_token", std::string(refresh_token)}};
  if (!client_secret.empty()) form.emplace_back("client_secret", client_secret);
  if (!scope.empty()) form.emplace_back("scope", scope);
  return form;
}

FormFields jwt_bearer_form(std::string_view assertion) {
  return {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
          {"assertion", std::string(assertion)}};
}

core::Outcome<TokenAnswer> parse_token_answer(const HttpAnswer& answer, std::string_view host) {
  auto status = status_line(answer.status, answer.reason);
  json::parse_options options;
  options.max_depth = 16;
  boost::system::error_code ec;
  auto value =
      json::parse(json::string_view(answer.body.data(), answer.body.size()), ec, {}, options);
  const json::object* object = ec ? nullptr : value.if_object();
  if (object == nullptr) {
    std::string shown = answer.body.empty() ? "an empty body" : "'" + excerpt(answer.body) + "'";
    return token_failure(core::FailureKind::protocol, host,
                         status + " with " + shown + " where a JSON object was expected");
  }
  bool success = answer.status >= 200 && answer.status <= 299;
  auto error = string_member(*object, "error");
  if (!success || !error.empty()) {
    // RFC 6749 section 5.2: error, error_description; Entra ID adds error_codes.
    if (error.empty()) {
      return token_failure(core::FailureKind::rejected, host,
                           status + " without an OAuth error: '" + excerpt(answer.body) + "'");
    }
    auto description = first_line(string_member(*object, "error_description"));
    if (description.empty()) {
      if (const auto* codes = object->if_contains("error_codes");
          codes != nullptr && codes->is_array() && !codes->get_array().empty() &&
          codes->get_array().front().is_number()) {
        description = "AADSTS" + json::serialize(codes->get_array().front());
      } else {
        description = status;
      }
    }
    return token_failure(core::FailureKind::rejected, host,
                         excerpt(error) + " (" + description + ")");
  }
  TokenAnswer token;
  token.access_token = string_member(*object, "access_token");
  if (token.access_token.empty()) {
    return token_failure(core::FailureKind::protocol, host,
                         status + " without an access_token: '" + excerpt(answer.body) + "'");
  }
  token.token_type = string_member(*object, "token_type");
  std::string type = token.token_type;
  std::ranges::transform(type, type.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // A token of another type (RFC 6749 section 7.1) cannot go into XOAUTH2 or OAUTHBEARER.
  if (!type.empty() && type != "bearer") {
    return token_failure(core::FailureKind::protocol, host,
                         "token_type '" + excerpt(token.token_type) + "', not Bearer");
  }
  token.expires_in = seconds_member(*object, "expires_in");
  token.refresh_token = string_member(*object, "refresh_token");
  token.scope = string_member(*object, "scope");
  return token;
}

boost::asio::awaitable<core::Outcome<TokenAnswer>> request_token(
    boost::asio::any_io_executor executor, const TokenEndpoint& endpoint, const FormFields& form,
    core::Deadline deadline, std::vector<std::string>* transcript) {
  auto url = parse_http_url(endpoint.url);
  if (!url) {
    co_return core::Failure{"token", core::FailureKind::config,
                            "token URL " + url.failure().message};
  }
  // RFC 6749 section 3.2: the token endpoint is reached over TLS only.
  if (!url->tls || !endpoint.tls) {
    co_return core::Failure{"token", core::FailureKind::config,
                            "token URL '" + url_for_logs(endpoint.url) + "' is not https://"};
  }
  auto http_end = http_endpoint(*url, endpoint.tls);
  http_end.trust_hint = endpoint.trust_hint;
  HttpConnection connection(std::move(executor), http_end, deadline,
                            HttpLimits{std::size_t{16} * 1024, max_token_answer});
  connection.set_transcript(transcript);
  auto connected = co_await connection.connect();
  if (!connected) {
    auto failure = connected.failure();
    co_return token_failure(failure.kind, url->host, failure.message);
  }
  HttpRequest request(http::verb::post, url->target, 11);
  request.set(http::field::host, connection.host_header());
  request.set(http::field::user_agent, "mailprobe");
  request.set(http::field::accept, "application/json");
  request.set(http::field::content_type, "application/x-www-form-urlencoded");
  request.keep_alive(false);
  request.body() = form_encode(form);
  request.prepare_payload();
  if (transcript != nullptr) {
    transcript->push_back("C: POST " + url->target + " " + form_for_transcript(form));
  }
  auto answer = co_await connection.exchange(std::move(request), "the token request");
  co_await connection.close();
  if (!answer) {
    auto failure = answer.failure();
    co_return token_failure(failure.kind, url->host, failure.message);
  }
  auto token = parse_token_answer(*answer, url->host);
  if (transcript != nullptr) {
    if (token) {
      transcript->push_back(
          "S: access_token=<redacted> token_type=" + token->token_type + " expires_in=" +
          (token->expires_in ? std::to_string(*token->expires_in) : std::string("(none)")) +
          (token->refresh_token.empty() ? "" : " refresh_token=<redacted>"));
    } else {
      transcript->push_back("S: " + token.failure().message);
    }
  }
  co_return token;
}

}  // namespace mailprobe::protocol
