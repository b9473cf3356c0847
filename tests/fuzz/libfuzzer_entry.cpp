// The entry point libFuzzer calls: the one target linked into this program.
#include <cstdio>
#include <cstdlib>

#include "fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto target = [] {
    const auto& targets = mailprobe::fuzz::registered_targets();
    if (targets.size() != 1) {
      std::fprintf(stderr, "a libFuzzer program links exactly one target, not %zu\n",
                   targets.size());
      std::abort();
    }
    return targets.begin()->second;
  }();
  return target(data, size);
}
