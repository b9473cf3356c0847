#include "probes/roundtrip_message.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <stdexcept>

namespace mailprobe::probes {

namespace {

std::string hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0x0f];
  }
  return out;
}

std::string hmac_hex(std::string_view secret, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return hex(digest, length);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// "key=value" fields separated by spaces, after the version word.
std::optional<std::string> field(std::string_view value, std::string_view key) {
  std::size_t pos = 0;
  while (pos < value.size()) {
    while (pos < value.size() && value[pos] == ' ')
      ++pos;
    auto end = value.find(' ', pos);
    auto word =
        value.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    if (word.size() > key.size() && word.substr(0, key.size()) == key && word[key.size()] == '=') {
      return std::string(word.substr(key.size() + 1));
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return std::nullopt;
}

std::optional<std::int64_t> number(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || ptr != text->data() + text->size()) return std::nullopt;
  return value;
}

bool is_hex(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
}

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  return at == std::string_view::npos ? "localhost" : std::string(address.substr(at + 1));
}

}  // namespace

std::int64_t unix_ms(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count();
}

std::string new_probe_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes");
  return hex(bytes, sizeof bytes);
}

std::string sign_probe(const ProbeToken& token, std::string_view secret) {
  return hmac_hex(
      secret, "v1|probe|" + token.id + "|" + std::to_string(token.sent_ms) + "|" + token.reply_to);
}

std::string sign_reflection(const ReflectionToken& token, std::string_view secret) {
  return hmac_hex(secret, "v1|reflection|" + token.id + "|" + std::to_string(token.sent_ms) + "|" +
                              std::to_string(token.seen_ms));
}

bool verify_probe(const ProbeToken& token, std::string_view secret) {
  return equal_constant_time(token.mac, sign_probe(token, secret));
}

bool verify_reflection(const ReflectionToken& token, std::string_view secret) {
  return equal_constant_time(token.mac, sign_reflection(token, secret));
}

std::string format_probe_token(const ProbeToken& token) {
  return "v1 id=" + token.id + " sent=" + std::to_string(token.sent_ms) +
         " reply=" + token.reply_to + " mac=" + token.mac;
}

std::string format_reflection_token(const ReflectionToken& token) {
  return "v1 id=" + token.id + " sent=" + std::to_string(token.sent_ms) +
         " seen=" + std::to_string(token.seen_ms) + " mac=" + token.mac;
}

std::optional<ProbeToken> parse_probe_token(std::string_view value) {
  if (value.rfind("v1 ", 0) != 0) return std::nullopt;
  ProbeToken token;
  auto id = field(value, "id");
  auto sent = number(field(value, "sent"));
  auto reply = field(value, "reply");
  auto mac = field(value, "mac");
  if (!id || !is_hex(*id) || id->size() > 64 || !sent || !reply || reply->empty() || !mac ||
      !is_hex(*mac)) {
    return std::nullopt;
  }
  token.id = *id;
  token.sent_ms = *sent;
  token.reply_to = *reply;
  token.mac = *mac;
  return token;
}

std::optional<ReflectionToken> parse_reflection_token(std::string_view value) {
  if (value.rfind("v1 ", 0) != 0) return std::nullopt;
  ReflectionToken token;
  auto id = field(value, "id");
  auto sent = number(field(value, "sent"));
  auto seen = number(field(value, "seen"));
  auto mac = field(value, "mac");
  if (!id || !is_hex(*id) || id->size() > 64 || !sent || !seen || !mac || !is_hex(*mac)) {
    return std::nullopt;
  }
  token.id = *id;
  token.sent_ms = *sent;
  token.seen_ms = *seen;
  token.mac = *mac;
  return token;
}

std::string_view header_block(std::string_view message) {
  auto end = message.find("\r\n\r\n");
  if (end != std::string_view::npos) return message.substr(0, end + 2);
  end = message.find("\n\n");
  if (end != std::string_view::npos) return message.substr(0, end + 1);
  return message;
}

std::optional<std::string> header_value(std::string_view headers, std::string_view name) {
  std::optional<std::string> value;
  bool in_field = false;
  while (!headers.empty()) {
    auto end = headers.find('\n');
    auto line = headers.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    headers.remove_prefix(end == std::string_view::npos ? headers.size() : end + 1);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t')) {
      // RFC 5322 section 2.2.3: a folded line continues the field; one of only white
      // space adds nothing (and must not be cut at a position that is not there).
      auto start = line.find_first_not_of(" \t");
      if (in_field && start != std::string_view::npos)
        *value += " " + std::string(line.substr(start));
      continue;
    }
    if (value) break;  // the first occurrence only
    auto colon = line.find(':');
    in_field = false;
    if (colon == std::string_view::npos || colon != name.size()) continue;
    bool same = std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) ==
             std::tolower(static_cast<unsigned char>(b));
    });
    if (!same) continue;
    auto rest = line.substr(colon + 1);
    auto start = rest.find_first_not_of(" \t");
    value = start == std::string_view::npos ? std::string() : std::string(rest.substr(start));
    in_field = true;
  }
  return value;
}

std::string rfc5322_date(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buffer;
}

ProbeMessage make_probe(std::string_view from, std::string_view to, std::string_view secret,
                        std::chrono::system_clock::time_point now) {
  ProbeToken token;
  token.id = new_probe_id();
  token.sent_ms = unix_ms(now);
  token.reply_to = std::string(from);
  token.mac = sign_probe(token, secret);
  ProbeMessage message;
  message.from = std::string(from);
  message.to = std::string(to);
  message.id = token.id;
  message.text = "Date: " + rfc5322_date(now) + "\r\n" + "From: <" + message.from + ">\r\n" +
                 "To: <" + message.to + ">\r\n" + "Subject: mailprobe delivery test " +
                 token.id.substr(0, 8) + "\r\n" + "Message-ID: <mailprobe." + token.id + "@" +
                 domain_of(from) + ">\r\n" + probe_header + ": " + format_probe_token(token) +
                 "\r\n" + "Auto-Submitted: auto-generated\r\n" + "MIME-Version: 1.0\r\n" +
                 "Content-Type: text/plain; charset=us-ascii\r\n" + "\r\n" +
                 "This message tests mail delivery. It was sent by mailprobe, an automated\r\n" +
                 "monitor, and is deleted when it arrives.\r\n";
  return message;
}

std::string make_reflection(const ProbeToken& probe, std::string_view from, std::string_view secret,
                            std::chrono::system_clock::time_point seen) {
  ReflectionToken token;
  token.id = probe.id;
  token.sent_ms = probe.sent_ms;
  token.seen_ms = unix_ms(seen);
  token.mac = sign_reflection(token, secret);
  return "Date: " + rfc5322_date(seen) + "\r\n" + "From: <" + std::string(from) + ">\r\n" +
         "To: <" + probe.reply_to + ">\r\n" + "Subject: mailprobe delivery test " +
         probe.id.substr(0, 8) + " reflected\r\n" + "Message-ID: <mailprobe.reflection." +
         probe.id + "@" + domain_of(from) + ">\r\n" + reflection_header + ": " +
         format_reflection_token(token) + "\r\n" +
         // RFC 3834 section 5: an automatic answer, never to be answered automatically.
         "Auto-Submitted: auto-replied\r\n" + "MIME-Version: 1.0\r\n" +
         "Content-Type: text/plain; charset=us-ascii\r\n" + "\r\n" + "Reflected by mailprobe at " +
         std::to_string(token.seen_ms) + " ms UTC.\r\n";
}

}  // namespace mailprobe::probes
