#include "protocol/bimi_record.hpp"

#include <algorithm>
#include <array>
#include <boost/url/parse.hpp>
#include <cctype>
#include <optional>

#include "core/ascii.hpp"
#include "protocol/tag_list.hpp"
#include "protocol/txt_fields.hpp"

namespace mailprobe::protocol {

namespace {

using core::is_wsp;
using core::skip_wsp;

core::Failure failure(std::string message) {
  return core::Failure{"bimi", core::FailureKind::protocol, std::move(message)};
}

// bimi-uri (l= and a=): empty, or a single https: URI with a fully qualified host name;
// commas must be percent-encoded, so a comma means a list, which this version forbids.
std::optional<std::string> uri_problem(std::string_view tag, std::string_view uri) {
  auto bad = [&](const std::string& why) {
    return std::string(tag) + " " + quoted(uri) + " " + why;
  };
  if (uri.find(',') != std::string_view::npos) {
    return bad("is a list: one https: URI is allowed (commas in it written %2C)");
  }
  auto parsed = boost::urls::parse_uri(uri);
  if (!parsed) return bad("is not a URI");
  if (core::ascii_lower(parsed->scheme()) != "https") return bad("is not an https: URI");
  auto host = std::string(parsed->encoded_host());
  if (host.empty() || host.find('.') == std::string::npos) {
    return bad("has no fully qualified host name");
  }
  if (tag == "l") {
    // Section "Supported Image Formats for l= tag": a URI ending in another image format's
    // suffix is a permanent error; SVG (and SVGZ) only.
    auto path = core::ascii_lower(std::string(parsed->encoded_path()));
    auto dot = path.rfind('.');
    auto slash = path.rfind('/');
    if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
      auto suffix = path.substr(dot + 1);
      constexpr std::array<std::string_view, 9> images = {"png", "jpg", "jpeg", "gif", "webp",
                                                          "bmp", "ico", "tif",  "tiff"};
      if (std::ranges::find(images, suffix) != images.end()) {
        return bad("is a ." + suffix + " image: BIMI logos are SVG (Tiny PS)");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

BimiTxt parse_bimi_record(std::string_view txt) {
  // bimi-version = "v" *WSP "=" *WSP "BIMI1", the first tag, matched precisely.
  auto rest = skip_wsp(txt);
  bool meant = false;
  if (rest.starts_with('v')) {
    rest = skip_wsp(rest.substr(1));
    if (rest.starts_with('=')) {
      rest = skip_wsp(rest.substr(1));
      meant = rest.starts_with("BIMI1") && (rest.size() == 5 || is_wsp(rest[5]) || rest[5] == ';');
    }
  }
  if (!meant) {
    NotBimiRecord other;
    if (core::ascii_lower(txt).find("bimi") != std::string::npos) {
      other.hint = "it does not start with v=BIMI1 exactly";
    }
    return other;
  }
  auto parsed = parse_tag_list(txt);
  if (auto* error = std::get_if<std::string>(&parsed)) return failure(std::move(*error));
  const auto& list = std::get<TagList>(parsed);
  if (list.tags.front().value != "BIMI1") {
    return failure("v=" + quoted(list.tags.front().value) + " is not BIMI1 followed by ';'");
  }
  BimiRecord record;
  const auto* l = list.find("l");
  if (l == nullptr) {
    return failure("no l= tag (required; empty l= and a= decline BIMI)");
  }
  if (!l->value.empty()) {
    if (auto problem = uri_problem("l", l->value)) return failure(std::move(*problem));
    record.location = std::string(l->value);
  }
  if (const auto* a = list.find("a"); a != nullptr && !a->value.empty()) {
    if (auto problem = uri_problem("a", a->value)) return failure(std::move(*problem));
    record.authority = std::string(a->value);
  }
  if (const auto* lps = list.find("lps")) {
    if (lps->value == "true" || lps->value == "false") {
      record.local_part_selectors = lps->value == "true";
    } else {
      record.warnings.push_back("lps " + quoted(lps->value) +
                                " is not true or false: receivers use false");
    }
  }
  if (const auto* avp = list.find("avp")) {
    if (avp->value != "personal" && avp->value != "brand") {
      record.warnings.push_back("avp " + quoted(avp->value) +
                                " is not personal or brand: receivers use brand, or reject the "
                                "record");
    }
  }
  return record;
}

}  // namespace mailprobe::protocol
