# Helpers for the wasm32-wasi guest world.
#
# Optimisation flags are compile options only: clang runs `wasm-opt` at link time when an -O
# flag is on the link line and binaryen happens to be on PATH, which would make the output
# depend on the machine. Keeping -O off the link line makes the link deterministic.
set(MESHWASM_GUEST_COMPILE_OPTIONS
  -Oz -fno-exceptions -fno-rtti -mcpu=mvp -mmutable-globals -msign-ext -mbulk-memory
  -ffunction-sections -fdata-sections -fvisibility=hidden
  "-ffile-prefix-map=${CMAKE_SOURCE_DIR}=." -DNDEBUG)

set(MESHWASM_GUEST_LINK_OPTIONS
  -mexec-model=reactor -Wl,--strip-all -Wl,--gc-sections
  -Wl,--export=malloc -Wl,--export=free -Wl,-z,stack-size=65536)

# meshwasm_add_guest_module(NAME SOURCES a.cc b.cc [LIBRARIES lib...])
# Builds ${MESHWASM_WASM_DIR}/<NAME>.wasm.
function(meshwasm_add_guest_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBRARIES" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${MESHWASM_GUEST_COMPILE_OPTIONS})
  target_link_options(${name} PRIVATE ${MESHWASM_GUEST_LINK_OPTIONS})
  target_link_libraries(${name} PRIVATE ${ARG_LIBRARIES})
  # SUFFIX: the Generic platform module resets CMAKE_EXECUTABLE_SUFFIX after the toolchain file.
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${MESHWASM_WASM_DIR}" SUFFIX ".wasm")
endfunction()
