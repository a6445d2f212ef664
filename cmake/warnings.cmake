# Warnings every cutover target builds with, as an INTERFACE target to link against.
add_library(cutover_warnings INTERFACE)
target_compile_options(cutover_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wnull-dereference -Wimplicit-fallthrough
  -Wno-missing-field-initializers)
