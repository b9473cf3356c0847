# OpenSSL loaded on demand: the shared libssl and libcrypto of the system, opened (dlopen)
# the first time mailprobe calls one of their functions instead of at every process start.
#
# Why: a plugin is a process per check. Loading libcrypto at start costs about 140 page
# faults (relocating its 400 KiB of pointers) whether the check speaks TLS or not; a plain
# SMTP or POP3 check never calls OpenSSL. The libraries stay the system's shared ones, so
# security updates apply without a rebuild (unlike MAILPROBE_STATIC_OPENSSL).
#
# How: for every function libssl.so and libcrypto.so export, a trampoline of the same name
# (hidden in the executable, so the libraries never bind to it) jumps through a slot; the
# first call fills the slot from dlsym (src/net/openssl_on_demand.cpp), with the argument
# registers kept. Each trampoline, slot and name is in a section of its own, so the linker
# keeps only the functions mailprobe calls (--gc-sections). x86-64 only; elsewhere OpenSSL is
# linked as usual.
option(MAILPROBE_OPENSSL_ON_DEMAND "Load libssl/libcrypto at the first TLS or crypto call (x86-64)" ON)

add_library(mailprobe_openssl INTERFACE)
if(MAILPROBE_OPENSSL_ON_DEMAND AND NOT MAILPROBE_STATIC_OPENSSL
   AND CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  enable_language(ASM)
  file(REAL_PATH "${OPENSSL_SSL_LIBRARY}" ssl_library)
  file(REAL_PATH "${OPENSSL_CRYPTO_LIBRARY}" crypto_library)
  get_filename_component(ssl_soname "${ssl_library}" NAME)
  set(functions "")
  foreach(library IN ITEMS "${ssl_library}" "${crypto_library}")
    execute_process(COMMAND "${CMAKE_NM}" -D --defined-only --format=posix "${library}"
                    OUTPUT_VARIABLE symbols RESULT_VARIABLE nm_result)
    if(NOT nm_result EQUAL 0)
      message(FATAL_ERROR "cannot list the functions of ${library} with ${CMAKE_NM}")
    endif()
    # "SSL_read@@OPENSSL_3.0.0 T 000000000003a4f0 00000000000000b2": functions only.
    string(REGEX MATCHALL "[\n^][A-Za-z_][A-Za-z0-9_]*(@@?[A-Za-z0-9_.]+)? T " lines "\n${symbols}")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[\n]?([A-Za-z0-9_]+).*" "\\1" name "${line}")
      list(APPEND functions "${name}")
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES functions)
  list(LENGTH functions count)
  if(count LESS 1000)
    message(FATAL_ERROR "found only ${count} OpenSSL functions in ${ssl_library} and ${crypto_library}")
  endif()
  set(trampolines "")
  foreach(name IN LISTS functions)
    string(APPEND trampolines "MAILPROBE_OPENSSL_TRAMPOLINE ${name}\n")
  endforeach()
  set(generated "${CMAKE_BINARY_DIR}/generated/openssl_trampolines.S")
  configure_file("${CMAKE_SOURCE_DIR}/src/net/openssl_trampolines.S.in" "${generated}" @ONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${ssl_library}" "${crypto_library}")
  add_library(mailprobe_openssl_on_demand STATIC "${generated}"
              "${CMAKE_SOURCE_DIR}/src/net/openssl_on_demand.cpp")
  target_compile_definitions(mailprobe_openssl_on_demand PRIVATE
                             MAILPROBE_LIBSSL_SONAME="${ssl_soname}")
  target_link_libraries(mailprobe_openssl INTERFACE mailprobe_openssl_on_demand ${CMAKE_DL_LIBS})
  target_include_directories(mailprobe_openssl SYSTEM INTERFACE ${OPENSSL_INCLUDE_DIR})
  target_compile_definitions(mailprobe_openssl INTERFACE MAILPROBE_OPENSSL_ON_DEMAND=1)
  message(STATUS "OpenSSL on demand: ${count} functions of ${ssl_soname} and its libcrypto")
else()
  target_link_libraries(mailprobe_openssl INTERFACE OpenSSL::SSL OpenSSL::Crypto)
endif()
