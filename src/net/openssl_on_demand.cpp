// The first call of an OpenSSL function through its trampoline (openssl_trampolines.S.in,
// cmake/openssl_on_demand.cmake says why): opens libssl once, with its libcrypto, and binds
// the function. Without OpenSSL nothing mailprobe does with TLS or a certificate can work,
// so a library that cannot be opened ends the process with one line saying so.

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>

namespace {

[[noreturn]] void fail(const char* what, const char* name) {
  const char* reason = dlerror();
  std::fprintf(stderr, "mailprobe: %s %s: %s (OpenSSL 3 is needed: install libssl3)\n", what, name,
               reason != nullptr ? reason : "not found");
  std::fflush(stderr);
  _exit(3);  // UNKNOWN, as a plugin that cannot run
}

// RTLD_DEEPBIND: libssl and libcrypto resolve their 4,900 symbol references in their own
// scope first (libssl, libcrypto, libc), not after searching the executable, libm, libc and
// the loader; a million fewer instructions in the loader per TLS check (bench/README.md).
// Nothing in mailprobe interposes on them (libcrypto's stdin and stderr then name libc's
// own copies, which hold the same FILE pointers). AddressSanitizer does interpose (malloc)
// and refuses DEEPBIND, so a sanitized build binds as usual.
#if defined(__SANITIZE_ADDRESS__)  // GCC
#define MAILPROBE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)  // clang (the fuzz build)
#define MAILPROBE_ASAN 1
#endif
#endif
#if defined(MAILPROBE_ASAN)
constexpr int own_scope_first = 0;
#else
constexpr int own_scope_first = RTLD_DEEPBIND;
#endif

void* open_library() {
  // RTLD_LOCAL: the libraries' symbols serve only the trampolines' lookups. Lazy binding:
  // libcrypto is linked with BIND_NOW anyway, libssl binds what it uses.
  void* library = dlopen(MAILPROBE_LIBSSL_SONAME, RTLD_LAZY | RTLD_LOCAL | own_scope_first);
  if (library == nullptr) fail("cannot load", MAILPROBE_LIBSSL_SONAME);
  return library;
}

}  // namespace

// Called with the trampoline's slot and the function's name; returns the function after
// storing it in the slot, so that later calls jump straight to it. Safe from any thread: the
// library is opened once (a function-local static), and a slot written twice gets the same
// address.
extern "C" __attribute__((visibility("hidden"))) void* mailprobe_openssl_bind(
    void** slot, const char* name) noexcept {
  static void* const library = open_library();
  // dlsym on libssl's handle also searches its dependencies, libcrypto among them.
  void* function = dlsym(library, name);
  if (function == nullptr) fail("cannot find the OpenSSL function", name);
  __atomic_store_n(slot, function, __ATOMIC_RELEASE);
  return function;
}
