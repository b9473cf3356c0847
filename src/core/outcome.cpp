#include "core/outcome.hpp"

namespace mailprobe::core {

std::string_view failure_kind_name(FailureKind kind) {
  switch (kind) {
    case FailureKind::resolve:
      return "resolve";
    case FailureKind::refused:
      return "refused";
    case FailureKind::timeout:
      return "timeout";
    case FailureKind::network:
      return "network";
    case FailureKind::tls:
      return "tls";
    case FailureKind::certificate:
      return "certificate";
    case FailureKind::protocol:
      return "protocol";
    case FailureKind::rejected:
      return "rejected";
    case FailureKind::mismatch:
      return "mismatch";
    case FailureKind::config:
      return "config";
    case FailureKind::internal:
      return "internal";
  }
  return "unknown";
}

}  // namespace mailprobe::core
