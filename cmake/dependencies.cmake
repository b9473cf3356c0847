# Every dependency comes from Debian 12 packages (scripts/setup.sh installs them).
# Boost's compiled parts are linked statically: a plugin is a short-lived process, and every
# shared library costs symbol lookups at each start (see bench/README.md).
set(Boost_USE_STATIC_LIBS ON)
find_package(Boost 1.81 REQUIRED COMPONENTS json url)
# Linking OpenSSL statically halves a plugin's start-up (no symbol binding of libcrypto at
# every start, bench/README.md); the price is a rebuild after each OpenSSL security update.
option(MAILPROBE_STATIC_OPENSSL "Link OpenSSL statically (faster plugin start, rebuild on updates)" OFF)
if(MAILPROBE_STATIC_OPENSSL)
  set(OPENSSL_USE_STATIC_LIBS TRUE)
endif()
find_package(OpenSSL 3 REQUIRED)
include(cmake/openssl_on_demand.cmake)
find_package(SQLite3 REQUIRED)
# SQLite (the daemon's history) from its archive too: Debian's shared one is bound at load
# (BIND_NOW), 1,600 symbol lookups at every plugin start for a library plugins never call.
find_library(MAILPROBE_SQLITE3_ARCHIVE NAMES libsqlite3.a REQUIRED)
add_library(mailprobe_sqlite3 INTERFACE)
target_link_libraries(mailprobe_sqlite3 INTERFACE ${MAILPROBE_SQLITE3_ARCHIVE} ${CMAKE_DL_LIBS}
                      Threads::Threads m)
target_include_directories(mailprobe_sqlite3 SYSTEM INTERFACE ${SQLite3_INCLUDE_DIRS})
find_package(CLI11 REQUIRED)
find_package(yaml-cpp REQUIRED)
# yaml-cpp (only the daemon reads YAML) from its archive: the shared one would bring the
# shared libstdc++ with it, and its thousands of symbol bindings into every plugin start.
find_library(MAILPROBE_YAML_CPP_ARCHIVE NAMES libyaml-cpp.a REQUIRED)
add_library(mailprobe_yaml INTERFACE)
target_link_libraries(mailprobe_yaml INTERFACE ${MAILPROBE_YAML_CPP_ARCHIVE})
target_include_directories(mailprobe_yaml SYSTEM INTERFACE
                           $<TARGET_PROPERTY:yaml-cpp,INTERFACE_INCLUDE_DIRECTORIES>)
find_package(fmt REQUIRED)
find_package(date REQUIRED)
find_package(Threads REQUIRED)

# Asio is used with C++20 coroutines only; no deprecated interfaces.
add_library(mailprobe_boost INTERFACE)
target_link_libraries(mailprobe_boost INTERFACE Boost::headers Boost::json Boost::url
                      Threads::Threads)
target_compile_definitions(mailprobe_boost INTERFACE
  BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_DISABLE_BOOST_COROUTINE)
