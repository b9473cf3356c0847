#include "probes/dkim.hpp"

#include "probes/txt_lookup.hpp"
#include "protocol/dkim_key.hpp"

namespace mailprobe::probes {

namespace {

using core::State;

void add_bits(DomainPart& part, const std::string& selector, int bits) {
  part.metrics.push_back(
      {"dkim_key_bits_" + selector, static_cast<double>(bits), "", {}, {}, 0, {}});
}

// What the key's size means to verifiers (RFC 8301 section 3.2: at least 1024 bits
// accepted, 2048 advised, 1024 to 4096 supported by every verifier).
void judge_size(const protocol::DkimKey& key, const std::string& what, DomainPart& part) {
  auto& lines = part.subcheck.children;
  if (key.type != "rsa") return;
  if (key.bits < 1024) {
    lines.push_back({State::critical,
                     what + ": RSA " + std::to_string(key.bits) +
                         " bits, verifiers reject keys under 1024 bits (RFC 8301 section 3.2)",
                     {}});
  } else if (key.bits < 2048) {
    lines.push_back({State::warning,
                     what + ": RSA " + std::to_string(key.bits) +
                         " bits, under the 2048 that RFC 8301 section 3.2 asks of signers",
                     {}});
  } else if (key.bits > 4096) {
    lines.push_back({State::warning,
                     what + ": RSA " + std::to_string(key.bits) +
                         " bits, verifiers need support only up to 4096 (RFC 8301 section 3.2)",
                     {}});
  }
}

}  // namespace

boost::asio::awaitable<DomainPart> check_dkim_selector(net::DnsQuery query, std::string domain,
                                                       std::string selector) {
  DomainPart part;
  auto what = "DKIM " + selector;
  auto set = co_await lookup_txt(query, selector + "._domainkey." + domain);
  if (set.failure) {
    part.all_secure = false;
    part.subcheck = {State::unknown, what + ": " + set.failure->message, {}};
    co_return part;
  }
  part.all_secure = set.security == net::DnsSecurity::secure;
  part.records.push_back({"TXT " + set.name, joined_records(set.texts)});
  auto unusable = [&](std::string why) {
    part.subcheck = {State::critical, what + ": " + std::move(why), {}};
    add_bits(part, selector, 0);
  };
  if (set.security == net::DnsSecurity::bogus) {
    unusable("TXT " + set.name + " is bogus (" + set.why_bogus +
             "): validating verifiers get no key");
    co_return part;
  }
  if (set.texts.empty()) {
    unusable("no key record at " + set.name + ": signatures with s=" + selector + " fail");
    co_return part;
  }
  if (set.texts.size() > 1) {
    unusable(std::to_string(set.texts.size()) + " TXT records at " + set.name +
             ": verifiers' results are undefined (RFC 6376 section 3.6.2.2)");
    co_return part;
  }
  auto key = protocol::parse_dkim_key(set.texts.front());
  if (!key) {
    unusable(key.failure().message + " (" + set.name + ")");
    co_return part;
  }
  if (key->revoked) {
    unusable("key revoked (empty p= at " + set.name + "): signatures with s=" + selector + " fail");
    co_return part;
  }
  add_bits(part, selector, key->bits);
  part.subcheck.summary = what + ": " + key->type + " " + std::to_string(key->bits) + " bits";
  if (!set.canonical_name.empty()) {
    part.subcheck.summary += " (" + set.name + " is an alias of " + set.canonical_name + ")";
  }
  judge_size(*key, what, part);
  auto& lines = part.subcheck.children;
  if (key->testing) {
    lines.push_back({State::warning,
                     what + ": t=y, the domain is testing DKIM: verifiers may treat failed "
                            "signatures as unsigned (RFC 6376 section 3.6.1)",
                     {}});
  }
  if (key->strict) {
    lines.push_back({State::ok, what + ": t=s, signatures must use d= itself, no subdomain", {}});
  }
  for (const auto& warning : key->warnings) {
    auto line = what;
    line += ": ";
    line += warning;
    lines.push_back({State::warning, std::move(line), {}});
  }
  co_return part;
}

}  // namespace mailprobe::probes
