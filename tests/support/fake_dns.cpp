#include "support/fake_dns.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <cctype>
#include <stdexcept>

namespace mailprobe::test {
namespace {

std::string normal(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

}  // namespace

std::string txt_rdata(const std::vector<std::string>& strings) {
  std::string out;
  for (const auto& s : strings) {
    if (s.size() > 255) throw std::invalid_argument("TXT string over 255 bytes");
    out += static_cast<char>(s.size());
    out += s;
  }
  return out;
}

std::string a_rdata(const std::string& ipv4) {
  std::string out(4, '\0');
  if (inet_pton(AF_INET, ipv4.c_str(), out.data()) != 1) throw std::invalid_argument(ipv4);
  return out;
}

std::string aaaa_rdata(const std::string& ipv6) {
  std::string out(16, '\0');
  if (inet_pton(AF_INET6, ipv6.c_str(), out.data()) != 1) throw std::invalid_argument(ipv6);
  return out;
}

std::string name_rdata(const std::string& name) {
  std::string out;
  std::string n = normal(name);
  std::size_t start = 0;
  while (start < n.size()) {
    auto dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    out += static_cast<char>(dot - start);
    out += n.substr(start, dot - start);
    start = dot + 1;
  }
  out += '\0';
  return out;
}

std::string mx_rdata(std::uint16_t preference, const std::string& exchange) {
  std::string out;
  out += static_cast<char>(preference >> 8);
  out += static_cast<char>(preference & 0xff);
  return out + name_rdata(exchange);
}

FakeDns& FakeDns::add(const std::string& name, std::uint16_t type, std::string rdata) {
  names_[normal(name)] = true;
  records_[{normal(name), type}].push_back(std::move(rdata));
  return *this;
}

FakeDns& FakeDns::txt(const std::string& name, const std::string& text) {
  std::vector<std::string> strings;
  for (std::size_t i = 0; i < text.size(); i += 255)
    strings.push_back(text.substr(i, 255));
  if (strings.empty()) strings.emplace_back();
  return add(name, net::dns_type::txt, txt_rdata(strings));
}

FakeDns& FakeDns::a(const std::string& name, const std::string& ipv4) {
  return add(name, net::dns_type::a, a_rdata(ipv4));
}

FakeDns& FakeDns::aaaa(const std::string& name, const std::string& ipv6) {
  return add(name, net::dns_type::aaaa, aaaa_rdata(ipv6));
}

FakeDns& FakeDns::mx(const std::string& name, std::uint16_t preference,
                     const std::string& exchange) {
  return add(name, net::dns_type::mx, mx_rdata(preference, exchange));
}

FakeDns& FakeDns::ptr(const std::string& name, const std::string& target) {
  return add(name, net::dns_type::ptr, name_rdata(target));
}

FakeDns& FakeDns::security(net::DnsSecurity security) {
  security_ = security;
  return *this;
}

FakeDns& FakeDns::fail(const std::string& name, std::uint16_t type, core::Failure failure) {
  failures_.insert_or_assign({normal(name), type}, std::move(failure));
  return *this;
}

core::Outcome<net::DnsAnswer> FakeDns::answer(const std::string& asked, std::uint16_t type) {
  auto name = normal(asked);
  asked_.push_back(net::dns_type_name(type) + " " + name);
  if (auto f = failures_.find({name, type}); f != failures_.end()) return f->second;
  net::DnsAnswer answer;
  answer.name = name;
  answer.type = type;
  answer.security = security_;
  answer.ttl = 300;
  if (!names_.contains(name)) {
    answer.status = net::DnsAnswer::Status::nxdomain;
    return answer;
  }
  auto found = records_.find({name, type});
  if (found == records_.end()) {
    answer.status = net::DnsAnswer::Status::nodata;
    return answer;
  }
  answer.records = found->second;
  return answer;
}

net::DnsQuery FakeDns::query() {
  return [this](std::string name,
                std::uint16_t type) -> boost::asio::awaitable<core::Outcome<net::DnsAnswer>> {
    co_return answer(name, type);
  };
}

}  // namespace mailprobe::test
