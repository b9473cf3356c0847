#include "output/nagios.hpp"

#include <string_view>

#include "core/format.hpp"

namespace mailprobe::output {

namespace {

std::string quote_label(std::string_view name) {
  std::string label;
  bool needs_quotes = false;
  for (char c : name) {
    if (c == '=') {
      label += '_';  // '=' cannot appear in a label, quoted or not
    } else if (c == '\'') {
      label += "''";
      needs_quotes = true;
    } else {
      if (c == ' ') needs_quotes = true;
      label += c;
    }
  }
  return needs_quotes ? "'" + label + "'" : label;
}

void render_subcheck(std::string& out, const core::Subcheck& subcheck, int depth) {
  out.append(static_cast<std::size_t>(depth) * 4, ' ');
  out += "\\_ [";
  out += core::state_name(subcheck.overall());
  out += "] ";
  out += sanitize_line(subcheck.summary);
  out += '\n';
  for (const auto& child : subcheck.children)
    render_subcheck(out, child, depth + 1);
}

}  // namespace

std::string sanitize_line(std::string_view text) {
  std::string line;
  line.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '|') {
      line += '/';
    } else if (byte < 0x20 || byte == 0x7f) {
      line += '?';
    } else {
      line += c;
    }
  }
  return line;
}

std::string render_perfdata_item(const core::Metric& metric) {
  std::string fields[4];
  if (metric.warning) fields[0] = metric.warning->text();
  if (metric.critical) fields[1] = metric.critical->text();
  if (metric.min) fields[2] = core::format_number(*metric.min);
  if (metric.max) fields[3] = core::format_number(*metric.max);
  std::string item =
      quote_label(metric.name) + "=" + core::format_number(metric.value) + metric.unit;
  int last = 3;
  while (last >= 0 && fields[last].empty())
    --last;
  for (int i = 0; i <= last; ++i)
    item += ";" + fields[i];
  return item;
}

std::string render_status_line(const core::ProbeResult& result) {
  return result.service + " " + std::string(core::state_name(result.overall())) + " - " +
         sanitize_line(result.headline());
}

std::string render_nagios(const core::ProbeResult& result, bool with_transcript) {
  std::string out = result.service;
  out += ' ';
  out += core::state_name(result.overall());
  out += " - ";
  out += sanitize_line(result.headline());
  if (!result.metrics.empty()) {
    out += " |";
    for (const auto& metric : result.metrics)
      out += " " + render_perfdata_item(metric);
  }
  out += '\n';
  for (const auto& note : result.notes)
    out += "note: " + sanitize_line(note) + "\n";
  for (const auto& subcheck : result.subchecks)
    render_subcheck(out, subcheck, 0);
  if (with_transcript) {
    for (const auto& line : result.transcript)
      out += sanitize_line(line) + "\n";
  }
  return out;
}

}  // namespace mailprobe::output
