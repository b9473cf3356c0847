#pragma once
// The Prometheus text exposition format (version 0.0.4): metric families with HELP and
// TYPE once each, labels escaped, values formatted as Prometheus parses them.

#include <map>
#include <string>
#include <vector>

namespace mailprobe::output {

using Labels = std::vector<std::pair<std::string, std::string>>;

class PrometheusText {
 public:
  // Declares a family (once; later samples of it go under it). `type`: gauge, counter,
  // histogram.
  void family(const std::string& name, const std::string& type, const std::string& help);
  void sample(const std::string& name, const Labels& labels, double value);
  // A histogram's buckets (upper bounds ascending, cumulative counts), _sum and _count.
  void histogram(const std::string& name, const Labels& labels,
                 const std::vector<std::pair<double, std::uint64_t>>& buckets, double sum,
                 std::uint64_t count);
  std::string text() const;

 private:
  struct Family {
    std::string type;
    std::string help;
    std::vector<std::string> lines;
  };
  std::vector<std::string> order_;
  std::map<std::string, Family> families_;
};

// A label value escaped for the exposition format (backslash, double quote, newline).
std::string escape_label_value(const std::string& value);
// Metric and label names may only use [a-zA-Z0-9_:]; anything else becomes '_'.
std::string sanitize_name(const std::string& name);

}  // namespace mailprobe::output
