#pragma once
// The counts behind a Prometheus histogram: observations by upper bound ("le": a value on
// a bound counts in that bucket), their sum and count, and the largest one seen.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace mailprobe::daemon {

class Histogram {
 public:
  // `bounds`: ascending upper bounds; it must outlive the histogram (a static table).
  explicit Histogram(const std::vector<double>& bounds)
      : bounds_(&bounds), counts_(bounds.size(), 0) {}

  void observe(double value) {
    ++count_;
    sum_ += value;
    max_ = std::max(max_, value);
    auto at = std::lower_bound(bounds_->begin(), bounds_->end(), value);
    if (at != bounds_->end()) ++counts_[static_cast<std::size_t>(at - bounds_->begin())];
  }

  // (upper bound, observations up to it), cumulative as the exposition format wants them;
  // values above every bound are only in count() (the +Inf bucket).
  std::vector<std::pair<double, std::uint64_t>> cumulative() const {
    std::vector<std::pair<double, std::uint64_t>> buckets;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      total += counts_[i];
      buckets.emplace_back((*bounds_)[i], total);
    }
    return buckets;
  }

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }
  double max() const { return max_; }  // 0 before the first observation

 private:
  const std::vector<double>* bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  std::uint64_t count_ = 0;
  double sum_ = 0;
  double max_ = 0;
};

}  // namespace mailprobe::daemon
