#pragma once
// Replacing a small file that holds a secret (the token cache, a rotated refresh token) so
// that no reader ever sees half of it and no one else can read it meanwhile.

#include <sys/types.h>

#include <string>

#include "core/outcome.hpp"

namespace mailprobe::probes {

// How the new file's mode is chosen.
enum class ModeOf {
  given,     // always the mode given (the token cache: never readable by others)
  existing,  // the existing file's mode and, as far as this process may, its owner (a
             // refresh token file the administrator made); the given one for a new file
};

// Writes `content` to a new file next to `path`, flushes it to disk and renames it over
// `path` (POSIX rename is atomic). A failure (phase "token", kind config) names the file
// and the reason.
core::Status replace_file(const std::string& path, const std::string& content, mode_t mode,
                          ModeOf mode_of = ModeOf::given);

// Whether a new file can be made next to `path` (rename needs its directory writable).
core::Status check_replaceable(const std::string& path, const std::string& what);

}  // namespace mailprobe::probes
