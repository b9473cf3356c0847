#include "protocol/public_suffix.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/ascii.hpp"
#include "net/dns.hpp"

namespace mailprobe::protocol {

namespace {

core::Failure config_failure(std::string message) {
  return core::Failure{"config", core::FailureKind::config, std::move(message)};
}

bool is_ascii(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string normal(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  return core::ascii_lower(domain);
}

// The name of the last `count` labels of `domain` ("" for 0, all of it when it has fewer).
std::string_view last_labels(std::string_view domain, std::size_t count) {
  if (count == 0) return {};
  auto position = domain.size();
  for (std::size_t i = 0; i < count; ++i) {
    if (position == 0) return domain;
    auto dot = domain.rfind('.', position - 1);
    if (dot == std::string_view::npos) return domain;
    position = dot;
  }
  return domain.substr(position + 1);
}

std::size_t label_count(std::string_view domain) {
  if (domain.empty()) return 0;
  return static_cast<std::size_t>(std::ranges::count(domain, '.')) + 1;
}

}  // namespace

core::Outcome<PublicSuffixList> PublicSuffixList::parse(std::string_view text,
                                                        std::string_view origin) {
  PublicSuffixList list;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(start, end - start);
    start = end + 1;
    // "Each line is only read up to the first whitespace" (the format's wiki page).
    auto word_end = line.find_first_of(" \t\r");
    auto rule = line.substr(0, word_end);
    if (rule.empty() || rule.starts_with("//")) continue;
    bool exception = rule.starts_with('!');
    bool wildcard = rule.starts_with("*.");
    if (exception) rule.remove_prefix(1);
    if (wildcard) rule.remove_prefix(2);
    if (rule.empty() || rule.find('*') != std::string_view::npos) {
      ++list.skipped_;  // a wildcard anywhere but leftmost: the format has none
      continue;
    }
    std::string name;
    if (is_ascii(rule)) {
      name = normal(rule);
    } else {
      // U-labels: compared as DNS carries them (IDNA 2008, as net::DnsResolver converts).
      auto ascii = net::domain_name_to_ascii(rule);
      if (!ascii) {
        ++list.skipped_;
        continue;
      }
      name = std::move(*ascii);
    }
    if (exception) {
      list.exceptions_.insert(std::move(name));
    } else if (wildcard) {
      list.wildcards_.insert(std::move(name));
    } else {
      list.rules_.insert(std::move(name));
    }
  }
  if (list.size() == 0) {
    return config_failure(std::string(origin) +
                          " has no rules: it is not the public suffix list (publicsuffix.org)");
  }
  return list;
}

std::size_t PublicSuffixList::suffix_labels(std::string_view domain) const {
  auto labels = label_count(domain);
  if (labels == 0) return 0;
  // An exception rule prevails over every other: the suffix is the exception minus its
  // leftmost label ("!city.kobe.jp" makes "kobe.jp" the suffix of "www.city.kobe.jp").
  for (auto k = labels; k >= 1; --k) {
    if (exceptions_.contains(std::string(last_labels(domain, k)))) return k - 1;
  }
  // Else the matching rule with the most labels; no match is the implicit rule "*".
  std::size_t best = 1;
  for (std::size_t k = 1; k <= labels; ++k) {
    if (rules_.contains(std::string(last_labels(domain, k)))) best = std::max(best, k);
    if (k >= 2 && wildcards_.contains(std::string(last_labels(domain, k - 1)))) {
      best = std::max(best, k);
    }
  }
  return best;
}

std::string PublicSuffixList::public_suffix(std::string_view domain) const {
  auto name = normal(domain);
  return std::string(last_labels(name, suffix_labels(name)));
}

std::optional<std::string> PublicSuffixList::registrable_domain(std::string_view domain) const {
  auto name = normal(domain);
  auto suffix = suffix_labels(name);
  if (label_count(name) <= suffix) return std::nullopt;
  return std::string(last_labels(name, suffix + 1));
}

std::string PublicSuffixList::organizational_domain(std::string_view domain) const {
  auto registrable = registrable_domain(domain);
  return registrable ? *registrable : normal(domain);
}

core::Outcome<PublicSuffixList> load_public_suffix_list(const std::string& path) {
  auto cannot = [&](int error) {
    return config_failure("cannot read the public suffix list " + path + ": " +
                          std::strerror(error));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return cannot(errno);
  std::string text;
  std::vector<char> buffer(std::size_t{64} * 1024);
  while (true) {
    auto got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    text.append(buffer.data(), got);
    if (text.size() > max_public_suffix_bytes) {
      return config_failure("the public suffix list " + path + " is over " +
                            std::to_string(max_public_suffix_bytes / (std::size_t{1024} * 1024)) +
                            " MiB: not the list");
    }
    if (got < buffer.size()) {
      if (std::ferror(file.get()) != 0) return cannot(errno == 0 ? EIO : errno);
      break;
    }
  }
  return PublicSuffixList::parse(text, "the public suffix list " + path);
}

}  // namespace mailprobe::protocol
