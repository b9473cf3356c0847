#pragma once
// libunbound and libidn2, loaded when the first DNS check needs them (dlopen) rather than
// linked: every plugin run is a process start, and these two bring five more shared
// libraries (libevent, nettle, hogweed, gmp, libunistring) whose loading and symbol binding
// a service check would pay without using them. The package depends on them by name.

#include <idn2.h>
#include <unbound.h>

#include <string>

namespace mailprobe::net {

struct UnboundLibrary {
  decltype(&ub_ctx_create) ctx_create = nullptr;
  decltype(&ub_ctx_delete) ctx_delete = nullptr;
  decltype(&ub_ctx_set_option) ctx_set_option = nullptr;
  decltype(&ub_ctx_set_fwd) ctx_set_fwd = nullptr;
  decltype(&ub_ctx_resolvconf) ctx_resolvconf = nullptr;
  decltype(&ub_ctx_add_ta_file) ctx_add_ta_file = nullptr;
  decltype(&ub_ctx_async) ctx_async = nullptr;
  decltype(&ub_fd) fd = nullptr;
  decltype(&ub_process) process = nullptr;
  decltype(&ub_resolve_async) resolve_async = nullptr;
  decltype(&ub_cancel) cancel = nullptr;
  decltype(&ub_resolve_free) resolve_free = nullptr;
  decltype(&ub_strerror) strerror = nullptr;
};

struct Idn2Library {
  decltype(&idn2_to_ascii_8z) to_ascii_8z = nullptr;
  decltype(&idn2_strerror) strerror = nullptr;
  decltype(&idn2_free) free = nullptr;
};

// Loaded once per process (thread-safe); nullptr with `error` set when the library or one
// of its functions is missing ("cannot load libunbound.so.8: ... (install libunbound8)").
const UnboundLibrary* unbound_library(std::string& error);
const Idn2Library* idn2_library(std::string& error);

}  // namespace mailprobe::net
