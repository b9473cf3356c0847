#pragma once
// The "name=value; name=value" syntax shared by the TXT records of MTA-STS (RFC 8461
// section 3.1) and SMTP TLS Reporting (RFC 8460 section 3), taken apart without I/O, and
// quoting for messages that show what a record or policy said.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mailprobe::protocol {

struct TxtField {
  std::string_view name;
  std::string_view value;  // may be empty; the record's own rules say what a value may be
};

// Splits what follows the version tag ("v=STSv1", "v=TLSRPTv1") of a record:
//
//   1*(field-delim field) [field-delim]
//   field-delim = *WSP ";" *WSP
//   field       = ext-name "=" value
//   ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//
// Both RFCs use this grammar; a record that breaks it is invalid as a whole (senders then
// act as if there were no record), so the first problem is returned as a one-line message.
// Values are not checked here. The fields view into `rest`.
std::variant<std::vector<TxtField>, std::string> split_txt_fields(std::string_view rest);

// ext-name of RFC 8461 section 3.1 and RFC 8460 section 3 (the policy file's names too).
bool is_ext_name(std::string_view name);
// ext-value: 1*(%x21-3A / %x3C / %x3E-7E), printable ASCII but '=' and ';'.
bool is_ext_value(std::string_view value);

// The scheme of a URI in lower case: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) before a
// ':' (RFC 3986 section 3.1); nullopt when there is none. For the report URIs of TLS-RPT
// and DMARC.
std::optional<std::string> uri_scheme(std::string_view uri);

// `text` in single quotes for a message, bytes outside printable ASCII as \xNN (a record or
// a policy may hold anything, and messages end up in one-line Nagios output), cut after
// `max_bytes` with "...".
std::string quoted(std::string_view text, std::size_t max_bytes = 80);

}  // namespace mailprobe::protocol
