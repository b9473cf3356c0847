#pragma once
// A fuzz target: a function that feeds bytes to one parser of outside input, through the
// same code the program runs. Each target is built two ways (tests/fuzz/CMakeLists.txt):
// as a libFuzzer program of its own (clang, -DMAILPROBE_FUZZ=ON), and into fuzz_replay,
// which the test command runs on the kept corpus with bounded random mutation.
//
//   MAILPROBE_FUZZ_TARGET(smtp_reply) { ...use data, size...; return 0; }

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace mailprobe::fuzz {

using TargetFunction = int (*)(const std::uint8_t* data, std::size_t size);

// Every target linked into this program, by name.
std::map<std::string, TargetFunction>& registered_targets();

// Writes `content` to a file of this process in the temporary directory ("NAME" for its
// kind: "config.yaml"), for readers that take a path, as the program's do; removed at exit.
const std::string& write_scratch_file(const std::string& name, std::string_view content);

struct Registration {
  Registration(const char* name, TargetFunction function) {
    registered_targets().emplace(name, function);
  }
};

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Takes the first byte as a selector of variants (which options, which parser), the rest
// as the input proper; an empty input selects 0.
struct Selected {
  std::uint8_t selector = 0;
  std::string_view rest;
};
inline Selected select(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return {};
  return {data[0], as_text(data + 1, size - 1)};
}

}  // namespace mailprobe::fuzz

#define MAILPROBE_FUZZ_TARGET(name)                                                \
  static int mailprobe_fuzz_##name(const std::uint8_t* data, std::size_t size);    \
  static const ::mailprobe::fuzz::Registration mailprobe_fuzz_registration_##name( \
      #name, mailprobe_fuzz_##name);                                               \
  static int mailprobe_fuzz_##name(const std::uint8_t* data, std::size_t size)
