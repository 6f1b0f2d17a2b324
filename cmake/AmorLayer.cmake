# amor_add_layer(<name> DIRS <dir>... DEPS <target>...)
#
# Creates the static library amor_<name> from the .cpp files found directly in the given
# folders (no recursion: each layer lists its own sub-folders). A layer with no sources yet
# is an INTERFACE library, so the chain kernels <- core <- nn <- sbi is always complete.
# Includes are written from the repository root (`#include "core/tensor.h"`).
function(amor_add_layer name)
  cmake_parse_arguments(ARG "" "" "DIRS;DEPS" ${ARGN})
  set(sources "")
  foreach(dir IN LISTS ARG_DIRS)
    file(GLOB found CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${dir}/*.cpp)
    list(APPEND sources ${found})
  endforeach()
  set(target amor_${name})
  if(sources)
    add_library(${target} STATIC ${sources})
    set(scope PUBLIC)
    amor_target_warnings(${target})
  else()
    add_library(${target} INTERFACE)
    set(scope INTERFACE)
  endif()
  add_library(amor::${name} ALIAS ${target})
  # Installed as amor::<name> too (see cmake/AmorInstall.cmake), same as the in-tree alias.
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(${target} ${scope}
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:include/amor>)
  target_compile_features(${target} ${scope} cxx_std_20)
  if(ARG_DEPS)
    target_link_libraries(${target} ${scope} ${ARG_DEPS})
  endif()
  set_property(GLOBAL APPEND PROPERTY AMOR_LAYER_TARGETS ${target})
  set_property(GLOBAL APPEND PROPERTY AMOR_LAYER_DIRS ${ARG_DIRS})
endfunction()

# amor_layer_link(<name> <dep>...): links the layer target amor_<name> to deps (targets or
# libraries) PUBLIC, or INTERFACE while the layer has no sources yet.
function(amor_layer_link name)
  get_target_property(type amor_${name} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_link_libraries(amor_${name} INTERFACE ${ARGN})
  else()
    target_link_libraries(amor_${name} PUBLIC ${ARGN})
  endif()
endfunction()

# amor_layer_definitions(<name> <definition>...): like amor_layer_link, for compile definitions.
function(amor_layer_definitions name)
  get_target_property(type amor_${name} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_compile_definitions(amor_${name} INTERFACE ${ARGN})
  else()
    target_compile_definitions(amor_${name} PUBLIC ${ARGN})
  endif()
endfunction()
