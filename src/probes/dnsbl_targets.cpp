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
#include "protocol/dns_records.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::probes::dnsbl {

namespace {

using Status = net::DnsAnswer::Status;

// RFC 7208 section 4.6.4: at most 10 terms that cause DNS lookups, and at most 10 MX names
// looked up for one "mx" term.
constexpr int max_spf_lookups = 10;
constexpr std::size_t max_spf_mx_names = 10;
constexpr std::string_view qualifiers = "+-~?";

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
  // through include, a, mx and redirect, within the record's own lookup limit.
  boost::asio::awaitable<void> spf(const std::string& domain) {
    if (lookups_ > max_spf_lookups) co_return;
    auto origin = "SPF of " + domain;
    std::vector<Question> questions{{domain, net::dns_type::txt}};
    auto answers = co_await ask_all(questions, query_, transcript_);
    const auto& answer = answers.front();
    if (!answer) {
      set_.notes.push_back(origin + ": " + answer.failure().message);
      co_return;
    }
    std::vector<std::string> records;
    for (const auto& rdata : answer->records) {
      auto txt = protocol::parse_txt_rdata(rdata);
      if (!txt) continue;
      std::string lower(txt->substr(0, 7));
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      // RFC 7208 section 4.5: "v=spf1" followed by a space or the end.
      if (lower == "v=spf1" || lower == "v=spf1 ") records.push_back(*txt);
    }
    if (records.size() != 1) {
      set_.notes.push_back(origin + ": " +
                           (records.empty() ? "no SPF record"
                                            : "more than one SPF record (RFC 7208 section 4.5: "
                                              "a permanent error)"));
      co_return;
    }
    std::string redirect;
    bool has_all = false;
    std::string_view rest(records.front());
    rest.remove_prefix(6);
    while (!rest.empty()) {
      auto start = rest.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      auto term = rest.substr(0, rest.find(' '));
      rest.remove_prefix(term.size());
      if (lookups_ > max_spf_lookups) break;
      co_await spf_term(domain, std::string(term), redirect, has_all);
    }
    if (!redirect.empty() && !has_all && count_lookup(origin)) co_await spf(redirect);
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

  boost::asio::awaitable<void> spf_term(const std::string& domain, std::string term,
                                        std::string& redirect, bool& has_all) {
    auto origin = "SPF of " + domain;
    char qualifier = '+';
    if (!term.empty() &&
        std::string_view(qualifiers).find(term.front()) != std::string_view::npos) {
      qualifier = term.front();
      term.erase(0, 1);
    }
    auto colon = term.find_first_of(":=/");
    std::string name = term.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = colon == std::string::npos ? std::string() : term.substr(colon + 1);
    bool separator_colon = colon != std::string::npos && term[colon] == ':';
    if (name == "all") has_all = true;
    if (name == "redirect" && colon != std::string::npos && term[colon] == '=') redirect = value;
    bool looks_up =
        name == "a" || name == "mx" || name == "include" || name == "ptr" || name == "exists";
    if (looks_up && !count_lookup(origin)) co_return;
    // Only what passes is a sending address ("-ip4:" says the opposite).
    if (qualifier != '+' && name != "include") co_return;
    if (name == "ip4" || name == "ip6") {
      auto slash = value.find('/');
      auto address = value.substr(0, slash);
      auto length = slash == std::string::npos ? std::string() : value.substr(slash + 1);
      std::string host_length = name == "ip4" ? std::string("32") : std::string("128");
      if (length.empty() || length == host_length) {
        add_address(address, origin);
      } else {
        set_.notes.push_back(origin + ": " + name + ":" + value + " is a range, not checked");
      }
      co_return;
    }
    if (name != "a" && name != "mx" && name != "include") co_return;
    // a:domain/24 and mx/24: the CIDR length applies to the addresses, not the name.
    std::string target = separator_colon ? value.substr(0, value.find('/')) : domain;
    if (target.find('%') != std::string::npos) {
      set_.notes.push_back(origin + ": " + term + " uses a macro, not followed");
      co_return;
    }
    if (name == "include") {
      if (qualifier == '+') co_await spf(target);
    } else if (name == "a") {
      std::vector<std::string> hosts{target};  // no braced list in co_await: GCC 12
      co_await names(std::move(hosts), std::string("SPF a "), false);
    } else {
      co_await spf_mx(target);
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
