#include "protocol/redact.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <vector>

#include "core/ascii.hpp"

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

std::string join(const std::vector<std::string>& words, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count && i < words.size(); ++i)
    out += (i ? " " : "") + words[i];
  return out;
}

// The next line break in `data`: a real one, or one written as an escape sequence
// ("\\r\\n", "\\n") in a send string given without -E, which the server sees as text but a
// reader of the transcript sees as a line break. Returns {position, length}.
std::pair<std::size_t, std::size_t> next_break(std::string_view data) {
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n') return {i, 1};
    if (data[i] == '\r' && i + 1 < data.size() && data[i + 1] == '\n') return {i, 2};
    if (data[i] == '\\' && data.substr(i, 4) == "\\r\\n") return {i, 4};
    if (data[i] == '\\' && data.substr(i, 2) == "\\n") return {i, 2};
  }
  return {std::string_view::npos, 0};
}

}  // namespace

std::string redact_client_data(std::string_view data) {
  std::string out;
  bool in_sasl = false;
  while (!data.empty()) {
    auto [end, break_length] = next_break(data);
    auto line = data.substr(0, end);
    auto words = words_of(line);
    std::string first = words.empty() ? "" : core::ascii_upper(words[0]);
    std::string second = words.size() > 1 ? core::ascii_upper(words[1]) : "";
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
    if (end == std::string_view::npos) break;
    out += data.substr(end, break_length);
    data.remove_prefix(end + break_length);
  }
  return out;
}

}  // namespace mailprobe::protocol
