// SASL: base64 as the clients decode server challenges (RFC 4648), and the initial
// responses they build from credentials read from files (which may hold any bytes).
#include "protocol/sasl.hpp"

#include "fuzz_target.hpp"
#include "protocol/redact.hpp"

MAILPROBE_FUZZ_TARGET(sasl) {
  using namespace mailprobe::protocol;
  auto [selector, text] = mailprobe::fuzz::select(data, size);
  auto decoded = base64_decode(text);
  if (decoded && base64_encode(*decoded).size() != (decoded->size() + 2) / 3 * 4) __builtin_trap();
  auto split = text.find('\0');
  Credentials credentials{
      std::string(text.substr(0, split)),
      split == std::string_view::npos ? "" : std::string(text.substr(split + 1))};
  auto response = (selector & 1) != 0 ? sasl_xoauth2(credentials) : sasl_plain(credentials);
  if (!base64_decode(response)) __builtin_trap();  // what the client sends must decode
  static_cast<void>(redact_client_data(text));
  return 0;
}
