// check_dnsbl: addresses and domains on DNS blocklists (probes/dnsbl.hpp, RFC 5782).

#include <fstream>
#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "net/resolve.hpp"
#include "plugins/plugin_options.hpp"
#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "probes/dnsbl.hpp"

namespace mailprobe::plugins {

namespace {

constexpr std::size_t max_names = 64;  // -H and --rhsbl-domain, each

core::Outcome<std::string> read_lists_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  auto fail = [&](const std::string& why) {
    return core::Failure{"dnsbl", core::FailureKind::config, "--lists-file '" + path + "': " + why};
  };
  if (!file) return fail("cannot read it");
  std::string text;
  // Bounded: one byte over the limit is enough to say it is too long.
  text.resize(protocol::max_dnsbl_lists_file_bytes + 1);
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (file.bad()) return fail("cannot read it");
  text.resize(static_cast<std::size_t>(file.gcount()));
  return text;
}

// --lists-file and every --list, each zone once.
core::Outcome<std::vector<protocol::DnsblList>> make_lists(const std::string& lists_file,
                                                           const std::vector<std::string>& lines) {
  auto fail = [](std::string message) {
    return core::Failure{"dnsbl", core::FailureKind::config, std::move(message)};
  };
  std::vector<protocol::DnsblList> lists;
  if (!lists_file.empty()) {
    auto text = read_lists_file(lists_file);
    if (!text) return text.failure();
    auto parsed = protocol::parse_dnsbl_lists(*text);
    if (!parsed) return fail("--lists-file '" + lists_file + "': " + parsed.failure().message);
    lists = std::move(*parsed);
  }
  for (const auto& line : lines) {
    auto parsed = protocol::parse_dnsbl_line(line);
    if (!parsed) return fail("--list '" + line + "': " + parsed.failure().message);
    if (!*parsed) return fail("--list '" + line + "': no zone in it");
    for (const auto& other : lists) {
      if (other.zone == (*parsed)->zone) return fail("--list " + other.zone + " is given twice");
    }
    lists.push_back(std::move(**parsed));
  }
  if (lists.empty()) return fail("no list given (--list ZONE or --lists-file FILE)");
  if (lists.size() > protocol::max_dnsbl_lists) {
    return fail("more than " + std::to_string(protocol::max_dnsbl_lists) + " lists");
  }
  return lists;
}

}  // namespace

PluginPlan check_dnsbl(const std::string& name, int argc, const char* const* argv) {
  OptionParser app{name,
                   "Checks addresses (given, a domain's MX hosts, its SPF senders) and domains "
                   "on DNS blocklists (RFC 5782); every list is tested with its test entries "
                   "first, and a list that refuses queries is UNKNOWN, never a listing."};
  PluginOptions options;
  probes::DnsblOptions dnsbl;
  std::vector<std::string> hosts;
  std::vector<std::string> rhsbl_domains;
  std::vector<std::string> list_lines;
  std::string domain;
  std::string lists_file;
  std::optional<long> warning;
  std::optional<long> critical;
  long max_addresses = 16;
  // --host: the daemon's /probe gives a module's target as --host.
  app.value("-H,--host,--address", hosts,
            "Address, or name of which every address is checked (repeatable)");
  app.value("--domain", domain, "Domain whose MX hosts' addresses are checked");
  app.flag("--spf-ip", dnsbl.spf_addresses,
           "With --domain: also the single addresses its SPF record authorizes");
  app.value("--rhsbl-domain", rhsbl_domains, "Domain checked on the domain lists (repeatable)");
  // -s, --server: check_rbl's names for it.
  app.value("-s,--list,--server", list_lines,
            "List: ZONE [ip|domain] [no-test-entry] [CODE=MEANING ...] (repeatable)");
  app.value("--lists-file", lists_file, "File of lists, one --list line each ('#' comments)");
  app.value("-w,--warning", warning, "WARNING when an address is on at least this many lists",
            {1, 64});
  app.value("-c,--critical", critical,
            "CRITICAL when an address is on at least this many lists (default: 1)", {1, 64});
  app.value("--max-addresses", max_addresses, "Check at most this many addresses (default: 16)",
            {1, 256});
  app.value("-t,--timeout", options.timeout, "Seconds for the whole check (default: 10)",
            ranges::timeout);
  app.value("--resolver", dnsbl.dns.resolver,
            "ADDR[@PORT] of the resolver to ask (default: those of /etc/resolv.conf)");
  app.value("--trust-anchor", dnsbl.dns.trust_anchor_file,
            "DNSSEC trust anchor file (default: /usr/share/dns/root.key)");
  app.counter("-v,--verbose", options.verbose, "Show every query and its answer");
  app.value("--output-format", options.output_format, "nagios (default) or json");
  if (auto done = parse_plugin_options(app, argc, argv, "DNSBL")) return *done;

  // An empty value is not given, as Nagios passes an empty $ARGn$ (contrib/nagios).
  for (auto* values : {&hosts, &rhsbl_domains, &list_lines}) {
    std::erase(*values, std::string());
  }
  auto format = make_output_format(options);
  if (!format) return option_error("DNSBL", format.failure().message);
  auto lists = make_lists(lists_file, list_lines);
  if (!lists) return option_error("DNSBL", lists.failure().message);
  if (hosts.empty() && domain.empty() && rhsbl_domains.empty()) {
    return option_error("DNSBL", "nothing to check: give -H, --domain or --rhsbl-domain");
  }
  if (hosts.size() > max_names || rhsbl_domains.size() > max_names) {
    return option_error("DNSBL",
                        "more than " + std::to_string(max_names) + " -H or --rhsbl-domain values");
  }
  if (dnsbl.spf_addresses && domain.empty()) {
    return option_error("DNSBL", "--spf-ip needs --domain");
  }
  for (const auto& host : hosts) {
    if (net::is_ip_literal(host)) {
      dnsbl.hosts.push_back(host);
      continue;
    }
    auto ascii = net::domain_name_to_ascii(host);
    if (!ascii) return option_error("DNSBL", "-H " + ascii.failure().message);
    dnsbl.hosts.push_back(*ascii);
  }
  std::set<std::string> seen;
  for (const auto& rhsbl : rhsbl_domains) {
    auto ascii = net::domain_name_to_ascii(rhsbl);
    if (!ascii) return option_error("DNSBL", "--rhsbl-domain " + ascii.failure().message);
    if (seen.insert(*ascii).second) dnsbl.rhsbl_domains.push_back(*ascii);
  }
  if (!domain.empty()) {
    auto ascii = net::domain_name_to_ascii(domain);
    if (!ascii) return option_error("DNSBL", "--domain " + ascii.failure().message);
    dnsbl.domain = *ascii;
  }
  bool ip_lists = false;
  bool domain_lists = false;
  for (const auto& list : *lists) {
    (list.kind == protocol::DnsblKind::ip ? ip_lists : domain_lists) = true;
  }
  if ((!hosts.empty() || !domain.empty()) && !ip_lists) {
    return option_error("DNSBL",
                        "-H and --domain give addresses, but every list is a domain "
                        "list: add an address list");
  }
  if (!rhsbl_domains.empty() && !domain_lists) {
    return option_error("DNSBL", "--rhsbl-domain needs a domain list ('ZONE domain')");
  }
  dnsbl.critical = static_cast<int>(critical.value_or(1));
  if (warning) {
    if (*warning > dnsbl.critical) {
      return option_error("DNSBL", "-w " + std::to_string(*warning) + " is over -c " +
                                       std::to_string(dnsbl.critical) +
                                       (critical ? "" : " (the default): give -c too"));
    }
    dnsbl.warning = static_cast<int>(*warning);
  }
  dnsbl.lists = std::move(*lists);
  dnsbl.max_addresses = static_cast<std::size_t>(max_addresses);
  dnsbl.transcript = options.verbose > 0;
  return plugin_call(
      "DNSBL", [dnsbl](core::Deadline deadline) { return probes::probe_dnsbl(dnsbl, deadline); },
      options.timeout, *format, dnsbl.transcript);
}

}  // namespace mailprobe::plugins
