// check_dnsbl's queries in parallel, and what it checks: addresses given or looked up (names,
// a domain's MX hosts, the addresses its SPF record authorizes) and domains.

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <set>

#include "net/spawn.hpp"
#include "probes/dnsbl_parts.hpp"
#include "probes/spf_parts.hpp"
#include "protocol/dns_records.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::probes::dnsbl {

namespace {

using Status = net::DnsAnswer::Status;

// RFC 7208 section 4.6.4: at most 10 terms that cause DNS lookups, and at most 10 MX names
// looked up for one "mx" term.
constexpr int max_spf_lookups = 10;
constexpr std::size_t max_spf_mx_names = 10;

// "192.0.2.1" for "192.0.2.1", "2001:db8::1" for "2001:DB8:0::1"; nullopt for no address.
std::optional<std::string> canonical_address(const std::string& text, int family) {
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(family, text.c_str(), bytes.data()) != 1) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> out{};
  if (inet_ntop(family, bytes.data(), out.data(), out.size()) == nullptr) return std::nullopt;
  return std::string(out.data());
}

std::optional<std::string> canonical_address(const std::string& text) {
  if (text.find(':') != std::string::npos) return canonical_address(text, AF_INET6);
  return canonical_address(text, AF_INET);
}

std::string answer_text(const Question& question, const Answer& answer) {
  auto what = net::dns_type_name(question.type) + " " + question.name + ": ";
  if (!answer) return what + answer.failure().message;
  if (answer->status == Status::nxdomain) return what + "NXDOMAIN";
  if (answer->status == Status::nodata) return what + "no records (NODATA)";
  std::string records;
  for (const auto& rdata : answer->records) {
    std::optional<std::string> text;
    if (question.type == net::dns_type::a) text = protocol::parse_a_rdata(rdata);
    if (question.type == net::dns_type::aaaa) text = protocol::parse_aaaa_rdata(rdata);
    if (question.type == net::dns_type::txt) {
      if (auto txt = protocol::parse_txt_rdata(rdata)) text = protocol::quoted(*txt, 200);
    }
    if (question.type == net::dns_type::mx) {
      if (auto mx = protocol::parse_mx_rdata(rdata)) {
        text = std::to_string(mx->preference) + " " + (mx->exchange.empty() ? "." : mx->exchange);
      }
    }
    records += (records.empty() ? "" : ", ") + text.value_or("(unreadable)");
    if (records.size() > 400) {
      records += ", ...";
      break;
    }
  }
  if (answer->security == net::DnsSecurity::bogus) records += " (bogus: " + answer->why_bogus + ")";
  return what + records;
}

// Collects the targets of one check: the addresses so far (each once) within the budget.
class Collector {
 public:
  Collector(const DnsblOptions& options, const net::DnsQuery& query,
            std::vector<std::string>* transcript)
      : options_(options), query_(query), transcript_(transcript) {}

  void add_address(const std::string& text, const std::string& origin) {
    auto address = canonical_address(text);
    if (!address || !seen_.insert(*address).second) return;
    if (addresses_ >= options_.max_addresses) {
      ++left_out_;
      return;
    }
    ++addresses_;
    set_.targets.push_back(Target{*address, origin, false});
  }

  // -H NAME...: every address of each name (A and AAAA at once).
  // By value: a coroutine's reference parameters would outlive their temporaries.
  boost::asio::awaitable<void> names(std::vector<std::string> names, std::string origin_prefix,
                                     bool problem_if_none) {
    std::vector<Question> questions;
    for (const auto& name : names) {
      questions.push_back({name, net::dns_type::a});
      questions.push_back({name, net::dns_type::aaaa});
    }
    auto answers = co_await ask_all(questions, query_, transcript_);
    for (std::size_t i = 0; i < names.size(); ++i) {
      std::string problem;
      std::size_t found = 0;
      for (std::size_t j = 2 * i; j < 2 * i + 2; ++j) {
        const auto& answer = answers[j];
        if (!answer) {
          problem = answer.failure().message;
        } else if (answer->security == net::DnsSecurity::bogus) {
          problem = net::dns_type_name(questions[j].type) + " records of " + names[i] +
                    " are DNSSEC-bogus (" + answer->why_bogus + ")";
        } else if (answer->status == Status::nxdomain) {
          problem = "the name does not exist (NXDOMAIN)";
        } else {
          for (const auto& address : addresses_in(*answer)) {
            add_address(address, origin_prefix + names[i]);
            ++found;
          }
        }
      }
      if (found > 0) continue;
      if (problem.empty()) problem = "no A or AAAA records";
      auto line = origin_prefix;
      line += names[i];
      line += ": ";
      line += problem;
      (problem_if_none ? set_.problems : set_.notes).push_back(std::move(line));
    }
  }

  // --domain: the MX hosts' addresses; no MX is the implicit MX (RFC 5321 section 5.1).
  boost::asio::awaitable<void> mx_hosts(const std::string& domain) {
    std::vector<Question> questions{{domain, net::dns_type::mx}};
    auto answers = co_await ask_all(questions, query_, transcript_);
    const auto& answer = answers.front();
    if (!answer) {
      set_.problems.push_back("MX of " + domain + ": " + answer.failure().message);
      co_return;
    }
    if (answer->security == net::DnsSecurity::bogus) {
      set_.problems.push_back("MX records of " + domain + " are DNSSEC-bogus (" +
                              answer->why_bogus + ")");
      co_return;
    }
    if (answer->status == Status::nxdomain) {
      set_.problems.push_back(domain + " does not exist (NXDOMAIN)");
      co_return;
    }
    std::vector<std::string> hosts;
    if (answer->status == Status::nodata) {
      set_.notes.push_back(domain +
                           " has no MX records: its own address is its MX (RFC 5321 "
                           "section 5.1)");
      hosts.push_back(domain);
    }
    std::vector<protocol::MxRecord> records;
    for (const auto& rdata : answer->records) {
      if (auto mx = protocol::parse_mx_rdata(rdata)) records.push_back(std::move(*mx));
    }
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& a, const auto& b) { return a.preference < b.preference; });
    for (const auto& mx : records) {
      if (mx.exchange.empty()) {  // RFC 7505: a null MX, the domain receives no mail
        set_.notes.push_back(domain + " has a null MX (RFC 7505): no MX address to check");
      } else if (std::find(hosts.begin(), hosts.end(), mx.exchange) == hosts.end()) {
        hosts.push_back(mx.exchange);
      }
    }
    // Every host costs two queries: no more hosts than addresses can be checked.
    if (hosts.size() > options_.max_addresses) {
      set_.notes.push_back("looked up the first " + std::to_string(options_.max_addresses) +
                           " of " + std::to_string(hosts.size()) + " MX hosts (--max-addresses)");
      hosts.resize(options_.max_addresses);
    }
    co_await names(std::move(hosts), std::string("MX "), false);
  }

  // --spf-ip: the single addresses the domain's SPF record (RFC 7208) authorizes with pass,
  // through include, a, mx and redirect, within the record's own lookup limit. The record is
  // found and parsed as check_mail_domain's SPF part does (probes/spf_parts.hpp).
  boost::asio::awaitable<void> spf(const std::string& domain) {
    if (lookups_ > max_spf_lookups) co_return;
    auto origin = "SPF of " + domain;
    auto query = recorded_query();
    bool secure = true;  // DNSSEC is check_mail_domain's to judge, not the blocklists'
    auto fetched = co_await spf::fetch_record(query, domain, secure);
    if (fetched.kind != spf::Fetched::Kind::record) {
      set_.notes.push_back(origin + ": " + fetched.problem);
      co_return;
    }
    for (const auto& term : fetched.record.terms) {
      if (lookups_ > max_spf_lookups) break;
      co_await spf_term(domain, term);
    }
    // Section 6.1: redirect applies only when no "all" matched, i.e. there is none.
    const auto* redirect = fetched.record.redirect();
    if (redirect != nullptr && !fetched.record.has_all() && count_lookup(origin)) {
      if (auto target = plain_target(*redirect, domain)) co_await spf(*target);
    }
  }

  TargetSet finish() {
    if (left_out_ > 0) {
      set_.notes.push_back(std::to_string(left_out_) + " more addresses not checked (at most " +
                           std::to_string(options_.max_addresses) + ", --max-addresses)");
    }
    return std::move(set_);
  }

 private:
  // RFC 7208 section 4.6.4: a term past the tenth lookup is a permanent error.
  bool count_lookup(const std::string& origin) {
    if (++lookups_ <= max_spf_lookups) return true;
    set_.notes.push_back(origin +
                         ": more than 10 DNS lookups (RFC 7208 section 4.6.4); the "
                         "rest was not followed");
    return false;
  }

  // The queries of the SPF walk, in the transcript as ask_all's are.
  net::DnsQuery recorded_query() {
    if (transcript_ == nullptr) return query_;
    return [this](std::string name, std::uint16_t type) -> boost::asio::awaitable<Answer> {
      auto answer = co_await query_(name, type);
      transcript_->push_back(answer_text(Question{name, type}, answer));
      co_return answer;
    };
  }

  // The name a term points at; nullopt (with a note) when a macro needs the sender.
  std::optional<std::string> plain_target(const protocol::SpfTerm& term,
                                          const std::string& domain) {
    if (spf::depends_on_sender(term.domain_spec)) {
      set_.notes.push_back("SPF of " + domain + ": " + term.text + " uses a macro, not followed");
      return std::nullopt;
    }
    return spf::target_of(term, domain, {});
  }

  // By value: a coroutine's reference parameters would outlive their temporaries.
  boost::asio::awaitable<void> spf_term(std::string domain, protocol::SpfTerm term) {
    using Kind = protocol::SpfTermKind;
    auto origin = "SPF of " + domain;
    if (term.kind == Kind::redirect) co_return;  // followed after the terms
    if (term.counts_lookup() && !count_lookup(origin)) co_return;
    // Only what passes is a sending address ("-ip4:" says the opposite).
    if (term.qualifier != protocol::SpfQualifier::pass) co_return;
    if (term.kind == Kind::ip4 || term.kind == Kind::ip6) {
      bool single = term.kind == Kind::ip4 ? term.cidr4 == 32 : term.cidr6 == 128;
      if (single) {
        add_address(protocol::spf_address_text(term.network), origin);
      } else {
        set_.notes.push_back(origin + ": " + term.text + " is a range, not checked");
      }
      co_return;
    }
    if (term.kind != Kind::a && term.kind != Kind::mx && term.kind != Kind::include) co_return;
    // a:domain/24 and mx/24: the CIDR length applies to the addresses, not the name.
    auto target = plain_target(term, domain);
    if (!target) co_return;
    if (term.kind == Kind::include) {
      co_await spf(*target);
    } else if (term.kind == Kind::a) {
      std::vector<std::string> hosts{*target};  // no braced list in co_await: GCC 12
      co_await names(std::move(hosts), std::string("SPF a "), false);
    } else {
      co_await spf_mx(*target);
    }
  }

  boost::asio::awaitable<void> spf_mx(const std::string& target) {
    std::vector<Question> questions{{target, net::dns_type::mx}};
    auto answers = co_await ask_all(questions, query_, transcript_);
    const auto& answer = answers.front();
    if (!answer) {
      set_.notes.push_back("SPF mx " + target + ": " + answer.failure().message);
      co_return;
    }
    std::vector<std::string> hosts;
    for (const auto& rdata : answer->records) {
      auto mx = protocol::parse_mx_rdata(rdata);
      if (mx && !mx->exchange.empty() && hosts.size() < max_spf_mx_names) {
        hosts.push_back(mx->exchange);
      }
    }
    co_await names(std::move(hosts), std::string("SPF mx "), false);
  }

  const DnsblOptions& options_;
  const net::DnsQuery& query_;
  std::vector<std::string>* transcript_;
  TargetSet set_;
  std::set<std::string> seen_;
  std::size_t addresses_ = 0;
  std::size_t left_out_ = 0;
  int lookups_ = 0;
};

}  // namespace

std::vector<std::string> addresses_in(const net::DnsAnswer& answer) {
  std::vector<std::string> out;
  for (const auto& rdata : answer.records) {
    auto address = answer.type == net::dns_type::a ? protocol::parse_a_rdata(rdata)
                                                   : protocol::parse_aaaa_rdata(rdata);
    if (address) out.push_back(std::move(*address));
  }
  return out;
}

boost::asio::awaitable<std::vector<Answer>> ask_all(const std::vector<Question>& questions,
                                                    const net::DnsQuery& query,
                                                    std::vector<std::string>* transcript) {
  auto executor = co_await boost::asio::this_coro::executor;
  std::vector<std::optional<Answer>> answers(questions.size());
  std::size_t next = 0;
  std::size_t left = std::min(max_parallel_queries, questions.size());
  std::string fault;
  boost::asio::steady_timer all_done(executor, boost::asio::steady_timer::time_point::max());
  for (std::size_t worker = 0, workers = left; worker < workers; ++worker) {
    boost::asio::co_spawn(
        executor,
        [&]() -> boost::asio::awaitable<void> {
          while (next < questions.size()) {
            auto i = next++;
            answers[i] = co_await query(questions[i].name, questions[i].type);
          }
        },
        [&](const std::exception_ptr& error) {
          if (error) fault = net::describe(error);  // a fault of ours: said, never silent
          if (--left == 0) all_done.cancel();
        });
  }
  if (left > 0) co_await all_done.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  std::vector<Answer> out;
  out.reserve(questions.size());
  for (std::size_t i = 0; i < questions.size(); ++i) {
    if (!answers[i]) {
      answers[i] = core::Failure{"dnsbl", core::FailureKind::internal,
                                 "no answer for " + questions[i].name + ": " + fault};
    }
    if (transcript != nullptr) transcript->push_back(answer_text(questions[i], *answers[i]));
    out.push_back(std::move(*answers[i]));
  }
  co_return out;
}

boost::asio::awaitable<TargetSet> collect_targets(const DnsblOptions& options,
                                                  const net::DnsQuery& query,
                                                  std::vector<std::string>* transcript) {
  Collector collector(options, query, transcript);
  std::vector<std::string> names;
  for (const auto& host : options.hosts) {
    if (canonical_address(host)) {
      collector.add_address(host, "");
    } else {
      names.push_back(host);
    }
  }
  if (!names.empty()) co_await collector.names(std::move(names), std::string(), true);
  if (!options.domain.empty()) {
    co_await collector.mx_hosts(options.domain);
    if (options.spf_addresses) co_await collector.spf(options.domain);
  }
  auto set = collector.finish();
  for (const auto& domain : options.rhsbl_domains)
    set.targets.push_back(Target{domain, "", true});
  co_return set;
}

}  // namespace mailprobe::probes::dnsbl
