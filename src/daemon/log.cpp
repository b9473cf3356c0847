#include "daemon/log.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace mailprobe::daemon {

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  struct stat status {};
  if (fstat(2, &status) != 0) return false;
  // "DEVICE:INODE", both decimal (systemd.exec(5)).
  char* end = nullptr;
  errno = 0;
  auto device = std::strtoull(stream, &end, 10);
  if (errno != 0 || end == stream || *end != ':') return false;
  const char* inode_text = end + 1;
  auto inode = std::strtoull(inode_text, &end, 10);
  if (errno != 0 || end == inode_text || *end != '\0') return false;
  return device == status.st_dev && inode == status.st_ino;
}

void log(const std::string& line, Priority priority) {
  // The journal names the program itself (mailprobe[PID]); elsewhere the line does.
  static const bool journal = stderr_is_journal();
  if (journal) {
    std::fprintf(stderr, "<%d>%s\n", static_cast<int>(priority), line.c_str());
  } else {
    std::fprintf(stderr, "mailprobe: %s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace mailprobe::daemon
