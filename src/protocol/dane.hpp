#pragma once
// DANE for SMTP (RFC 7672) without I/O: does a usable TLSA record match the certificate
// chain an MX presented? DANE-EE(3) matches the leaf and ignores its names and dates
// (section 3.1.1); DANE-TA(2) matches a certificate of the chain that the leaf must chain
// up to, with the leaf's names checked against the MX host name or the TLSA base domain
// (section 3.2.3) and the dates checked. PKIX usages and unknown parameters are unusable
// (section 3.1.3): a set with only those leaves senders with unauthenticated TLS.

#include <chrono>
#include <string>
#include <vector>

#include "net/certificate.hpp"
#include "protocol/tlsa.hpp"

namespace mailprobe::protocol {

struct DaneVerdict {
  enum class Result {
    matched,        // a usable record matches: senders deliver
    no_match,       // usable records, none matches: DANE senders defer every message
    only_unusable,  // records, none usable: senders use TLS without authentication
  };
  Result result = Result::only_unusable;
  std::string matched;                // describe() of the record that matched
  std::vector<std::string> unusable;  // "PKIX-EE ... 1 1 1 ab...: usage 1 (PKIX-EE) ..."
  // For a mismatch: what the server presents, for the first usable record's selector and
  // matching type ("the certificate's SPKI SHA2-256 is 8cb0...") and why a TA did not serve.
  std::string presented;
};

// `chain`: leaf first, as the server sent it. `names`: the MX host name and the TLSA base
// domain (the same unless the MX host is an alias), for DANE-TA's name check.
DaneVerdict verify_dane(const std::vector<TlsaRecord>& records,
                        const std::vector<net::X509Ptr>& chain,
                        const std::vector<std::string>& names);

}  // namespace mailprobe::protocol
