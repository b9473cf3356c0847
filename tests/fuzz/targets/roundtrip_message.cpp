// A message as the round trip and the reflector read it: the header block, unfolded header
// values, the probe and reflection tokens with their signatures, the reflector's verdict
// on any message that reaches its mailbox, the arrival time from the Received header and
// the IMAP INTERNALDATE.
#include "probes/roundtrip_message.hpp"

#include <chrono>

#include "fuzz_target.hpp"
#include "probes/reflector.hpp"
#include "probes/roundtrip_run.hpp"

MAILPROBE_FUZZ_TARGET(roundtrip_message) {
  using namespace mailprobe::probes;
  auto message = mailprobe::fuzz::as_text(data, size);
  constexpr std::string_view secret = "fuzz-secret";
  auto headers = header_block(message);
  if (auto value = header_value(headers, probe_header)) {
    if (auto token = parse_probe_token(*value)) {
      static_cast<void>(verify_probe(*token, secret));
      static_cast<void>(format_probe_token(*token));
    }
  }
  if (auto value = header_value(headers, reflection_header)) {
    if (auto token = parse_reflection_token(*value)) {
      static_cast<void>(verify_reflection(*token, secret));
    }
  }
  // A fixed "now" keeps a run reproducible: 2026-11-22 12:00:00 UTC.
  auto now = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'795'348'800'000));
  static_cast<void>(judge_message(message, secret, now, 3600));
  static_cast<void>(roundtrip::received_time(headers));
  static_cast<void>(roundtrip::parse_internal_date(message.substr(0, 64)));
  return 0;
}
