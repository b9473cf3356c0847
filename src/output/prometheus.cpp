#include "output/prometheus.hpp"

#include <charconv>
#include <cmath>

namespace mailprobe::output {

namespace {

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // The shortest text that reads back as the same double: 0.1, not 0.10000000000000001.
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, end) : "NaN";
}

std::string label_text(const Labels& labels) {
  if (labels.empty()) return "";
  std::string text = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) text += ',';
    first = false;
    text += sanitize_name(name) + "=\"" + escape_label_value(value) + "\"";
  }
  return text + "}";
}

}  // namespace

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string sanitize_name(const std::string& name) {
  std::string out = name;
  for (std::size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) out[i] = '_';
  }
  return out.empty() ? "_" : out;
}

void PrometheusText::family(const std::string& name, const std::string& type,
                            const std::string& help) {
  if (families_.count(name) != 0) return;
  order_.push_back(name);
  families_[name] = Family{type, help, {}};
}

void PrometheusText::sample(const std::string& name, const Labels& labels, double value) {
  families_[name].lines.push_back(name + label_text(labels) + " " + format_value(value));
}

void PrometheusText::histogram(const std::string& name, const Labels& labels,
                               const std::vector<std::pair<double, std::uint64_t>>& buckets,
                               double sum, std::uint64_t count) {
  auto& family = families_[name];
  for (const auto& [bound, cumulative] : buckets) {
    auto with_le = labels;
    with_le.emplace_back("le", format_value(bound));
    family.lines.push_back(name + "_bucket" + label_text(with_le) + " " +
                           std::to_string(cumulative));
  }
  auto with_inf = labels;
  with_inf.emplace_back("le", "+Inf");
  family.lines.push_back(name + "_bucket" + label_text(with_inf) + " " + std::to_string(count));
  family.lines.push_back(name + "_sum" + label_text(labels) + " " + format_value(sum));
  family.lines.push_back(name + "_count" + label_text(labels) + " " + std::to_string(count));
}

std::string PrometheusText::text() const {
  std::string out;
  for (const auto& name : order_) {
    const auto& family = families_.at(name);
    out += "# HELP " + name + " " + family.help + "\n";
    out += "# TYPE " + name + " " + family.type + "\n";
    for (const auto& line : family.lines)
      out += line + "\n";
  }
  return out;
}

}  // namespace mailprobe::output
