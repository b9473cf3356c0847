# Warnings every target of the project compiles with; errors unless MAILPROBE_WERROR is OFF.
add_library(mailprobe_warnings INTERFACE)
target_compile_options(mailprobe_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  -Wformat=2)
if(MAILPROBE_WERROR)
  target_compile_options(mailprobe_warnings INTERFACE -Werror)
endif()

if(MAILPROBE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
