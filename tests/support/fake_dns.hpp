#pragma once
// A table of DNS answers behind net::DnsQuery, for unit tests of what reads DNS (SPF
// evaluation, DMARC, DKIM, blocklists) without a resolver: records in wire format as
// net::DnsResolver returns them, NXDOMAIN, failures, and a count of the queries asked.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/outcome.hpp"
#include "net/dns.hpp"

namespace mailprobe::test {

// RDATA in wire format.
std::string txt_rdata(const std::vector<std::string>& strings);  // each at most 255 bytes
std::string a_rdata(const std::string& ipv4);
std::string aaaa_rdata(const std::string& ipv6);
std::string name_rdata(const std::string& name);  // CNAME, PTR, NS: "mx.example.org"
std::string mx_rdata(std::uint16_t preference, const std::string& exchange);

class FakeDns {
 public:
  // Adds a record; the name then exists (other types are NODATA).
  FakeDns& add(const std::string& name, std::uint16_t type, std::string rdata);
  FakeDns& txt(const std::string& name, const std::string& text);  // one string, split at 255
  FakeDns& a(const std::string& name, const std::string& ipv4);
  FakeDns& aaaa(const std::string& name, const std::string& ipv6);
  FakeDns& mx(const std::string& name, std::uint16_t preference, const std::string& exchange);
  FakeDns& ptr(const std::string& name, const std::string& target);
  // Every answer of this table has this security (default: insecure).
  FakeDns& security(net::DnsSecurity security);
  // A query for (name, type) fails with `failure` (SERVFAIL: kind resolve; timeout).
  FakeDns& fail(const std::string& name, std::uint16_t type, core::Failure failure);

  // The table as a query function; the table must outlive it. Names are compared in lower
  // case without a trailing dot; a name never added is NXDOMAIN.
  net::DnsQuery query();
  // The queries asked so far, as "TYPE name".
  const std::vector<std::string>& asked() const { return asked_; }

 private:
  core::Outcome<net::DnsAnswer> answer(const std::string& name, std::uint16_t type);
  std::map<std::pair<std::string, std::uint16_t>, std::vector<std::string>> records_;
  std::map<std::string, bool> names_;
  std::map<std::pair<std::string, std::uint16_t>, core::Failure> failures_;
  net::DnsSecurity security_ = net::DnsSecurity::insecure;
  std::vector<std::string> asked_;
};

}  // namespace mailprobe::test
