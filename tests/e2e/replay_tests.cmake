# meshwasm replay end-to-end tests (the binary against header_auth.wasm and test guests).
meshwasm_add_test(replay_test SOURCES "${CMAKE_CURRENT_LIST_DIR}/replay_test.cc" LABELS e2e)
add_dependencies(replay_test meshwasm)
