#include "protocol/tls_rpt.hpp"

#include <algorithm>
#include <boost/url/parse.hpp>
#include <cctype>
#include <optional>

#include "core/ascii.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::protocol {

namespace {

using core::is_wsp;

core::Failure failure(std::string message) {
  return core::Failure{"tls-rpt", core::FailureKind::protocol, std::move(message)};
}

// A mailto: target (RFC 6068 section 2): addresses separated by encoded commas, each
// local@domain with both parts present.
bool has_addresses(std::string_view to) {
  if (to.empty()) return false;
  std::size_t start = 0;
  while (true) {
    auto comma = to.find(',', start);
    auto address = to.substr(start, comma == std::string_view::npos ? comma : comma - start);
    auto at = address.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

// Section 3: each rua destination is a URI, mailto: or https:. Commas and '!' in a URI
// must be percent-encoded (the list is comma-separated; '!' was DMARC's size suffix).
std::optional<std::string> uri_problem(std::string_view uri) {
  auto bad = [&](const std::string& why) { return "rua URI " + quoted(uri) + " " + why; };
  auto scheme = uri_scheme(uri);
  if (!scheme) return bad("has no scheme (mailto: or https:)");
  const auto& name = *scheme;
  if (name != "mailto" && name != "https") return bad("is " + name + ":, not mailto: or https:");
  if (uri.find('!') != std::string_view::npos) return bad("has a '!', write it as %21");
  auto parsed = boost::urls::parse_uri(uri);
  if (!parsed) return bad("is not a valid URI");
  if (name == "mailto") {
    // The path holds the addresses; an address given only as ?to= does not count here,
    // report generators take the path.
    if (!has_addresses(std::string(parsed->path()))) {
      return bad("has no address (mailto:name@domain)");
    }
  } else if (parsed->encoded_host().empty()) {
    return bad("has no host");
  }
  return std::nullopt;
}

}  // namespace

TlsRptTxt parse_tls_rpt_txt(std::string_view txt) {
  // Section 3: records that do not begin with "v=TLSRPTv1" are discarded.
  constexpr std::string_view version = "v=TLSRPTv1";
  if (!txt.starts_with(version)) return NotTlsRptRecord{};
  auto rest = txt.substr(version.size());
  if (rest.empty()) return failure("no rua= field (the record is only 'v=TLSRPTv1')");
  if (rest.front() != ';' && !is_wsp(rest.front())) return NotTlsRptRecord{};
  auto split = split_txt_fields(rest);
  if (auto* error = std::get_if<std::string>(&split)) return failure(std::move(*error));
  TlsRptRecord record;
  bool have_rua = false;
  std::string_view miscased;  // "RUA": names are case-sensitive (%s"rua=")
  for (const auto& field : std::get<std::vector<TxtField>>(split)) {
    if (field.name != "rua") {
      if (miscased.empty() && core::ascii_lower(field.name) == "rua") miscased = field.name;
      // Extensions are allowed and ignored, but must be well-formed.
      if (!is_ext_value(field.value)) {
        return failure("field " + quoted(field.name) + " has the value " + quoted(field.value) +
                       ", not printable ASCII without spaces, '=' or ';'");
      }
      continue;
    }
    have_rua = true;
    // tlsrpt-rua = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
    auto list = field.value;
    if (list.empty()) return failure("rua= is empty, it needs a mailto: or https: URI");
    if (is_wsp(list.front())) return failure("space after rua=, the URI must follow the '='");
    std::size_t start = 0;
    while (true) {
      auto comma = list.find(',', start);
      auto uri = list.substr(start, comma == std::string_view::npos ? comma : comma - start);
      while (!uri.empty() && is_wsp(uri.front()))
        uri.remove_prefix(1);
      while (!uri.empty() && is_wsp(uri.back()))
        uri.remove_suffix(1);
      if (uri.empty()) return failure("rua= has an empty entry between commas");
      if (auto problem = uri_problem(uri)) return failure(std::move(*problem));
      record.rua.emplace_back(uri);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  if (!have_rua && !miscased.empty()) {
    return failure("no rua= field (" + quoted(miscased) +
                   " is not 'rua', field names are case-sensitive)");
  }
  if (!have_rua) return failure("no rua= field");
  return record;
}

}  // namespace mailprobe::protocol
