# Warnings every target of the project compiles with; errors unless MAILPROBE_WERROR is OFF.
add_library(mailprobe_warnings INTERFACE)
target_compile_options(mailprobe_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
  -Wformat=2
  # GCC 12 at -O2 reports every Asio coroutine frame's operator delete as mismatched
  # (a false positive of its coroutine lowering), and null dereferences inside Asio's
  # inlined scheduler code; both are off, everything else stays an error.
  -Wno-mismatched-new-delete)
if(MAILPROBE_WERROR)
  target_compile_options(mailprobe_warnings INTERFACE -Werror)
endif()

if(MAILPROBE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MAILPROBE_FUZZ needs clang (CXX=clang++-14): libFuzzer is part of it")
  endif()
  # Coverage for libFuzzer on every file; the fuzz programs alone link its main.
  # UBSan's "function" check is left out: clang 14 cannot emit its prologue data for the
  # split parts of a coroutine once coverage is on ("Cannot represent a difference across
  # sections"); it checks calls through mistyped function pointers, which C++ code here has
  # none of.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                      -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(MAILPROBE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # With optimization, the sanitizers' instrumentation makes GCC 12 see uninitialized reads
  # in libstdc++ itself (std::regex's std::function states): false positives, not ours.
  add_compile_options(-Wno-maybe-uninitialized)
endif()
