// The walk of a domain's whole SPF policy without an address: every include and redirect
// followed, every DNS-querying term counted (RFC 7208 section 4.6.4) as a receiver counts it
// for an address no term matches, which is the most any address can cost.

#include <algorithm>
#include <set>

#include "probes/spf.hpp"
#include "probes/spf_parts.hpp"
#include "protocol/dns_records.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::probes {

namespace {

using core::State;
using protocol::SpfQualifier;
using protocol::SpfTerm;
using protocol::SpfTermKind;
using spf::Lookup;

enum class Role { root, include, redirect };

// A DNS failure: UNKNOWN when it is our own deadline or setup, CRITICAL when it is an answer
// (SERVFAIL, bogus) that receivers get too and turn into temperror.
State failure_state(core::FailureKind kind) {
  return kind == core::FailureKind::timeout || kind == core::FailureKind::config ? State::unknown
                                                                                 : State::critical;
}

std::string failure_text(const std::string& message, core::FailureKind kind) {
  if (failure_state(kind) == State::unknown) return message;
  return message + ": receivers get temperror and defer the mail (RFC 7208 section 2.6.6)";
}

void add_problem(SpfNode& node, State state, const std::string& text) {
  node.problem += (node.problem.empty() ? "" : "; ") + text;
  node.state = core::worse(node.state, state);
}

SpfNode note_node(std::string term, State state, std::string problem) {
  SpfNode node;
  node.term = std::move(term);
  node.state = state;
  node.problem = std::move(problem);
  return node;
}

class Walker {
 public:
  Walker(const net::DnsQuery& query, SpfWalk& walk) : query_(query), walk_(walk) {}

  boost::asio::awaitable<void> walk_record(const std::string& domain, SpfNode& node, Role role,
                                           bool policy);

 private:
  boost::asio::awaitable<void> walk_term(const SpfTerm& term, const std::string& domain,
                                         SpfNode& parent, bool policy);
  boost::asio::awaitable<void> walk_addresses(SpfNode& node, const std::string& name);
  boost::asio::awaitable<void> walk_mx(SpfNode& node, const std::string& name);
  void missing_record(SpfNode& node, const spf::Fetched& fetched, Role role);

  void void_lookup(SpfNode& node, const std::string& what) {
    ++walk_.void_lookups;
    add_problem(node, State::warning,
                "void lookup (" + what +
                    "): it never matches, and receivers allow 2 (RFC 7208 "
                    "section 4.6.4)");
  }
  void failed(SpfNode& node, const core::Failure& failure) {
    add_problem(node, failure_state(failure.kind), failure_text(failure.message, failure.kind));
  }

  const net::DnsQuery& query_;
  SpfWalk& walk_;
  std::vector<std::string> path_;  // the records being walked, for loops
  std::set<std::string> watched_;
};

void Walker::missing_record(SpfNode& node, const spf::Fetched& fetched, Role role) {
  using Kind = spf::Fetched::Kind;
  if (fetched.kind == Kind::failed) {
    add_problem(node, failure_state(fetched.failure_kind),
                failure_text(fetched.problem, fetched.failure_kind));
    if (role == Role::root) {
      walk_.failure = core::Failure{"spf", fetched.failure_kind, fetched.problem};
    }
  } else if (fetched.kind == Kind::none && role == Role::root) {
    // Section 2.6.1: "none" lets receivers verify nothing; DMARC then rests on DKIM alone.
    add_problem(node, State::warning,
                fetched.problem +
                    ": receivers get 'none' and cannot verify senders; publish one, "
                    "'v=spf1 -all' if the domain sends no mail");
  } else if (fetched.kind == Kind::none) {
    add_problem(node, State::critical,
                fetched.problem + (role == Role::include
                                       ? ": receivers return permerror (RFC 7208 section 5.2)"
                                       : ": receivers return permerror (RFC 7208 section 6.1)"));
  } else {
    add_problem(node, State::critical, fetched.problem + ": receivers return permerror");
  }
}

boost::asio::awaitable<void> Walker::walk_record(const std::string& domain, SpfNode& node,
                                                 Role role, bool policy) {
  node.domain = domain;
  auto fetched = co_await spf::fetch_record(query_, domain, walk_.all_secure);
  if (fetched.kind != spf::Fetched::Kind::failed && watched_.insert(domain).second) {
    walk_.watched.push_back(spf::watched_record(fetched));
  }
  if (role == Role::root) walk_.records = fetched.texts;
  if (fetched.kind != spf::Fetched::Kind::record) {
    missing_record(node, fetched, role);
    co_return;
  }
  path_.push_back(domain);
  const auto& record = fetched.record;
  bool all_seen = false;
  std::size_t after_all = 0;
  for (const auto& term : record.terms) {
    if (walk_.capped) break;
    if (all_seen) {
      if (term.is_mechanism()) ++after_all;
      continue;
    }
    if (term.kind == SpfTermKind::all) {
      all_seen = true;
      if (term.qualifier == SpfQualifier::pass) {
        // Section 5.1: "+all" matches every address. In an include it makes the include
        // pass for everyone, and so every policy that includes it.
        node.children.push_back(
            note_node(term.text, State::critical,
                      role == Role::include
                          ? "every address on the internet passes this include, and so the policy "
                            "including it"
                          : "every address on the internet may send mail as " + walk_.domain));
      } else if (term.qualifier == SpfQualifier::neutral && policy) {
        node.children.push_back(note_node(
            term.text, State::warning,
            "addresses not listed get neutral, which receivers treat as no policy (RFC 7208 "
            "section 8.2); end with ~all or -all"));
      }
      continue;
    }
    if (term.counts_lookup() && term.kind != SpfTermKind::redirect) {
      co_await walk_term(term, domain, node, false);
    }
  }
  if (after_all > 0) {
    node.children.push_back(note_node("after all", State::warning,
                                      std::to_string(after_all) + " mechanisms after 'all' at " +
                                          domain + " are never evaluated (RFC 7208 section 5.1)"));
  }
  const auto* redirect = record.redirect();
  if (redirect != nullptr && all_seen) {
    node.children.push_back(
        note_node(redirect->text, State::warning,
                  "ignored, because " + domain + " has 'all' (RFC 7208 section 6.1)"));
  } else if (redirect != nullptr && !walk_.capped) {
    co_await walk_term(*redirect, domain, node, policy);
  } else if (redirect == nullptr && !all_seen && policy) {
    node.children.push_back(note_node(
        "no all", State::warning,
        domain + " ends without 'all' or redirect: addresses not listed get neutral (RFC 7208 "
                 "section 4.7); end with ~all or -all"));
  }
  path_.pop_back();
}

boost::asio::awaitable<void> Walker::walk_term(const SpfTerm& term, const std::string& domain,
                                               SpfNode& parent, bool policy) {
  // A hard cap on top of the RFC's limit: a policy far over it is broken whatever the exact
  // number, and a hostile one must cost no more than this.
  if (walk_.lookups >= spf_walk_cap) {
    walk_.capped = true;
    co_return;
  }
  auto before = ++walk_.lookups;
  SpfNode node;
  // A term is as long as its record allows (a macro of thousands of labels); a line is not.
  node.term = term.text.size() > 100 ? term.text.substr(0, 97) + "..." : term.text;
  if (term.kind == SpfTermKind::ptr) {
    add_problem(node, State::warning,
                "ptr is deprecated: slow, unreliable, and receivers may skip it (RFC 7208 "
                "section 5.5)");
  }
  if (spf::depends_on_sender(term.domain_spec)) {
    // Without an address the name is unknown; a receiver still pays one lookup (more under
    // an include), counted here as one.
    walk_.sender_dependent = true;
    node.note = "depends on the sender, not looked up";
  } else if (auto target = spf::target_of(term, domain, protocol::SpfMacroValues{})) {
    node.domain = *target;
    switch (term.kind) {
      case SpfTermKind::include:
      case SpfTermKind::redirect:
        if (std::ranges::find(path_, *target) != path_.end()) {
          add_problem(node, State::critical,
                      "loop: " + *target +
                          " is already being evaluated, receivers go round until the limit of "
                          "10 lookups and return permerror (RFC 7208 section 4.6.4)");
        } else {
          co_await walk_record(*target, node,
                               term.kind == SpfTermKind::include ? Role::include : Role::redirect,
                               policy && term.kind == SpfTermKind::redirect);
        }
        break;
      case SpfTermKind::a:
        co_await walk_addresses(node, *target);
        break;
      case SpfTermKind::mx:
        co_await walk_mx(node, *target);
        break;
      case SpfTermKind::exists: {
        auto lookup = co_await spf::look_up(query_, *target, net::dns_type::a, walk_.all_secure);
        if (lookup.kind == Lookup::Kind::failed) failed(node, lookup.failure);
        if (lookup.kind == Lookup::Kind::void_answer) void_lookup(node, lookup.void_text);
        break;
      }
      default:  // ptr: its names come from the sender's address
        break;
    }
  } else {
    bool fatal = term.kind == SpfTermKind::include || term.kind == SpfTermKind::redirect;
    add_problem(node, fatal ? State::critical : State::warning,
                fatal ? "expands to no domain name: receivers return permerror"
                      : "expands to no domain name, it never matches");
  }
  node.lookups = walk_.lookups - before + 1;
  parent.children.push_back(std::move(node));
}

// a: the address records of either family; void only when there are none of both.
boost::asio::awaitable<void> Walker::walk_addresses(SpfNode& node, const std::string& name) {
  auto a = co_await spf::look_up(query_, name, net::dns_type::a, walk_.all_secure);
  if (a.kind == Lookup::Kind::failed) {
    failed(node, a.failure);
    co_return;
  }
  if (a.kind == Lookup::Kind::data) co_return;
  auto aaaa = co_await spf::look_up(query_, name, net::dns_type::aaaa, walk_.all_secure);
  if (aaaa.kind == Lookup::Kind::failed) failed(node, aaaa.failure);
  if (aaaa.kind == Lookup::Kind::void_answer) {
    void_lookup(node, a.void_text == "NXDOMAIN" ? "NXDOMAIN" : "no A or AAAA records");
  }
}

// mx: the MX records; section 4.6.4 allows a receiver 10 MX hosts' addresses per mx.
boost::asio::awaitable<void> Walker::walk_mx(SpfNode& node, const std::string& name) {
  auto lookup = co_await spf::look_up(query_, name, net::dns_type::mx, walk_.all_secure);
  if (lookup.kind == Lookup::Kind::failed) {
    failed(node, lookup.failure);
    co_return;
  }
  if (lookup.kind == Lookup::Kind::void_answer) {
    void_lookup(node, lookup.void_text);
    co_return;
  }
  std::size_t hosts = 0;
  for (const auto& rdata : lookup.records) {
    auto mx = protocol::parse_mx_rdata(rdata);
    if (mx && !mx->exchange.empty()) ++hosts;
  }
  node.note = std::to_string(hosts) + (hosts == 1 ? " MX host" : " MX hosts");
  if (hosts == 0) {
    add_problem(node, State::warning, name + " has a null MX (RFC 7505): it never matches");
  } else if (hosts > spf_max_names_per_lookup) {
    add_problem(node, State::critical,
                "receivers look up the addresses of at most 10 MX hosts and return permerror "
                "for an address not found among them (RFC 7208 section 4.6.4)");
  }
}

}  // namespace

boost::asio::awaitable<SpfWalk> walk_spf(net::DnsQuery query, std::string domain) {
  SpfWalk walk;
  domain = spf::normal_domain(std::move(domain));
  walk.domain = domain;
  walk.root.term = domain;
  if (!protocol::is_spf_domain(domain)) {
    walk.failure = core::Failure{"spf", core::FailureKind::config,
                                 protocol::quoted(domain) + " is not a domain name"};
    add_problem(walk.root, State::unknown, walk.failure->message);
    co_return walk;
  }
  Walker walker(query, walk);
  co_await walker.walk_record(domain, walk.root, Role::root, true);
  walk.root.lookups = walk.lookups;
  if (walk.capped) {
    walk.findings.push_back(
        {State::critical, "more than " + std::to_string(spf_walk_cap) +
                              " DNS lookups (counting stopped), the limit is 10: receivers "
                              "return permerror (RFC 7208 section 4.6.4)"});
  } else if (walk.lookups > spf_max_lookups) {
    walk.findings.push_back(
        {State::critical, std::to_string(walk.lookups) +
                              " DNS lookups, over the limit of 10: receivers return permerror "
                              "for an address no earlier term matches (RFC 7208 section 4.6.4)"});
  }
  if (walk.void_lookups > spf_max_void_lookups) {
    walk.findings.push_back(
        {State::critical, std::to_string(walk.void_lookups) +
                              " void DNS lookups, over the limit of 2: receivers return "
                              "permerror for an address no earlier term matches (RFC 7208 "
                              "section 4.6.4)"});
  }
  co_return walk;
}

}  // namespace mailprobe::probes
