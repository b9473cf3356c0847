#pragma once
// One absolute deadline per probe; every step runs under the time left.

#include <chrono>

namespace mailprobe::core {

class Deadline {
 public:
  using clock = std::chrono::steady_clock;

  static Deadline after(clock::duration budget) { return Deadline(clock::now(), budget); }
  // From a number of seconds as configurations and options give them (-t 2.5).
  static Deadline after_seconds(double seconds) {
    return after(
        std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds)));
  }

  clock::time_point at() const { return start_ + budget_; }
  clock::time_point start() const { return start_; }
  // The whole budget, for messages such as "timeout after 10.0 s".
  clock::duration budget() const { return budget_; }
  clock::duration remaining() const {
    auto left = at() - clock::now();
    return left > clock::duration::zero() ? left : clock::duration::zero();
  }
  bool expired() const { return clock::now() >= at(); }

 private:
  Deadline(clock::time_point start, clock::duration budget) : start_(start), budget_(budget) {}
  clock::time_point start_;
  clock::duration budget_;
};

// Seconds as a double, the unit of every timing mailprobe reports.
inline double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace mailprobe::core
