# ASan + UBSan as an INTERFACE target, active when CUTOVER_SANITIZE is ON.
add_library(cutover_sanitizers INTERFACE)
if(CUTOVER_SANITIZE)
  target_compile_options(cutover_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(cutover_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
