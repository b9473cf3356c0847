#include "protocol/redact.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <vector>

namespace mailprobe::protocol {

namespace {

std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  std::string word;
  while (in >> word)
    words.push_back(word);
  return words;
}

std::string upper(std::string text) {
  std::ranges::transform(text, text.begin(),
                         [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::string join(const std::vector<std::string>& words, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < words.size(); ++i)
    out += (i ? " " : "") + words[i];
  return out;
}

}  // namespace

std::string redact_client_data(std::string_view data) {
  std::string out;
  bool in_sasl = false;
  while (!data.empty()) {
    auto end = data.find('\n');
    auto line = data.substr(0, end);
    std::string_view ending = end == std::string_view::npos ? "" : "\n";
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
      ending = end == std::string_view::npos ? "\r" : "\r\n";
    }
    auto words = words_of(line);
    std::string first = words.empty() ? "" : upper(words[0]);
    std::string second = words.size() > 1 ? upper(words[1]) : "";
    std::string shown(line);
    if (first == "PASS" && words.size() > 1) {
      shown = "PASS <redacted>";
    } else if (first == "AUTH" || second == "AUTHENTICATE") {
      std::size_t keep = first == "AUTH" ? 2 : 3;
      shown = join(words, keep) + (words.size() > keep ? " <redacted>" : "");
      in_sasl = true;
    } else if (second == "LOGIN" && words.size() > 2) {
      shown = join(words, 3) + " <redacted>";
    } else if (in_sasl && !line.empty()) {
      shown = "<redacted>";
    }
    out += shown;
    out += ending;
    if (end == std::string_view::npos) break;
    data.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace mailprobe::protocol
