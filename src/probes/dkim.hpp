#pragma once
// DKIM keys of a domain, a part of check_mail_domain per --dkim-selector: the key record at
// SELECTOR._domainkey.DOMAIN (RFC 6376 section 3.6.2.1) as verifiers read it (section
// 3.6.1), its key decoded (RSA, RFC 8301; Ed25519, RFC 8463).
//
// States, as a mail admin reads them (the selector was asked for, so signatures use it):
//   - no record, an unusable one (broken tag list, unknown k=, a p= that is no key, s=
//     without email, h= without sha256), several TXT records (RFC 6376 section 3.6.2.2:
//     "the results are undefined"), a revoked key (empty p=), RSA under 1024 bits (RFC 8301
//     section 3.2: verifiers reject them): CRITICAL, every signature with this selector
//     fails, and with it DKIM's part of DMARC.
//   - RSA under 2048 bits (RFC 8301 section 3.2: signers SHOULD use 2048), over 4096 (what
//     verifiers must support), t=y (testing: verifiers may treat failures as unsigned),
//     tags verifiers read differently: WARNING.
//   - a DNS failure: UNKNOWN; a bogus answer: CRITICAL (validating verifiers get no key).

#include <boost/asio/awaitable.hpp>
#include <string>

#include "net/dns.hpp"
#include "probes/domain_part.hpp"

namespace mailprobe::probes {

// The part: summary "DKIM s1: rsa 2048 bits"; metric dkim_key_bits_SELECTOR (unit none):
// the RSA modulus size, 256 for Ed25519, 0 when there is no usable key (missing, invalid,
// revoked), absent when the lookup failed; watched record "TXT SELECTOR._domainkey.DOMAIN"
// (every TXT record there).
boost::asio::awaitable<DomainPart> check_dkim_selector(net::DnsQuery query, std::string domain,
                                                       std::string selector);

}  // namespace mailprobe::probes
