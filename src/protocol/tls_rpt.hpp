#pragma once
// SMTP TLS Reporting (RFC 8460): the TXT record at _smtp._tls.<domain> that says where
// senders send their daily reports of TLS failures (section 3). Parsed without I/O.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::protocol {

struct TlsRptRecord {
  // The rua URIs as written, in order: "mailto:tlsrpt@example.com",
  // "https://reporting.example.com/v1/tlsrpt". Never empty. Several rua fields are allowed
  // by the grammar; their URIs are all here.
  std::vector<std::string> rua;
};

// A TXT at _smtp._tls.<domain> that does not start with "v=TLSRPTv1": section 3 says to
// discard it, so it is neither a record nor an error. Only when exactly one TXT there is a
// TLS-RPT record does the domain have one.
struct NotTlsRptRecord {};

// A DNS TXT of several character-strings is passed joined without separator.
// Failures are phase "tls-rpt", kind protocol, one line naming what is wrong: "rua URI
// 'tlsrpt@example.org' has no scheme (mailto: or https:)".
using TlsRptTxt = std::variant<TlsRptRecord, NotTlsRptRecord, core::Failure>;
TlsRptTxt parse_tls_rpt_txt(std::string_view txt);

}  // namespace mailprobe::protocol
