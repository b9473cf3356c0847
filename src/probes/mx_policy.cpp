// check_mx's policies of the domain: MTA-STS (RFC 8461) and TLS-RPT (RFC 8460).

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/verb.hpp>

#include "core/format.hpp"
#include "probes/mx_parts.hpp"
#include "probes/txt_lookup.hpp"
#include "protocol/dns_records.hpp"
#include "protocol/http_client.hpp"
#include "protocol/tls_rpt.hpp"

namespace mailprobe::probes::mx {

namespace {

namespace http = boost::beast::http;

// The TXT records at `name` joined per record (probes/txt_lookup.hpp), or why they cannot
// be had; none is {}.
boost::asio::awaitable<core::Outcome<std::vector<std::string>>> txt_records(
    net::DnsResolver& dns, const std::string& name, core::Deadline deadline) {
  auto query = net::query_under(dns, deadline);
  auto set = co_await lookup_txt(query, name);
  if (set.failure) co_return *set.failure;
  if (set.security == net::DnsSecurity::bogus) {
    co_return core::Failure{"dns", core::FailureKind::protocol,
                            "TXT " + name + " is bogus (" + set.why_bogus + ")"};
  }
  co_return std::move(set.texts);
}

// An address of `host` from our own resolver: the policy host is looked up like the MX.
boost::asio::awaitable<core::Outcome<std::string>> address_of(net::DnsResolver& dns,
                                                              const std::string& host,
                                                              core::Deadline deadline) {
  for (auto type : {net::dns_type::a, net::dns_type::aaaa}) {
    auto answer = co_await dns.query(host, type, deadline);
    if (!answer) co_return answer.failure();
    for (const auto& rdata : answer->records) {
      auto address = type == net::dns_type::a ? protocol::parse_a_rdata(rdata)
                                              : protocol::parse_aaaa_rdata(rdata);
      if (address) co_return *address;
    }
  }
  co_return core::Failure{"mta-sts", core::FailureKind::resolve, host + " has no address"};
}

// RFC 8461 section 3.3: the policy over HTTPS with WebPKI, no redirects, text/plain.
boost::asio::awaitable<core::Outcome<std::string>> fetch_policy(net::DnsResolver& dns,
                                                                const MxOptions& options,
                                                                core::Deadline deadline) {
  auto host = "mta-sts." + options.domain;
  auto address = co_await address_of(dns, host, deadline);
  if (!address) co_return address.failure();
  protocol::HttpEndpoint endpoint;
  endpoint.host = host;
  endpoint.address = *address;
  endpoint.port = options.mta_sts_port;
  endpoint.tls = options.https_tls;
  endpoint.trust_hint = "(senders verify it against the public CAs)";
  protocol::HttpRequest request{http::verb::get, "/.well-known/mta-sts.txt", 11};
  request.set(http::field::host, options.mta_sts_port == 443
                                     ? host
                                     : host + ":" + std::to_string(options.mta_sts_port));
  request.set(http::field::user_agent, "mailprobe");
  protocol::HttpLimits limits;
  limits.max_body = protocol::max_sts_policy_bytes;
  auto url = "https://" + host + "/.well-known/mta-sts.txt";
  auto answer =
      co_await protocol::exchange_once(co_await boost::asio::this_coro::executor, endpoint,
                                       deadline, std::move(request), "the MTA-STS policy", limits);
  if (!answer) co_return answer.failure();
  if (answer->status >= 300 && answer->status < 400) {
    co_return core::Failure{"mta-sts", core::FailureKind::protocol,
                            url + " redirects to " + answer->location.substr(0, 200) +
                                ": senders do not follow redirects (RFC 8461 section 3.3)"};
  }
  if (answer->status != 200) {
    co_return core::Failure{
        "mta-sts", core::FailureKind::protocol,
        url + " answered " + protocol::status_line(answer->status, answer->reason)};
  }
  auto type = answer->content_type.substr(0, answer->content_type.find(';'));
  if (type != "text/plain") {
    co_return core::Failure{"mta-sts", core::FailureKind::protocol,
                            url + " is " + (type.empty() ? "without a media type" : type) +
                                ", not text/plain (RFC 8461 section 3.2)"};
  }
  co_return std::move(answer->body);
}

}  // namespace

boost::asio::awaitable<StsState> mta_sts(net::DnsResolver& dns, const MxOptions& options,
                                         core::Deadline deadline) {
  StsState state;
  auto texts = co_await txt_records(dns, "_mta-sts." + options.domain, deadline);
  if (!texts) {
    state.problem = texts.failure().message;
    co_return state;
  }
  std::string invalid;
  for (const auto& text : *texts) {
    auto parsed = protocol::parse_sts_txt(text);
    if (auto* record = std::get_if<protocol::StsTxtRecord>(&parsed)) {
      ++state.records;
      state.id = record->id;
      for (const auto& warning : record->warnings)
        state.warnings.push_back("TXT: " + warning);
    } else if (auto* failure = std::get_if<core::Failure>(&parsed)) {
      ++state.records;  // it says v=STSv1 but is not valid: senders see no policy
      invalid = failure->message;
    }
  }
  if (state.records == 0) co_return state;
  if (state.records > 1) {
    state.problem = std::to_string(state.records) + " STS records at _mta-sts." + options.domain +
                    ": senders see no policy (RFC 8461 section 3.1)";
    co_return state;
  }
  if (!invalid.empty()) {
    state.problem = "the STS record at _mta-sts." + options.domain + " is invalid: " + invalid;
    co_return state;
  }
  auto body = co_await fetch_policy(dns, options, deadline);
  if (!body) {
    state.problem = "cannot fetch the policy: " + body.failure().message;
    co_return state;
  }
  auto policy = protocol::parse_sts_policy(*body);
  if (!policy) {
    state.problem = "the policy is invalid: " + policy.failure().message;
    co_return state;
  }
  for (const auto& warning : policy->warnings)
    state.warnings.push_back("policy: " + warning);
  state.policy = std::move(*policy);
  co_return state;
}

boost::asio::awaitable<TlsRptState> tls_rpt(net::DnsResolver& dns, const MxOptions& options,
                                            core::Deadline deadline) {
  TlsRptState state;
  auto texts = co_await txt_records(dns, "_smtp._tls." + options.domain, deadline);
  if (!texts) {
    state.problem = texts.failure().message;
    co_return state;
  }
  for (const auto& text : *texts) {
    auto parsed = protocol::parse_tls_rpt_txt(text);
    if (auto* record = std::get_if<protocol::TlsRptRecord>(&parsed)) {
      if (state.present) {
        state.problem = "more than one TLS-RPT record (RFC 8460 section 3)";
        continue;
      }
      state.present = true;
      state.rua = record->rua;
    } else if (auto* failure = std::get_if<core::Failure>(&parsed)) {
      state.present = true;
      state.problem = failure->message;
    }
  }
  co_return state;
}

}  // namespace mailprobe::probes::mx
