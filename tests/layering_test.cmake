# Layering check, run by CTest (`layering`) as
#   cmake -DAMOR_SOURCE_DIR=<repo root> -P tests/layering_test.cmake
# The layers are kernels <- core <- nn <- sbi <- apps: a file in a layer may include its own
# layer and the ones below it, never one above. Includes are written from the repository root
# ("core/tensor.h"), or as installed (<amor/core/tensor.h>); both forms are checked.
# Fails (non-zero exit) listing every offending file:line.
if(NOT AMOR_SOURCE_DIR)
  message(FATAL_ERROR "usage: cmake -DAMOR_SOURCE_DIR=<repo root> -P layering_test.cmake")
endif()

set(_layers kernels core nn sbi apps)
set(_violations "")
set(_checked 0)
list(LENGTH _layers _n)
math(EXPR _last "${_n} - 1")
foreach(_i RANGE ${_last})
  list(GET _layers ${_i} _layer)
  # Layers above this one.
  set(_forbidden "")
  math(EXPR _next "${_i} + 1")
  if(_next LESS_EQUAL _last)
    foreach(_j RANGE ${_next} ${_last})
      list(GET _layers ${_j} _above)
      list(APPEND _forbidden ${_above})
    endforeach()
  endif()
  if(NOT _forbidden)
    continue()
  endif()
  list(JOIN _forbidden "|" _alt)
  set(_regex "^[ \t]*#[ \t]*include[ \t]*[\"<](amor/)?(${_alt})/")

  file(GLOB_RECURSE _files LIST_DIRECTORIES false
       "${AMOR_SOURCE_DIR}/${_layer}/*.h" "${AMOR_SOURCE_DIR}/${_layer}/*.hpp"
       "${AMOR_SOURCE_DIR}/${_layer}/*.cpp" "${AMOR_SOURCE_DIR}/${_layer}/*.cc"
       "${AMOR_SOURCE_DIR}/${_layer}/*.cu" "${AMOR_SOURCE_DIR}/${_layer}/*.cuh"
       "${AMOR_SOURCE_DIR}/${_layer}/*.inl")
  foreach(_file IN LISTS _files)
    math(EXPR _checked "${_checked} + 1")
    file(STRINGS "${_file}" _lines REGEX "^[ \t]*#[ \t]*include")
    foreach(_line IN LISTS _lines)
      if(_line MATCHES "${_regex}")
        file(RELATIVE_PATH _rel "${AMOR_SOURCE_DIR}" "${_file}")
        string(STRIP "${_line}" _line)
        list(APPEND _violations "  ${_rel}: ${_line}   (${_layer}/ may not include ${CMAKE_MATCH_2}/)")
      endif()
    endforeach()
  endforeach()
endforeach()

if(_violations)
  list(LENGTH _violations _count)
  list(JOIN _violations "\n" _report)
  message(FATAL_ERROR "layering: ${_count} include(s) break kernels <- core <- nn <- sbi <- apps:\n${_report}")
endif()
message(STATUS "layering: OK (${_checked} files checked)")
