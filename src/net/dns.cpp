#include "net/dns.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>

#include "core/ascii.hpp"
#include "core/format.hpp"
#include "net/dns_library.hpp"
#include "net/spawn.hpp"

namespace mailprobe::net {

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// RFC 1035 section 4.1.1: RCODE values.
constexpr int rcode_servfail = 2;
constexpr int rcode_nxdomain = 3;

core::Failure config_failure(std::string message) {
  return {"dns", core::FailureKind::config, std::move(message)};
}

std::string without_dot(std::string name) {
  if (!name.empty() && name.back() == '.') name.pop_back();
  return name;
}

std::string rcode_name(int rcode) {
  static const char* const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                      "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                      "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode >= 0 && rcode < static_cast<int>(std::size(names))) return names[rcode];
  return "RCODE " + std::to_string(rcode);
}

}  // namespace

// A query on its way: libunbound calls back with its result; the asking coroutine waits on
// `wake`, which expires at the deadline or is cancelled by the callback.
struct Pending {
  Pending(const asio::any_io_executor& executor, int& count) : wake(executor), outstanding(count) {}
  asio::steady_timer wake;
  int& outstanding;  // the resolver's count of queries on their way
  bool done = false;
  int error = 0;
  ub_result* result = nullptr;
};

// The context and what waits on it. Shared with the loop that reads libunbound's answers,
// so that it outlives the DnsResolver if that loop is still suspended when it goes.
struct DnsResolver::State {
  State(asio::any_io_executor e, const UnboundLibrary* library, ub_ctx* context)
      : executor(std::move(e)), ub(library), ctx(context), answers(executor) {}
  ~State() {
    for (auto& [id, pending] : pending_by_id)
      ub->cancel(ctx, id);
    answers.release();  // the descriptor is libunbound's; ub_ctx_delete closes it
    ub->ctx_delete(ctx);
  }

  asio::any_io_executor executor;
  const UnboundLibrary* ub;
  ub_ctx* ctx;
  asio::posix::stream_descriptor answers;  // readable when libunbound has answers
  std::map<int, std::shared_ptr<Pending>> pending_by_id;
  int outstanding = 0;  // queries submitted and neither answered nor cancelled
  bool reading = false;
  bool closed = false;
};

namespace {

void on_answer(void* data, int error, ub_result* result) {
  auto* pending = static_cast<Pending*>(data);
  --pending->outstanding;
  pending->done = true;
  pending->error = error;
  pending->result = result;
  pending->wake.cancel();
}

// Hands libunbound's answers to their callbacks while queries are on their way.
asio::awaitable<void> read_answers(std::shared_ptr<DnsResolver::State> state) {
  while (!state->closed && state->outstanding > 0) {
    auto [ec] =
        co_await state->answers.async_wait(asio::posix::descriptor_base::wait_read, use_tuple);
    if (ec || state->closed) break;
    state->ub->process(state->ctx);  // calls on_answer for each answer that came
  }
  state->reading = false;
}

DnsAnswer answer_of(const ub_result& result, std::string name, std::uint16_t type) {
  DnsAnswer answer;
  answer.name = std::move(name);
  answer.type = type;
  answer.security = result.bogus    ? DnsSecurity::bogus
                    : result.secure ? DnsSecurity::secure
                                    : DnsSecurity::insecure;
  if (result.bogus && result.why_bogus != nullptr) answer.why_bogus = result.why_bogus;
  answer.status = result.nxdomain   ? DnsAnswer::Status::nxdomain
                  : result.havedata ? DnsAnswer::Status::data
                                    : DnsAnswer::Status::nodata;
  if (result.canonname != nullptr) {
    auto canonical = core::ascii_lower(without_dot(result.canonname));
    if (canonical != answer.name) answer.canonical_name = canonical;
  }
  // The header's second flag byte: QR, opcode, AA, TC, RD (RFC 1035 section 4.1.1).
  if (result.answer_packet != nullptr && result.answer_len > 2) {
    auto flags = static_cast<const unsigned char*>(result.answer_packet)[2];
    answer.truncated = (flags & 0x02) != 0;
  }
  answer.ttl = result.ttl > 0 ? static_cast<std::uint32_t>(result.ttl) : 0;
  if (result.havedata && result.data != nullptr && result.len != nullptr) {
    for (int i = 0; result.data[i] != nullptr; ++i) {
      answer.records.emplace_back(result.data[i], static_cast<std::size_t>(result.len[i]));
    }
  }
  return answer;
}

}  // namespace

std::string dns_type_name(std::uint16_t type) {
  switch (type) {
    case dns_type::a:
      return "A";
    case dns_type::ns:
      return "NS";
    case dns_type::cname:
      return "CNAME";
    case dns_type::soa:
      return "SOA";
    case dns_type::ptr:
      return "PTR";
    case dns_type::mx:
      return "MX";
    case dns_type::txt:
      return "TXT";
    case dns_type::aaaa:
      return "AAAA";
    case dns_type::ds:
      return "DS";
    case dns_type::dnskey:
      return "DNSKEY";
    case dns_type::tlsa:
      return "TLSA";
    default:
      return "TYPE" + std::to_string(type);
  }
}

std::string_view dns_security_name(DnsSecurity security) {
  switch (security) {
    case DnsSecurity::secure:
      return "secure";
    case DnsSecurity::insecure:
      return "insecure";
    case DnsSecurity::bogus:
      return "bogus";
  }
  return "insecure";
}

core::Outcome<std::unique_ptr<DnsResolver>> DnsResolver::create(asio::any_io_executor executor,
                                                                const DnsOptions& options) {
  std::string error;
  const auto* ub = unbound_library(error);
  if (ub == nullptr) return config_failure(error);
  // A trust anchor that cannot be read would make every answer insecure without a word.
  if (!std::ifstream(options.trust_anchor_file)) {
    return config_failure("cannot read the trust anchor file '" + options.trust_anchor_file + "'");
  }
  ub_ctx* ctx = ub->ctx_create();
  if (ctx == nullptr) return config_failure("cannot create a DNS resolver context");
  auto state = std::make_shared<State>(executor, ub, ctx);
  auto check = [&](int code, const std::string& what) -> std::optional<core::Failure> {
    if (code == 0) return std::nullopt;
    return config_failure(what + ": " + ub->strerror(code));
  };
  // A thread of libunbound's resolves; without it libunbound forks a process.
  if (auto failed = check(ub->ctx_async(ctx, 1), "cannot resolve in the background")) {
    return *failed;
  }
  // Resolvers on this machine (a local cache, the lab) are asked like any other.
  ub->ctx_set_option(ctx, "do-not-query-localhost:", "no");
  if (!options.resolver.empty()) {
    if (auto failed = check(ub->ctx_set_fwd(ctx, options.resolver.c_str()),
                            "resolver '" + options.resolver + "' is not ADDR[@PORT]")) {
      return *failed;
    }
  } else if (auto failed = check(ub->ctx_resolvconf(ctx, "/etc/resolv.conf"),
                                 "cannot use the resolvers of /etc/resolv.conf")) {
    return *failed;
  }
  if (auto failed = check(ub->ctx_add_ta_file(ctx, options.trust_anchor_file.c_str()),
                          "trust anchor file '" + options.trust_anchor_file + "'")) {
    return *failed;
  }
  int fd = ub->fd(ctx);
  if (fd < 0) return config_failure("cannot resolve in the background: no descriptor");
  boost::system::error_code assigned;
  state->answers.assign(fd, assigned);
  if (assigned) return config_failure("cannot watch the resolver: " + assigned.message());
  return std::unique_ptr<DnsResolver>(new DnsResolver(std::move(state)));
}

DnsResolver::DnsResolver(std::shared_ptr<State> state) : state_(std::move(state)) {}

DnsResolver::~DnsResolver() {
  state_->closed = true;
  // The reading loop, if suspended, holds the state and ends when it is woken.
  boost::system::error_code ignored;
  state_->answers.cancel(ignored);
}

DnsQuery query_under(DnsResolver& resolver, core::Deadline deadline) {
  return [&resolver, deadline](std::string name, std::uint16_t type) {
    return resolver.query(std::move(name), type, deadline);
  };
}

asio::awaitable<core::Outcome<DnsAnswer>> DnsResolver::query(std::string name, std::uint16_t type,
                                                             core::Deadline deadline) {
  auto ascii = domain_name_to_ascii(name);
  if (!ascii) co_return ascii.failure();
  auto state = state_;
  auto what = dns_type_name(type) + " " + *ascii;
  auto pending = std::make_shared<Pending>(state->executor, state->outstanding);
  pending->wake.expires_at(deadline.at());
  int id = 0;
  int submitted = state->ub->resolve_async(state->ctx, ascii->c_str(), type, 1 /* IN */,
                                           pending.get(), on_answer, &id);
  if (submitted != 0) {
    co_return core::Failure{"dns", core::FailureKind::resolve,
                            "cannot resolve " + what + ": " + state->ub->strerror(submitted)};
  }
  state->pending_by_id[id] = pending;
  ++state->outstanding;
  if (!state->reading) {
    state->reading = true;
    asio::co_spawn(state->executor, read_answers(state), log_failure("reading DNS answers"));
  }
  co_await pending->wake.async_wait(use_tuple);
  state->pending_by_id.erase(id);
  if (!pending->done) {
    state->ub->cancel(state->ctx, id);  // no callback comes after this
    // The reading loop waits only while something is on its way: else it would keep the
    // io_context busy (a plugin's run would not end) for an answer that never comes.
    if (--state->outstanding == 0) {
      boost::system::error_code ignored;
      state->answers.cancel(ignored);
    }
    co_return core::Failure{"dns", core::FailureKind::timeout,
                            "timeout after " +
                                core::format_seconds(core::seconds(deadline.budget())) +
                                " resolving " + what};
  }
  std::unique_ptr<ub_result, decltype(state->ub->resolve_free)> result(pending->result,
                                                                       state->ub->resolve_free);
  if (pending->error != 0 || !result) {
    co_return core::Failure{"dns", core::FailureKind::resolve,
                            "cannot resolve " + what + ": " + state->ub->strerror(pending->error)};
  }
  // Bogus data is an answer (the caller says what senders make of it); a SERVFAIL without
  // data, or REFUSED, is a resolver that could not answer.
  if (!result->bogus && result->rcode != 0 && result->rcode != rcode_nxdomain) {
    auto why =
        result->rcode == rcode_servfail ? std::string("SERVFAIL") : rcode_name(result->rcode);
    co_return core::Failure{"dns", core::FailureKind::resolve,
                            "the resolver answered " + why + " for " + what};
  }
  co_return answer_of(*result, *ascii, type);
}

core::Outcome<std::string> domain_name_to_ascii(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return config_failure("'" + std::string(name.substr(0, 300)) +
                          "' is not a domain name: " + why);
  };
  if (name.empty()) return bad("it is empty");
  std::string ascii;
  bool plain =
      std::all_of(name.begin(), name.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
  if (plain) {
    ascii = core::ascii_lower(std::string(name));
  } else {
    std::string error;
    const auto* idn = idn2_library(error);
    if (idn == nullptr) return bad(error);
    char* converted = nullptr;
    std::string input(name);
    int rc = idn->to_ascii_8z(input.c_str(), &converted, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK || converted == nullptr) return bad(idn->strerror(rc));
    ascii = core::ascii_lower(converted);
    idn->free(converted);
  }
  ascii = without_dot(std::move(ascii));
  // RFC 1035 section 2.3.4: labels of 1 to 63 octets, 255 octets in wire form (253 in text).
  if (ascii.size() > 253) return bad("longer than 253 characters");
  std::size_t start = 0;
  while (start <= ascii.size()) {
    auto end = ascii.find('.', start);
    auto label =
        std::string_view(ascii).substr(start, end == std::string::npos ? end : end - start);
    if (label.empty()) return bad("an empty label");
    if (label.size() > 63) return bad("a label longer than 63 characters");
    // Letters, digits, hyphens and underscores (service labels such as _25._tcp, _dmarc).
    bool valid = std::all_of(label.begin(), label.end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || c == '-' || c == '_';
    });
    if (!valid) return bad("a character no host or service name has");
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return ascii;
}

}  // namespace mailprobe::net
