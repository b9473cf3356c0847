// Where check_dnsbl's addresses come from, on a table of DNS answers: names and all their
// addresses, a domain's MX hosts (the implicit MX, a null MX), the senders its SPF record
// authorizes, domains on domain lists, and the bound on addresses.

#include <gtest/gtest.h>

#include <algorithm>

#include "unit/probes/dnsbl_fixture.hpp"

namespace mailprobe::probes {
namespace {

using core::State;
using dnsbl_test::DnsblProbe;
using dnsbl_test::list;
using dnsbl_test::working;

TEST_F(DnsblProbe, NamesResolveToEveryAddress) {
  working(dns.table, "bl.example");
  dns.table.a("mail.example.org", "192.0.2.10")
      .a("mail.example.org", "192.0.2.11")
      .aaaa("mail.example.org", "2001:db8::10");
  dns.table.a("10.2.0.192.bl.example", "127.0.0.2");
  dns.table.txt("text.example.org", "no address here");
  options.hosts = {"mail.example.org", "gone.example.org", "text.example.org"};
  options.lists = {list("bl.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::critical) << text(result);
  auto out = text(result);
  EXPECT_NE(out.find("[CRITICAL] 192.0.2.10 (mail.example.org) is on 1 of 1 list"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("[OK] 2001:db8::10 (mail.example.org) is on none"), std::string::npos) << out;
  EXPECT_NE(out.find("[UNKNOWN] gone.example.org: the name does not exist (NXDOMAIN)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("[UNKNOWN] text.example.org: no A or AAAA records"), std::string::npos) << out;
}

TEST_F(DnsblProbe, DomainMxHostsAndTheImplicitMx) {
  working(dns.table, "bl.example");
  dns.table.mx("example.org", 20, "mx2.example.org")
      .mx("example.org", 10, "mx1.example.org")
      .a("mx1.example.org", "192.0.2.25")
      .a("mx2.example.org", "192.0.2.26")
      .a("mx2.example.org", "192.0.2.25");  // the same address twice: asked once
  options.domain = "example.org";
  options.lists = {list("bl.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::ok) << text(result);
  auto out = text(result);
  EXPECT_NE(out.find("192.0.2.25 (MX mx1.example.org) is on none"), std::string::npos) << out;
  EXPECT_NE(out.find("192.0.2.26 (MX mx2.example.org) is on none"), std::string::npos) << out;
  EXPECT_TRUE(result.headline().starts_with("2 addresses on 1 list")) << result.headline();

  dns.table.a("nomx.example", "192.0.2.30");
  options.domain = "nomx.example";
  auto implicit = run();
  EXPECT_NE(text(implicit).find("192.0.2.30 (MX nomx.example) is on none"), std::string::npos)
      << text(implicit);
  EXPECT_NE(text(implicit).find("note: nomx.example has no MX records: its own address is its MX"),
            std::string::npos);

  dns.table.mx("null.example", 0, ".");
  options.domain = "null.example";
  auto null_mx = run();
  EXPECT_EQ(null_mx.overall(), State::unknown) << text(null_mx);
  EXPECT_TRUE(null_mx.headline().starts_with(
      "nothing to check: null.example has a null MX (RFC 7505): no MX address to check"))
      << null_mx.headline();

  options.domain = "nxdomain.example";
  auto missing = run();
  EXPECT_EQ(missing.overall(), State::unknown);
  EXPECT_NE(missing.headline().find("nxdomain.example does not exist (NXDOMAIN)"),
            std::string::npos)
      << missing.headline();
}

TEST_F(DnsblProbe, SpfSendingAddresses) {
  working(dns.table, "bl.example");
  dns.table.mx("example.org", 10, "mx.example.org").a("mx.example.org", "192.0.2.25");
  dns.table.txt("example.org",
                "v=spf1 ip4:192.0.2.40 ip4:198.51.100.0/24 -ip4:192.0.2.66 a:out.example.org "
                "mx include:_spf.example.org ~all");
  dns.table.txt("example.org", "google-site-verification=abc");
  dns.table.a("out.example.org", "192.0.2.41");
  dns.table.txt("_spf.example.org", "v=spf1 ip6:2001:db8::40 ip4:192.0.2.42/32 a:%{i}.x -all");
  dns.table.a("40.2.0.192.bl.example", "127.0.0.2");
  options.domain = "example.org";
  options.spf_addresses = true;
  options.lists = {list("bl.example")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::critical) << text(result);
  EXPECT_TRUE(result.headline().starts_with("192.0.2.40 is on bl.example: 127.0.0.2"))
      << result.headline();
  auto out = text(result);
  for (const char* line :
       {"192.0.2.25 (MX mx.example.org) is on none", "192.0.2.41 (SPF a out.example.org)",
        "2001:db8::40 (SPF of _spf.example.org)", "192.0.2.42 (SPF of _spf.example.org)",
        "note: SPF of example.org: ip4:198.51.100.0/24 is a range, not checked",
        "note: SPF of _spf.example.org: a:%{i}.x uses a macro, not followed"}) {
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
  EXPECT_EQ(out.find("192.0.2.66"), std::string::npos) << out;  // -ip4: not a sender
  // "mx" names the MX host again: its address once.
  EXPECT_EQ(out.find("192.0.2.25 (SPF"), std::string::npos) << out;
}

TEST_F(DnsblProbe, SpfLookupsAreBounded) {
  working(dns.table, "bl.example");
  dns.table.a("example.org", "192.0.2.1");
  // An include loop: RFC 7208 section 4.6.4 stops it after 10 lookups.
  dns.table.txt("example.org", "v=spf1 include:example.org -all");
  options.domain = "example.org";
  options.spf_addresses = true;
  options.lists = {list("bl.example")};
  auto result = run();
  EXPECT_NE(text(result).find("note: SPF of example.org: more than 10 DNS lookups (RFC 7208 "
                              "section 4.6.4); the rest was not followed"),
            std::string::npos)
      << text(result);
  auto asked = dns.table.asked();
  EXPECT_EQ(std::count(asked.begin(), asked.end(), "TXT example.org"), 11);
}

TEST_F(DnsblProbe, DomainsOnDomainLists) {
  dns.table.a("test.dbl.example", "127.0.1.2");
  dns.table.a("spam.example.dbl.example", "127.0.1.2").txt("spam.example.dbl.example", "phish");
  working(dns.table, "bl.example");
  options.hosts = {"192.0.2.1"};
  options.rhsbl_domains = {"spam.example", "good.example"};
  options.lists = {list("bl.example"), list("dbl.example domain 127.0.1.2-99=\"spam domain\"")};
  auto result = run();
  EXPECT_EQ(result.overall(), State::critical) << text(result);
  EXPECT_TRUE(result.headline().starts_with(
      "spam.example is on dbl.example: 127.0.1.2 (spam domain) 'phish'"))
      << result.headline();
  auto out = text(result);
  EXPECT_NE(out.find("dbl.example: test entries answered correctly (test listed, invalid not)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("192.0.2.1 is on none of 1 list"), std::string::npos) << out;
  // An address is never asked on a domain list, nor a domain on an address list.
  for (const auto& asked : dns.table.asked()) {
    EXPECT_EQ(asked.find("192.0.2.1.dbl"), std::string::npos) << asked;
    EXPECT_EQ(asked.find("spam.example.bl"), std::string::npos) << asked;
  }
  EXPECT_TRUE(text(result).find("1 address and 2 domains on 2 lists") != std::string::npos)
      << text(result);
}

TEST_F(DnsblProbe, AddressesAreBounded) {
  working(dns.table, "bl.example");
  for (int i = 1; i <= 40; ++i)
    dns.table.a("many.example", "192.0.2." + std::to_string(i));
  options.hosts = {"many.example"};
  options.lists = {list("bl.example")};
  options.max_addresses = 16;
  auto result = run();
  EXPECT_TRUE(result.headline().starts_with("16 addresses on 1 list")) << result.headline();
  EXPECT_NE(text(result).find("note: 24 more addresses not checked (at most 16, --max-addresses)"),
            std::string::npos);
  EXPECT_EQ(dns.table.asked().size(), 2U + 2U + 16U);  // A+AAAA, test entries, addresses
}

}  // namespace
}  // namespace mailprobe::probes
