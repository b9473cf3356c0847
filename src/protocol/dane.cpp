#include "protocol/dane.hpp"

#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

namespace mailprobe::protocol {

namespace {

struct StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreContextFree {
  void operator()(X509_STORE_CTX* context) const { X509_STORE_CTX_free(context); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};

// Whether the leaf chains up to `anchor` through the other certificates the server sent,
// within their dates, with a name of `names` (RFC 7672 section 3.2.3: the TLSA base domain,
// the MX host name, and the next-hop domain; no partial wildcards). The anchor is trusted as it is,
// whether self-signed or not (a TA record may name an intermediate).
bool chains_to(const std::vector<net::X509Ptr>& chain, X509* anchor,
               const std::vector<std::string>& names, std::string& why) {
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, StoreContextFree> context(X509_STORE_CTX_new());
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  if (!store || !context || !untrusted || X509_STORE_add_cert(store.get(), anchor) != 1) {
    why = "out of memory";
    return false;
  }
  for (std::size_t i = 1; i < chain.size(); ++i)
    sk_X509_push(untrusted.get(), chain[i].get());
  if (X509_STORE_CTX_init(context.get(), store.get(), chain.front().get(), untrusted.get()) != 1) {
    why = "cannot verify the chain";
    return false;
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i == 0) {
      X509_VERIFY_PARAM_set1_host(param, names[i].c_str(), names[i].size());
    } else {
      X509_VERIFY_PARAM_add1_host(param, names[i].c_str(), names[i].size());
    }
  }
  if (X509_verify_cert(context.get()) == 1) return true;
  net::VerifyFailure failure;
  failure.error = X509_STORE_CTX_get_error(context.get());
  failure.depth = X509_STORE_CTX_get_error_depth(context.get());
  if (X509* current = X509_STORE_CTX_get_current_cert(context.get())) {
    failure.certificate = net::certificate_facts(current);
  }
  std::string expected;  // "'mx.example.org' or 'example.org'"
  for (const auto& name : names)
    expected += (expected.empty() ? "" : "' or '") + name;
  why = net::describe_verify_failure(failure, expected);
  return false;
}

}  // namespace

DaneVerdict verify_dane(const std::vector<TlsaRecord>& records,
                        const std::vector<net::X509Ptr>& chain,
                        const std::vector<std::string>& names) {
  DaneVerdict verdict;
  const TlsaRecord* first_usable = nullptr;
  std::string ta_problem;
  for (const auto& record : records) {
    if (auto reason = unusable_reason(record)) {
      verdict.unusable.push_back(describe(record) + ": " + *reason);
      continue;
    }
    if (first_usable == nullptr) first_usable = &record;
    if (chain.empty()) continue;
    if (record.usage == TlsaRecord::dane_ee) {
      if (tlsa_matches(record, chain.front().get())) {
        verdict.result = DaneVerdict::Result::matched;
        verdict.matched = describe(record);
        return verdict;
      }
      continue;
    }
    // DANE-TA: a certificate the server sent above the leaf (RFC 7671 section 5.2.2).
    for (std::size_t depth = 1; depth < chain.size(); ++depth) {
      if (!tlsa_matches(record, chain[depth].get())) continue;
      std::string why;
      if (chains_to(chain, chain[depth].get(), names, why)) {
        verdict.result = DaneVerdict::Result::matched;
        verdict.matched = describe(record);
        return verdict;
      }
      ta_problem = "the trust anchor of " + describe(record) + " is in the chain, but " + why;
    }
  }
  if (first_usable == nullptr) return verdict;  // only unusable records
  verdict.result = DaneVerdict::Result::no_match;
  if (!ta_problem.empty()) {
    verdict.presented = ta_problem;
  } else if (!chain.empty()) {
    verdict.presented =
        describe(*first_usable) + " is published, the certificate's " +
        tlsa_selector_name(first_usable->selector) + " " +
        tlsa_matching_name(first_usable->matching) + " is " +
        tlsa_digest_hex(chain.front().get(), first_usable->selector, first_usable->matching);
  }
  return verdict;
}

}  // namespace mailprobe::protocol
