#include <cmath>

#include "core/format.hpp"
#include "probes/mx_parts.hpp"
#include "protocol/dane.hpp"

// check_mx's verdicts: what senders do with what DNS and each MX address said.
namespace mailprobe::probes::mx {

using core::State;
using core::Subcheck;

namespace {

std::string where(const std::string& host, const std::string& address) {
  return host + " [" + address + "]";
}

}  // namespace

// DANE applies to a host whose addresses and TLSA records are secure and usable.
bool dane_applies(const Host& host) {
  if (!host.addresses_secure || !host.tlsa || host.tlsa->security != net::DnsSecurity::secure) {
    return false;
  }
  for (const auto& record : host.tlsa_records) {
    if (!protocol::unusable_reason(record)) return true;
  }
  return false;
}

// What DNS alone says of DANE at a host; nullopt when DANE applies and only the
// certificate can tell (matched or mismatch).
std::optional<DaneState> dane_from_dns(const Host& host) {
  if (!host.tlsa_problem.empty()) return DaneState::unavailable;
  if (host.tlsa && host.tlsa->security == net::DnsSecurity::bogus) return DaneState::bogus;
  if (host.tlsa_records.empty()) return DaneState::none;
  if (!host.addresses_secure || !host.tlsa || host.tlsa->security != net::DnsSecurity::secure) {
    return DaneState::insecure;
  }
  if (!dane_applies(host)) return DaneState::unusable;
  return std::nullopt;
}

// The MTA-STS mode senders apply to an MX, and whether the policy lists it.
MxStsState sts_state(const StsState& sts, const Host& host) {
  if (!sts.policy || sts.policy->mode == protocol::StsMode::none) return MxStsState::none;
  bool listed = protocol::policy_allows_mx(*sts.policy, host.name);
  if (sts.policy->mode == protocol::StsMode::enforce) {
    return listed ? MxStsState::enforce : MxStsState::enforce_unlisted;
  }
  return listed ? MxStsState::testing : MxStsState::testing_unlisted;
}

// The MX records themselves: existence, DNSSEC, null MX, RFC violations.
bool judge_mx_records(const MxSet& set, const MxOptions& options, core::ProbeResult& result) {
  const auto& answer = set.answer;
  if (answer.security == net::DnsSecurity::bogus) {
    result.fail({"dns", core::FailureKind::protocol,
                 "MX records of " + options.domain + " are bogus (" + answer.why_bogus +
                     "): validating senders cannot find the domain's mail servers"});
    return false;
  }
  if (answer.status == net::DnsAnswer::Status::nxdomain) {
    result.fail(
        {"dns", core::FailureKind::protocol, options.domain + " does not exist (NXDOMAIN)"});
    return false;
  }
  if (set.null_mx) {
    if (options.expect_null_mx && set.violations.empty()) {
      result.summary = options.domain + " accepts no mail (null MX, RFC 7505), as expected";
    } else {
      result.fail({"mx", core::FailureKind::mismatch,
                   options.domain + " has a null MX (RFC 7505): it accepts no mail"},
                  State::critical);
    }
  } else if (options.expect_null_mx) {
    result.subchecks.push_back(
        {State::critical, "no null MX, but --expect-null-mx: the domain accepts mail", {}});
  }
  for (const auto& violation : set.violations) {
    result.subchecks.push_back({State::critical, violation, {}});
  }
  std::string dnssec = "MX records " + std::string(net::dns_security_name(answer.security));
  if (set.implicit) {
    result.subchecks.push_back({State::ok,
                                "no MX records: the domain's own address is its implicit MX "
                                "(RFC 5321 section 5.1); " +
                                    dnssec,
                                {}});
  } else {
    result.subchecks.push_back({State::ok, dnssec, {}});
  }
  return !set.null_mx;
}

// What DNS says about one host: no address, an alias, TLSA in each of its states.
void judge_host(const Host& host, const MxOptions& options, const StsState& sts,
                core::ProbeResult& result) {
  if (!host.problem.empty()) {
    result.subchecks.push_back({State::critical, host.name + ": " + host.problem, {}});
  }
  if (!host.canonical_name.empty()) {
    result.subchecks.push_back({State::warning,
                                host.name + " is an alias of " + host.canonical_name +
                                    ": an MX must name a host, not a CNAME (RFC 2181 section 10.3)",
                                {}});
  }
  const auto& owner = host.tlsa_owner;
  if (!host.tlsa_problem.empty()) {
    result.subchecks.push_back({State::critical,
                                "TLSA " + owner + ": " + host.tlsa_problem +
                                    "; DANE senders defer mail until it can be looked up",
                                {}});
  } else if (host.tlsa && host.tlsa->security == net::DnsSecurity::bogus) {
    result.subchecks.push_back({State::critical,
                                "TLSA " + owner + " is bogus (" + host.tlsa->why_bogus +
                                    "): DANE senders defer every message",
                                {}});
  } else if (host.tlsa && !host.tlsa_records.empty() && !host.addresses_secure) {
    result.subchecks.push_back(
        {options.require_dane ? State::critical : State::warning,
         "TLSA " + owner + " is published, but " + host.name +
             "'s addresses are not DNSSEC-signed: senders ignore it (RFC 7672 section 2.2)",
         {}});
  } else if (host.tlsa && !host.tlsa_records.empty() &&
             host.tlsa->security != net::DnsSecurity::secure) {
    result.subchecks.push_back(
        {options.require_dane ? State::critical : State::warning,
         "TLSA " + owner + " is in an insecure zone: senders ignore it (RFC 7672 section 2.2)",
         {}});
  } else if (host.tlsa_records.empty() && host.problem.empty()) {
    result.subchecks.push_back(
        {options.require_dane ? State::critical : State::ok,
         "no TLSA at " + owner +
             (host.addresses_secure ? ": no DANE" : " (addresses not signed): no DANE"),
         {}});
  }
  for (const auto& bad : host.tlsa_malformed) {
    std::string text = "TLSA ";
    text += owner;
    text += ": ";
    text += bad;
    text += " is no TLSA record";
    result.subchecks.push_back({State::warning, std::move(text), {}});
  }
  if (sts.policy && sts.policy->mode != protocol::StsMode::none &&
      !protocol::policy_allows_mx(*sts.policy, host.name)) {
    bool enforce = sts.policy->mode == protocol::StsMode::enforce;
    result.subchecks.push_back({enforce ? State::critical : State::warning,
                                host.name + " is not in the MTA-STS policy (mode " +
                                    std::string(protocol::sts_mode_name(sts.policy->mode)) + ")" +
                                    (enforce ? ": senders refuse it" : ""),
                                {}});
  }
}

// One address: reached, STARTTLS, and the certificate by DANE, MTA-STS or PKIX.
// `dane` becomes matched or mismatch when DANE applies and a certificate was presented.
Subcheck judge_session(const Session& session, const Host& host, const MxOptions& options,
                       const StsState& sts, core::ProbeResult& result,
                       std::optional<DaneState>& dane_verdict) {
  Subcheck line{State::ok, where(session.host, session.address), {}};
  auto metric_name = [&](std::string_view series) {
    return core::target_metric_name(session.host, session.address, series);
  };
  if (session.failure) {
    line.state = State::critical;
    line.summary += ": " + session.failure->message;
    return line;
  }
  result.metrics.push_back({metric_name("connect"), session.connect_seconds, "s", {}, {}, 0, {}});
  result.metrics.push_back({metric_name("banner"), session.banner_seconds, "s", {}, {}, 0, {}});
  bool dane = dane_applies(host);
  auto mode = sts.policy ? sts.policy->mode : protocol::StsMode::none;
  bool sts_in_force = mode == protocol::StsMode::enforce;
  bool sts_testing = mode == protocol::StsMode::testing;
  auto strict = [&](const std::string& what) {
    if (dane) return std::make_pair(State::critical, what + ": DANE senders defer every message");
    if (sts_in_force) return std::make_pair(State::critical, what + ": MTA-STS senders refuse it");
    if (sts_testing) return std::make_pair(State::warning, what + " (MTA-STS testing)");
    return std::make_pair(State::warning, what + ": senders deliver without TLS");
  };
  if (!session.starttls_offered) {
    auto [state, text] = strict("no STARTTLS");
    line.state = state;
    line.summary += ": " + text;
    return line;
  }
  if (session.tls_failure) {
    line.state = State::critical;
    line.summary += ": STARTTLS failed: " + session.tls_failure->message;
    return line;
  }
  const auto& tls = *session.tls;
  result.metrics.push_back({metric_name("tls"), session.tls_seconds, "s", {}, {}, 0, {}});
  line.summary += ": " + tls.version;
  bool authenticated = false;
  if (dane) {
    // DANE-TA's reference identifiers (RFC 7672 section 3.2.3): the TLSA base domain, the
    // MX host name, and the next-hop domain, which Postfix accepts too.
    std::vector<std::string> names{host.name};
    if (!host.canonical_name.empty()) names.push_back(host.canonical_name);
    if (options.domain != host.name) names.push_back(options.domain);
    auto verdict = protocol::verify_dane(host.tlsa_records, session.chain, names);
    dane_verdict = verdict.result == protocol::DaneVerdict::Result::matched ? DaneState::matched
                                                                            : DaneState::mismatch;
    if (verdict.result == protocol::DaneVerdict::Result::matched) {
      line.children.push_back({State::ok, "DANE: " + verdict.matched + " matches", {}});
      authenticated = true;
      if (options.next_certificate && verdict.matched.rfind("DANE-TA", 0) != 0) {
        // A DANE-TA match covers a next certificate from the same CA; DANE-EE must list
        // the next key before it is used (RFC 7671 section 8.1: publish, wait, then roll).
        bool covered = false;
        for (const auto& record : host.tlsa_records) {
          covered = covered || (!protocol::unusable_reason(record) &&
                                protocol::tlsa_matches(record, options.next_certificate.get()));
        }
        if (!covered) {
          line.children.push_back(
              {State::warning,
               "no TLSA record matches the next certificate (" + options.next_certificate_file +
                   "); its SPKI SHA2-256 is " +
                   protocol::tlsa_digest_hex(options.next_certificate.get(), 1, 1) +
                   ": publish it before the rollover",
               {}});
        }
      }
    } else {
      line.state = State::critical;
      line.summary += ", no TLSA record matches the certificate: " + verdict.presented;
    }
  } else if (!host.tlsa_records.empty() && host.tlsa &&
             host.tlsa->security == net::DnsSecurity::secure && host.addresses_secure) {
    std::string unusable;
    for (const auto& record : host.tlsa_records) {
      if (auto reason = protocol::unusable_reason(record)) {
        unusable += (unusable.empty() ? "" : "; ") + protocol::describe(record) + ": " + *reason;
      }
    }
    line.children.push_back({State::warning,
                             "TLSA has only unusable records (" + unusable +
                                 "): senders use TLS without authentication (RFC 7672 section 2.2)",
                             {}});
  }
  if (tls.verify_problem.empty()) {
    line.children.push_back({State::ok, "certificate verified (WebPKI) for " + host.name, {}});
  } else if (dane && !authenticated) {
    // Where DANE applies, senders judge the certificate by DANE alone: WebPKI is told, and
    // the DANE mismatch above is the reason.
    line.children.push_back(
        {State::ok,
         "certificate does not verify by WebPKI either (" + tls.verify_problem + ")",
         {}});
  } else if (!authenticated) {
    auto [state, text] = strict("certificate does not verify (" + tls.verify_problem + ")");
    if (!dane && !sts_in_force && !sts_testing) {
      text = "certificate does not verify (" + tls.verify_problem +
             "): senders deliver over unauthenticated TLS";
    }
    line.children.push_back({state, text, {}});
  } else {
    line.children.push_back({State::ok,
                             "certificate does not verify by WebPKI (" + tls.verify_problem +
                                 "); DANE authenticates it",
                             {}});
  }
  if (const auto* leaf = tls.leaf()) {
    auto days = leaf->days_left(std::chrono::system_clock::now());
    result.metrics.push_back(
        {metric_name("cert_days"), std::floor(days * 100) / 100, "", {}, {}, {}, {}});
    auto state = State::ok;
    if (options.critical_days && days < *options.critical_days) {
      state = State::critical;
    } else if (options.warning_days && days < *options.warning_days) {
      state = State::warning;
    }
    if (state != State::ok) {
      line.children.push_back({state,
                               "certificate " + leaf->subject + " expires " +
                                   net::format_utc(leaf->not_after) + " (" +
                                   core::format_number(std::floor(days)) + " days)",
                               {}});
    }
  }
  return line;
}

void judge_policies(const StsState& sts, const TlsRptState& rpt, const MxOptions& options,
                    core::ProbeResult& result) {
  if (!sts.problem.empty()) {
    result.subchecks.push_back({State::critical, "MTA-STS: " + sts.problem, {}});
  } else if (sts.policy) {
    auto max_age = sts.policy->max_age.count();
    std::string text = "MTA-STS " + std::string(protocol::sts_mode_name(sts.policy->mode)) +
                       ", id " + sts.id + ", max_age " + std::to_string(max_age);
    // A policy that lapses within a day protects little (RFC 8461 section 3.2 allows it).
    bool short_lived = max_age < 86400;
    if (short_lived) text += ": under a day, a policy that lapses so soon protects little";
    result.subchecks.push_back({short_lived ? State::warning : State::ok, text, {}});
  } else {
    result.subchecks.push_back(
        {options.require_mta_sts ? State::critical : State::ok, "no MTA-STS record", {}});
  }
  for (const auto& warning : sts.warnings) {
    result.subchecks.push_back({State::warning, "MTA-STS " + warning, {}});
  }
  if (!rpt.problem.empty()) {
    result.subchecks.push_back({State::warning, "TLS-RPT: " + rpt.problem, {}});
  } else if (rpt.present) {
    std::string rua;
    for (const auto& uri : rpt.rua)
      rua += (rua.empty() ? "" : ", ") + uri;
    result.subchecks.push_back({State::ok, "TLS-RPT reports to " + rua, {}});
  } else {
    result.subchecks.push_back(
        {options.require_tls_rpt ? State::warning : State::ok, "no TLS-RPT record", {}});
  }
}

}  // namespace mailprobe::probes::mx
