#include "protocol/sasl.hpp"

#include <openssl/evp.h>

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

}  // namespace mailprobe::protocol
