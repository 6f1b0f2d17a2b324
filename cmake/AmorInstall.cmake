# Installation and the exported CMake package: find_package(amor) -> amor::amor.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

get_property(_amor_targets GLOBAL PROPERTY AMOR_LAYER_TARGETS)
install(TARGETS ${_amor_targets} amor EXPORT amorTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(layer kernels core nn sbi)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${layer}/ DESTINATION include/amor/${layer}
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(EXPORT amorTargets NAMESPACE amor:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/amor)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/amorConfig.cmake.in
  ${PROJECT_BINARY_DIR}/amorConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/amor)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/amorConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/amorConfig.cmake ${PROJECT_BINARY_DIR}/amorConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/amor)
