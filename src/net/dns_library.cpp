#include "net/dns_library.hpp"

#include <dlfcn.h>

namespace mailprobe::net {

namespace {

// A library's functions, or why they could not be had.
template <class Library>
struct Loaded {
  Library functions;
  std::string error;
};

void* open_library(const char* soname, const char* package, std::string& error) {
  void* handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    error = std::string("cannot load ") + soname + ": " + (why != nullptr ? why : "not found") +
            " (install " + package + ")";
  }
  return handle;
}

template <class Function>
bool bind(void* handle, const char* symbol, Function& target, std::string& error) {
  // POSIX guarantees that a function pointer survives the round trip through void*.
  target = reinterpret_cast<Function>(::dlsym(handle, symbol));
  if (target == nullptr && error.empty()) error = std::string("no ") + symbol + " in the library";
  return target != nullptr;
}

Loaded<UnboundLibrary> load_unbound() {
  Loaded<UnboundLibrary> loaded;
  // Never closed: its worker threads and the contexts of a daemon live as long as it does.
  void* handle = open_library("libunbound.so.8", "libunbound8", loaded.error);
  if (handle == nullptr) return loaded;
  auto& f = loaded.functions;
  auto& e = loaded.error;
  bind(handle, "ub_ctx_create", f.ctx_create, e);
  bind(handle, "ub_ctx_delete", f.ctx_delete, e);
  bind(handle, "ub_ctx_set_option", f.ctx_set_option, e);
  bind(handle, "ub_ctx_set_fwd", f.ctx_set_fwd, e);
  bind(handle, "ub_ctx_resolvconf", f.ctx_resolvconf, e);
  bind(handle, "ub_ctx_add_ta_file", f.ctx_add_ta_file, e);
  bind(handle, "ub_ctx_async", f.ctx_async, e);
  bind(handle, "ub_fd", f.fd, e);
  bind(handle, "ub_process", f.process, e);
  bind(handle, "ub_resolve_async", f.resolve_async, e);
  bind(handle, "ub_cancel", f.cancel, e);
  bind(handle, "ub_resolve_free", f.resolve_free, e);
  bind(handle, "ub_strerror", f.strerror, e);
  return loaded;
}

Loaded<Idn2Library> load_idn2() {
  Loaded<Idn2Library> loaded;
  void* handle = open_library("libidn2.so.0", "libidn2-0", loaded.error);
  if (handle == nullptr) return loaded;
  auto& f = loaded.functions;
  auto& e = loaded.error;
  bind(handle, "idn2_to_ascii_8z", f.to_ascii_8z, e);
  bind(handle, "idn2_strerror", f.strerror, e);
  bind(handle, "idn2_free", f.free, e);
  return loaded;
}

}  // namespace

const UnboundLibrary* unbound_library(std::string& error) {
  static const Loaded<UnboundLibrary> loaded = load_unbound();
  error = loaded.error;
  return loaded.error.empty() ? &loaded.functions : nullptr;
}

const Idn2Library* idn2_library(std::string& error) {
  static const Loaded<Idn2Library> loaded = load_idn2();
  error = loaded.error;
  return loaded.error.empty() ? &loaded.functions : nullptr;
}

}  // namespace mailprobe::net
