# Python interop of safetensors checkpoints (included from tests/CMakeLists.txt).
#   amor_checkpoint_tool: tests/nn/tools/amor_checkpoint_tool.cpp (`write <path>` / `check <path>`)
#   safetensors_interop:  tests/nn/safetensors_interop.py against the reference implementation.
# The test needs `python3 -c "import safetensors, numpy"` (pip install safetensors numpy); without
# it, or without python3, it reports SKIPPED (exit code 77) instead of failing.
add_executable(amor_checkpoint_tool ${CMAKE_CURRENT_LIST_DIR}/tools/amor_checkpoint_tool.cpp)
target_link_libraries(amor_checkpoint_tool PRIVATE amor_nn)
amor_target_warnings(amor_checkpoint_tool)

find_program(AMOR_PYTHON3_EXECUTABLE NAMES python3 DOC "python3 for the safetensors interop test")
if(AMOR_PYTHON3_EXECUTABLE)
  add_test(NAME safetensors_interop
           COMMAND ${AMOR_PYTHON3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/safetensors_interop.py
                   --tool $<TARGET_FILE:amor_checkpoint_tool>)
else()
  add_test(NAME safetensors_interop COMMAND sh -c "echo 'SKIPPED: python3 not found'; exit 77")
endif()
set_tests_properties(safetensors_interop PROPERTIES LABELS "unit;nn" SKIP_RETURN_CODE 77 TIMEOUT 120)
# Building the nn tests builds the tool too, so `ctest` after `--target amor_tests_nn` finds it.
if(TARGET amor_tests_nn)
  add_dependencies(amor_tests_nn amor_checkpoint_tool)
endif()
