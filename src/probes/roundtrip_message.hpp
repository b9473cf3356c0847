#pragma once
// The round-trip test message and the tokens that identify it, without I/O.
//
// A probe carries "X-Mailprobe-Probe: v1 id=<hex> sent=<unix ms> reply=<address>
// mac=<hex>", where mac is HMAC-SHA256 over version, id, sent time and reply address with
// a secret shared by the prober and its reflector: a reflector answers only genuine,
// fresh probes and only to the address the prober signed, so it can neither be used to
// send mail to third parties (backscatter) nor be made to loop.
// A reflection carries "X-Mailprobe-Reflection: v1 id=<hex> sent=<ms> seen=<ms> mac=<hex>".

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailprobe::probes {

inline constexpr const char* probe_header = "X-Mailprobe-Probe";
inline constexpr const char* reflection_header = "X-Mailprobe-Reflection";

struct ProbeToken {
  std::string id;            // 16 random bytes, hex
  std::int64_t sent_ms = 0;  // Unix time in milliseconds when the probe was made
  std::string reply_to;      // where a reflector sends its answer
  std::string mac;           // hex HMAC-SHA256
};

struct ReflectionToken {
  std::string id;
  std::int64_t sent_ms = 0;
  std::int64_t seen_ms = 0;  // the reflector's clock when it saw the probe
  std::string mac;
};

// A fresh random id (hex).
std::string new_probe_id();

std::string sign_probe(const ProbeToken& token, std::string_view secret);
std::string sign_reflection(const ReflectionToken& token, std::string_view secret);
bool verify_probe(const ProbeToken& token, std::string_view secret);
bool verify_reflection(const ReflectionToken& token, std::string_view secret);

std::string format_probe_token(const ProbeToken& token);
std::string format_reflection_token(const ReflectionToken& token);
std::optional<ProbeToken> parse_probe_token(std::string_view value);
std::optional<ReflectionToken> parse_reflection_token(std::string_view value);

// The value of header `name` in a message's header block (unfolded), or nullopt.
std::optional<std::string> header_value(std::string_view headers, std::string_view name);
// The header block of a message: everything before the first empty line.
std::string_view header_block(std::string_view message);

struct ProbeMessage {
  std::string from;
  std::string to;
  std::string id;
  std::string text;  // the whole message, CRLF line endings
};

// Builds a signed probe: Date, From, To, Subject, Message-ID, the token, Auto-Submitted
// (RFC 3834, so that vacation responders stay quiet), and a short plain body.
ProbeMessage make_probe(std::string_view from, std::string_view to, std::string_view secret,
                        std::chrono::system_clock::time_point now);

// The reflector's answer to `probe`, sent from `from` to the probe's reply address.
std::string make_reflection(const ProbeToken& probe, std::string_view from, std::string_view secret,
                            std::chrono::system_clock::time_point seen);

// "Sat, 22 Nov 2026 12:00:00 +0000" (RFC 5322 section 3.3).
std::string rfc5322_date(std::chrono::system_clock::time_point when);

std::int64_t unix_ms(std::chrono::system_clock::time_point when);

}  // namespace mailprobe::probes
