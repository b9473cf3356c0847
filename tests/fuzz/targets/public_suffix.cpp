// The Public Suffix List as read from a file (rules, wildcards, exceptions, U-labels), and
// organizational domains as DMARC derives them for any name a domain check is given.
#include "protocol/public_suffix.hpp"

#include "fuzz_target.hpp"

namespace {

const mailprobe::protocol::PublicSuffixList& small_list() {
  static const auto list =
      *mailprobe::protocol::PublicSuffixList::parse("com\nuk\nco.uk\n*.ck\n!www.ck\n公司.cn\n");
  return list;
}

void ask(const mailprobe::protocol::PublicSuffixList& list, std::string_view domain) {
  static_cast<void>(list.public_suffix(domain));
  static_cast<void>(list.registrable_domain(domain));
  static_cast<void>(list.organizational_domain(domain));
}

}  // namespace

MAILPROBE_FUZZ_TARGET(public_suffix) {
  auto [selector, text] = mailprobe::fuzz::select(data, size);
  if ((selector & 1) != 0) {
    ask(small_list(), text);
    return 0;
  }
  auto list = mailprobe::protocol::PublicSuffixList::parse(text);
  if (!list) return 0;
  for (std::string_view domain :
       {"mail.example.co.uk", "a.b.c.ck", "www.ck", "example.xn--55qx5d.cn", "example.", "."}) {
    ask(*list, domain);
  }
  return 0;
}
