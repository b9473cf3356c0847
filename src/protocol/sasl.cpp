#include "protocol/sasl.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cctype>

#include "core/ascii.hpp"

namespace mailprobe::protocol {

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(written > 0 ? static_cast<std::size_t>(written) : 0);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  if (text.empty()) return std::string();
  std::string out(text.size() / 4 * 3 + 1, '\0');
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (written < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as output bytes; take them off again.
  std::size_t size = static_cast<std::size_t>(written);
  if (text.back() == '=') --size;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

std::string sasl_plain(const Credentials& credentials) {
  std::string message;
  message += '\0';
  message += credentials.user;
  message += '\0';
  message += credentials.secret;
  return base64_encode(message);
}

std::string sasl_xoauth2(const Credentials& credentials) {
  return base64_encode("user=" + credentials.user + "\x01" + "auth=Bearer " + credentials.secret +
                       "\x01\x01");
}

std::string sasl_oauthbearer(const Credentials& credentials) {
  std::string user;
  for (char c : credentials.user) {
    if (c == ',') {
      user += "=2C";
    } else if (c == '=') {
      user += "=3D";
    } else {
      user += c;
    }
  }
  std::string message = "n,a=" + user + ",\x01";
  if (!credentials.host.empty()) message += "host=" + credentials.host + "\x01";
  if (credentials.port != 0) message += "port=" + std::to_string(credentials.port) + "\x01";
  message += "auth=Bearer " + credentials.secret + "\x01\x01";
  return base64_encode(message);
}

using core::ascii_upper;

bool is_bearer_mechanism(std::string_view mechanism) {
  auto name = ascii_upper(mechanism);
  return name == "OAUTHBEARER" || name == "XOAUTH2";
}

std::optional<std::string> choose_bearer_mechanism(const std::vector<std::string>& offered) {
  for (const char* wanted : {"OAUTHBEARER", "XOAUTH2"}) {
    for (const auto& mechanism : offered) {
      if (ascii_upper(mechanism) == wanted) return std::string(wanted);
    }
  }
  return std::nullopt;
}

std::string describe_bearer_failure(std::string_view base64_text) {
  while (!base64_text.empty() && base64_text.back() == ' ')
    base64_text.remove_suffix(1);
  auto decoded = base64_decode(base64_text);
  if (!decoded || decoded->size() > 4096) return "";
  boost::system::error_code ec;
  auto value = boost::json::parse(*decoded, ec);
  if (ec || !value.is_object()) return "";
  std::string told;
  for (const char* key : {"status", "scope", "schemes"}) {
    const auto* member = value.get_object().if_contains(key);
    if (member == nullptr || !member->is_string()) continue;
    std::string text;
    // The server's words, on one line and not endless.
    for (char c : member->get_string().subview().substr(0, 200))
      text += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
    told += (told.empty() ? "" : ", ") + std::string(key) + " " + text;
  }
  return told.empty() ? "" : "token refused: " + told;
}

std::string bearer_failure_response(std::string_view mechanism) {
  return ascii_upper(mechanism) == "OAUTHBEARER" ? base64_encode("\x01") : "";
}

}  // namespace mailprobe::protocol
