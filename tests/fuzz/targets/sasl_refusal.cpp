// The error document a mail server sends instead of taking a bearer token (RFC 7628
// section 3.2.2; XOAUTH2 sends the same shape): base64 of a JSON object with status,
// schemes and scope, which the SMTP, POP3 and IMAP clients decode into their output.
// The input is the JSON; the first byte's low bit picks whether it arrives as base64 (as
// servers send it) or as it is (what a broken server may send).
#include <algorithm>

#include "fuzz_target.hpp"
#include "protocol/sasl.hpp"

MAILPROBE_FUZZ_TARGET(sasl_refusal) {
  using namespace mailprobe::protocol;
  auto [selector, text] = mailprobe::fuzz::select(data, size);
  auto told =
      describe_bearer_failure((selector & 1) != 0 ? std::string(text) : base64_encode(text));
  if (told.empty()) return 0;
  // What goes into the output: one line, said as a refusal, and bounded whatever was sent
  // (three members of at most 200 characters each).
  if (told.rfind("token refused: ", 0) != 0 || told.size() > 700) __builtin_trap();
  if (std::any_of(told.begin(), told.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    __builtin_trap();
  }
  static_cast<void>(bearer_failure_response((selector & 2) != 0 ? "OAUTHBEARER" : "XOAUTH2"));
  return 0;
}
