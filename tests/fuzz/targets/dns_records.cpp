// DNS answers and the records read from them: rdata of MX, A, AAAA, TXT, CNAME and TLSA as
// the resolver hands them over (wire format, RFC 1035 section 3.3), and the TXT records
// check_mx, check_mail_domain and check_dnsbl interpret: SPF (with macros), DMARC, DKIM
// keys, BIMI, MTA-STS and TLS-RPT records, generic tag-lists and key=value fields, DNSBL
// lists files and answers. The selector picks the parser.
#include "protocol/dns_records.hpp"

#include <span>

#include "fuzz_target.hpp"
#include "protocol/bimi_record.hpp"
#include "protocol/dkim_key.hpp"
#include "protocol/dmarc_record.hpp"
#include "protocol/dnsbl.hpp"
#include "protocol/mta_sts.hpp"
#include "protocol/spf_record.hpp"
#include "protocol/tag_list.hpp"
#include "protocol/tls_rpt.hpp"
#include "protocol/tlsa.hpp"
#include "protocol/txt_fields.hpp"

MAILPROBE_FUZZ_TARGET(dns_records) {
  using namespace mailprobe::protocol;
  auto [selector, text] = mailprobe::fuzz::select(data, size);
  switch (selector % 14) {
    case 0:
      static_cast<void>(parse_mx_rdata(text));
      static_cast<void>(parse_cname_rdata(text));
      break;
    case 1:
      static_cast<void>(parse_a_rdata(text));
      static_cast<void>(parse_aaaa_rdata(text));
      break;
    case 2:
      if (auto txt = parse_txt_rdata(text)) static_cast<void>(parse_tag_list(*txt));
      break;
    case 3:
      if (auto tlsa = parse_tlsa_rdata(
              std::span(reinterpret_cast<const unsigned char*>(text.data()), text.size()))) {
        static_cast<void>(describe(*tlsa));
        static_cast<void>(unusable_reason(*tlsa));
      }
      break;
    case 4: {
      static_cast<void>(is_spf_record(text));
      auto record = parse_spf_record(text);
      static_cast<void>(record);
      break;
    }
    case 5: {
      SpfMacroValues values;
      values.sender = "probe+tag@example.org";
      values.domain = "example.org";
      values.ip = parse_spf_address("2001:db8::1");
      values.helo = "mail.example.org";
      static_cast<void>(spf_macro_letters(text));
      auto expanded = expand_spf_macros(text, values);
      static_cast<void>(spf_target_name(expanded));
      static_cast<void>(is_spf_domain(text));
      break;
    }
    case 6:
      static_cast<void>(parse_spf_address(text));
      static_cast<void>(parse_spf_network(text, (selector & 16) != 0));
      break;
    case 7:
      static_cast<void>(parse_dmarc_record(text));
      static_cast<void>(is_report_authorization(text));
      static_cast<void>(parse_tag_list(text, TagNames::ignore_case));
      break;
    case 8:
      static_cast<void>(parse_dkim_key(text));
      break;
    case 9:
      static_cast<void>(parse_bimi_record(text));
      break;
    case 10:
      static_cast<void>(parse_sts_txt(text));
      static_cast<void>(parse_tls_rpt_txt(text));
      break;
    case 11:
      if (auto policy = parse_sts_policy(text)) {
        static_cast<void>(policy_allows_mx(*policy, "mx1.example.org"));
      }
      break;
    case 12: {
      auto fields = split_txt_fields(text);
      static_cast<void>(fields);
      static_cast<void>(uri_scheme(text));
      static_cast<void>(quoted(text));
      break;
    }
    default: {
      auto lists = parse_dnsbl_lists(text);
      if (!lists) break;
      for (const auto& list : *lists) {
        static_cast<void>(dnsbl_address_query("192.0.2.1", list.zone));
        static_cast<void>(dnsbl_domain_query("example.org", list.zone));
        auto answer = classify_dnsbl_answer(list, {"127.0.0.2", "127.0.0.10", "127.255.255.254"});
        static_cast<void>(dnsbl_codes_text(answer));
      }
      break;
    }
  }
  return 0;
}
