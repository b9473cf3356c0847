#pragma once
// The Public Suffix List (https://publicsuffix.org/list/, Debian's `publicsuffix` package)
// and the Organizational Domain that DMARC derives from it (RFC 7489 section 3.2): the
// public suffix of a name plus one label. DMARC receivers look for a domain's policy there
// when the domain has none of its own (RFC 7489 section 6.6.3 step 3).
//
// DMARCbis (RFC 9989) replaces the list with a walk up the DNS tree, which finds the same
// organizational domain for nearly every name; the list is what RFC 7489 receivers use.
//
// The list is read at run time, so the check follows the system's copy, and a test can hand
// it a list of its own.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/outcome.hpp"

namespace mailprobe::protocol {

// Where Debian's publicsuffix package puts the list.
inline constexpr std::string_view default_public_suffix_file =
    "/usr/share/publicsuffix/public_suffix_list.dat";
// Bounded input: the list is about 250 KB; a file many times larger is not the list.
inline constexpr std::size_t max_public_suffix_bytes = std::size_t{8} * 1024 * 1024;

class PublicSuffixList {
 public:
  // The list's text (https://github.com/publicsuffix/list/wiki/Format): one rule per line,
  // read up to the first white space; "//" starts a comment line. Rules of the ICANN and the
  // private section alike. "*.ck" is a wildcard, "!www.ck" an exception. Rules in U-labels
  // ("公司.cn") are converted to A-labels ("xn--55qx5d.cn"), as DNS names are compared; a
  // rule that cannot be converted is skipped (counted in skipped()). Failure (kind config)
  // when no rule is found: `origin` (a file name) says where.
  static core::Outcome<PublicSuffixList> parse(std::string_view text,
                                               std::string_view origin = "public suffix list");

  // The number of rules (plain, wildcard and exception).
  std::size_t size() const { return rules_.size() + wildcards_.size() + exceptions_.size(); }
  std::size_t skipped() const { return skipped_; }

  // For a domain name in A-labels (case and a trailing dot do not matter):
  //   public_suffix("mail.example.co.uk")       -> "co.uk"
  //   registrable_domain("mail.example.co.uk")  -> "example.co.uk"; nullopt for "co.uk"
  // A name no rule matches has its last label as public suffix (the implicit "*" rule).
  std::string public_suffix(std::string_view domain) const;
  std::optional<std::string> registrable_domain(std::string_view domain) const;

  // RFC 7489 section 3.2: the registrable domain; a name that is itself a public suffix is
  // its own organizational domain (there is nothing above it to inherit from).
  std::string organizational_domain(std::string_view domain) const;

 private:
  // How many labels, counted from the right, make the public suffix of `labels`' name.
  std::size_t suffix_labels(std::string_view domain) const;

  std::unordered_set<std::string> rules_;       // "co.uk"
  std::unordered_set<std::string> wildcards_;   // "ck" for "*.ck"
  std::unordered_set<std::string> exceptions_;  // "www.ck" for "!www.ck"
  std::size_t skipped_ = 0;
};

// Reads the list from `path` (at most max_public_suffix_bytes). Failures are kind config and
// name the file: "cannot read the public suffix list /x.dat: No such file or directory".
core::Outcome<PublicSuffixList> load_public_suffix_list(const std::string& path);

}  // namespace mailprobe::protocol
