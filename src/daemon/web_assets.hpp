#pragma once
// The dashboard's files, built from web/ and compiled into the binary (no files to
// install, no CDN): path ("/index.html", "/assets/app.js") -> content type and body.

#include <map>
#include <string>

#include "daemon/api.hpp"

namespace mailprobe::daemon {

std::map<std::string, StaticFile> dashboard_files();

}  // namespace mailprobe::daemon
