#include "probes/oauth_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace mailprobe::probes {

namespace {

core::Failure file_failure(const std::string& message) {
  return {"token", core::FailureKind::config, message};
}

std::string directory_of(const std::string& path) {
  auto directory = std::filesystem::path(path).parent_path().string();
  return directory.empty() ? "." : directory;
}

}  // namespace

core::Status check_replaceable(const std::string& path, const std::string& what) {
  auto directory = directory_of(path);
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    return file_failure(what + " " + path + " cannot be replaced: its directory " + directory +
                        " is not writable (" + std::strerror(errno) + ")");
  }
  return core::success();
}

core::Status replace_file(const std::string& path, const std::string& content, mode_t mode,
                          ModeOf mode_of) {
  struct stat existing {};
  bool exists = mode_of == ModeOf::existing && ::stat(path.c_str(), &existing) == 0;
  if (exists) mode = existing.st_mode & 07777;
  auto temporary = path + ".tmp." + std::to_string(::getpid());
  // O_EXCL: never write through a file or link someone else put there.
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0 && errno == EEXIST) {
    // Left over by a process of this id that died: ours to replace.
    ::unlink(temporary.c_str());
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  }
  if (fd < 0) {
    return file_failure("cannot write " + temporary + ": " + std::strerror(errno));
  }
  auto fail = [&](const std::string& doing) {
    auto problem = std::string(std::strerror(errno));
    ::close(fd);
    ::unlink(temporary.c_str());
    return file_failure("cannot " + doing + " " + path + ": " + problem);
  };
  // The owner first (it may clear set-id bits), then the mode; without the privilege to
  // give the file away it stays this process's, which can read it anyway.
  if (exists && (existing.st_uid != ::geteuid() || existing.st_gid != ::getegid())) {
    if (::fchown(fd, existing.st_uid, existing.st_gid) != 0) {
      // Keeping the group alone is still worth it; ignore what cannot be done.
      [[maybe_unused]] int ignored = ::fchown(fd, static_cast<uid_t>(-1), existing.st_gid);
    }
  }
  if (::fchmod(fd, mode) != 0) return fail("set the mode of");
  std::size_t written = 0;
  while (written < content.size()) {
    auto n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("write");
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("flush");
  if (::close(fd) != 0) {
    auto problem = std::string(std::strerror(errno));
    ::unlink(temporary.c_str());
    return file_failure("cannot write " + path + ": " + problem);
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    auto problem = std::string(std::strerror(errno));
    ::unlink(temporary.c_str());
    return file_failure("cannot replace " + path + ": " + problem);
  }
  return core::success();
}

}  // namespace mailprobe::probes
