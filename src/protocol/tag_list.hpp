#pragma once
// The tag=value lists of DKIM (RFC 6376 section 3.2), which DMARC (RFC 7489 section 6.4) and
// BIMI (draft-brand-indicators-for-message-identification, "Assertion Record Definition")
// reuse for their DNS records, taken apart without I/O:
//
//   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//   tag-name  =  ALPHA *ALNUMPUNC                  ; ALNUMPUNC = ALPHA / DIGIT / "_"
//   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]  ; no WSP or FWS at either end
//   tval      =  1*VALCHAR                         ; VALCHAR = %x21-3A / %x3C-7E
//
// FWS is folding white space: spaces and tabs, optionally with a CRLF before them.
// "Tags with duplicate names MUST NOT occur within a single tag-list; if a tag name does
// occur more than once, the entire tag-list is invalid" (section 3.2): so is one that breaks
// the grammar. The first problem is returned as a one-line message.

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mailprobe::protocol {

struct Tag {
  std::string_view name;
  // Without the FWS around it; FWS inside (a folded base64 key) is kept as written.
  std::string_view value;
};

struct TagList {
  std::vector<Tag> tags;  // in the order written

  // The tag named `name`, or nullptr. Names compare as parse_tag_list was told to.
  const Tag* find(std::string_view name) const;
  bool ignore_case = false;
};

// RFC 6376 section 3.2 compares tag names case-sensitively. DMARC's grammar (RFC 7489
// section 6.4) is ABNF, whose quoted strings are case-insensitive (RFC 5234 section 2.3):
// "P=reject" is p=reject there, and "p=none; P=reject" has the tag twice.
enum class TagNames { case_sensitive, ignore_case };

// Bounded input: records have a dozen tags; a TXT record of thousands of "a=;" is no record
// of any kind, and duplicate detection stays cheap.
inline constexpr std::size_t max_tags = 64;

// The tags of `text` (a TXT record's strings joined), or why it is no tag-list: "tag 'p'
// appears twice, which makes the whole list invalid (RFC 6376 section 3.2)". Views into
// `text`. A trailing ';' may be followed by white space (records often end in "; ").
std::variant<TagList, std::string> parse_tag_list(std::string_view text,
                                                  TagNames names = TagNames::case_sensitive);

// The value with every FWS removed, for values that allow FWS anywhere (base64, RFC 6376
// section 3.6.1 p=) or around list separators.
std::string without_fws(std::string_view value);

// Splits a value at `separator` ("h=sha1:sha256", "fo=0:1", "rua=a,b"), each item without
// the FWS around it. An empty value gives one empty item.
std::vector<std::string_view> split_tag_value(std::string_view value, char separator);

}  // namespace mailprobe::protocol
