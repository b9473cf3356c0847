#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fuzz_target.hpp"

namespace mailprobe::fuzz {

std::map<std::string, TargetFunction>& registered_targets() {
  static std::map<std::string, TargetFunction> targets;
  return targets;
}

namespace {
std::map<std::string, std::string>& scratch_files() {
  static std::map<std::string, std::string> files;
  return files;
}
}  // namespace

const std::string& write_scratch_file(const std::string& name, std::string_view content) {
  auto& files = scratch_files();
  auto [at, inserted] = files.try_emplace(name);
  if (inserted) {
    at->second = (std::filesystem::temp_directory_path() /
                  ("mailprobe-fuzz-" + std::to_string(::getpid()) + "-" + name))
                     .string();
    if (files.size() == 1) {
      std::atexit([] {
        for (const auto& [kind, path] : scratch_files())
          std::remove(path.c_str());
      });
    }
  }
  std::ofstream out(at->second, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return at->second;
}

}  // namespace mailprobe::fuzz
