#pragma once
// DKIM public key records (RFC 6376 section 3.6.1), the TXT record at
// <selector>._domainkey.<domain>, parsed and their key decoded with OpenSSL, without I/O.
// Key types rsa (RFC 6376, sizes from RFC 8301 section 3.2) and ed25519 (RFC 8463).
//
// A record a verifier cannot use is a failure (it returns PERMFAIL for every signature,
// RFC 6376 section 6.1.2): a broken tag list, v= other than DKIM1, an unknown k=, a p= that
// is no key of that type, s= without email, h= without sha256. A revoked key (empty p=) is a
// record, marked revoked: the domain owner meant it.

#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::protocol {

struct DkimKey {
  std::string type = "rsa";  // k=: "rsa" or "ed25519"
  bool revoked = false;      // p= is empty (section 3.6.1): every signature with it fails
  // RSA: the modulus size; ed25519: 256 (the 32-byte key of RFC 8463 section 4; OpenSSL
  // counts the curve's 253-bit prime instead). 0 when revoked.
  int bits = 0;
  bool testing = false;  // t=y: verifiers must not treat failures differently (section 3.6.1)
  bool strict = false;   // t=s: i= of signatures must be d= itself, no subdomain
  // Tags that verifiers read differently from what was likely meant, each a line.
  std::vector<std::string> warnings;
};

// `txt` is the record's character-strings joined without separator. Failures are phase
// "dkim", kind protocol, a line naming the tag: "k 'dsa' is not rsa or ed25519: verifiers
// ignore the key (RFC 6376 section 3.6.1)".
core::Outcome<DkimKey> parse_dkim_key(std::string_view txt);

}  // namespace mailprobe::protocol
