// The SPF part of check_mail_domain: the walk's tree and findings, check_host() for each
// --spf-ip address, the lookup metrics and the records to watch.

#include "probes/spf.hpp"

#include <algorithm>

#include "probes/spf_parts.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::probes {

namespace {

using core::State;

std::string lookups_text(int lookups) {
  return std::to_string(lookups) + (lookups == 1 ? " lookup" : " lookups");
}

// A node of the walk as a line of the long output, its children indented under it:
// "include:_spf.example.net (4 lookups)", "a:old.example.org (1 lookup): void lookup ...".
core::Subcheck node_subcheck(const SpfNode& node, bool root) {
  core::Subcheck subcheck;
  subcheck.state = node.state;
  subcheck.summary = node.term;
  // The root counts when it has a record to count in; the other nodes when they count.
  if ((root && node.problem.empty()) || node.lookups > 0) {
    subcheck.summary += " (" + lookups_text(node.lookups);
    if (!node.note.empty()) subcheck.summary += ", " + node.note;
    subcheck.summary += ")";
  }
  if (!node.problem.empty()) subcheck.summary += ": " + node.problem;
  for (const auto& child : node.children)
    subcheck.children.push_back(node_subcheck(child, false));
  return subcheck;
}

// Section 2.6: only pass says the address may send. A temperror is ours to report as
// UNKNOWN when our own deadline cut it short or the address was no address; otherwise it is
// what receivers get too, and they defer the mail.
State evaluation_state(const SpfEvaluation& evaluation) {
  if (evaluation.result == SpfResult::pass) return State::ok;
  if (evaluation.failure_kind == core::FailureKind::timeout ||
      evaluation.failure_kind == core::FailureKind::config) {
    return State::unknown;
  }
  return State::critical;
}

}  // namespace

std::string_view spf_result_name(SpfResult result) {
  switch (result) {
    case SpfResult::none:
      return "none";
    case SpfResult::neutral:
      return "neutral";
    case SpfResult::pass:
      return "pass";
    case SpfResult::fail:
      return "fail";
    case SpfResult::softfail:
      return "softfail";
    case SpfResult::temperror:
      return "temperror";
    case SpfResult::permerror:
      return "permerror";
  }
  return "none";
}

bool is_reject_all(std::string_view record) {
  if (!protocol::is_spf_record(record)) return false;
  auto parsed = protocol::parse_spf_record(record);
  return parsed && parsed->terms.size() == 1 &&
         parsed->terms[0].kind == protocol::SpfTermKind::all &&
         parsed->terms[0].qualifier == protocol::SpfQualifier::fail;
}

boost::asio::awaitable<DomainPart> check_spf(net::DnsQuery query, SpfCheckOptions options) {
  options.domain = spf::normal_domain(std::move(options.domain));
  DomainPart part;
  auto walk = co_await walk_spf(query, options.domain);
  part.records = walk.watched;
  part.all_secure = walk.all_secure;

  auto& summary = part.subcheck.summary;
  if (walk.failure) {
    summary = "SPF: " + walk.failure->message;
  } else if (walk.records.empty()) {
    summary = "SPF: no record";
  } else if (walk.records.size() > 1) {
    summary = "SPF: " + std::to_string(walk.records.size()) + " records";
  } else if (!walk.root.problem.empty()) {
    summary = "SPF: syntax error";  // the tree's root says which term
  } else {
    summary = "SPF: " + std::to_string(walk.lookups) + (walk.capped ? "+" : "") + " of " +
              std::to_string(spf_max_lookups) + " DNS lookups, " +
              std::to_string(walk.void_lookups) + " of " + std::to_string(spf_max_void_lookups) +
              " void lookups";
    if (walk.sender_dependent) summary += ", macros depending on the sender counted as 1 each";
  }
  for (const auto& finding : walk.findings)
    part.subcheck.children.push_back(core::Subcheck{finding.state, finding.message, {}});

  // check_host() per address (section 4), each under the same deadline as the walk.
  for (const auto& ip : options.ips) {
    auto evaluation = co_await evaluate_spf(query, ip, options);
    part.all_secure = part.all_secure && evaluation.all_secure;
    part.subcheck.children.push_back(
        core::Subcheck{evaluation_state(evaluation),
                       ip + ": " + std::string(spf_result_name(evaluation.result)) + " (" +
                           evaluation.reason + ")",
                       {}});
  }

  // The tree: where the lookups go, and where each problem is.
  auto tree = node_subcheck(walk.root, true);
  if (walk.records.size() == 1 && walk.root.problem.empty()) {
    tree.summary = walk.domain + " " + protocol::quoted(walk.records.front(), 255) +
                   tree.summary.substr(walk.domain.size());
  }
  part.subcheck.children.push_back(std::move(tree));

  if (!walk.failure) {
    core::Metric lookups{"spf_lookups", static_cast<double>(walk.lookups),   "",
                         std::nullopt,  core::Range::upper(spf_max_lookups), 0.0,
                         std::nullopt};
    core::Metric voids{"spf_void_lookups", static_cast<double>(walk.void_lookups),   "",
                       std::nullopt,       core::Range::upper(spf_max_void_lookups), 0.0,
                       std::nullopt};
    part.metrics.push_back(std::move(lookups));
    part.metrics.push_back(std::move(voids));
  }
  co_return part;
}

}  // namespace mailprobe::probes
