# Run by cpack (CPACK_PROJECT_CONFIG_FILE): the package's Depends: from
# dpkg-shlibdeps on the built `rig`, for the package's architecture. The
# variables come from the PenrigCPackConfig.cmake that PenrigPackaging.cmake
# generates in the build tree.
if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()
set(_work ${PENRIG_SHLIBDEPS_WORK})
file(REMOVE_RECURSE ${_work})
file(MAKE_DIRECTORY ${_work}/debian)
file(TOUCH ${_work}/debian/control)           # dpkg-shlibdeps insists on one
set(_args)
foreach(_t IN LISTS PENRIG_SHLIBDEPS_TREES)
  list(APPEND _args -S${_t})
endforeach()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env DEB_HOST_ARCH=${PENRIG_DEB_ARCH} DEB_HOST_GNU_TYPE=${PENRIG_DEB_GNU_TYPE}
          dpkg-shlibdeps -O ${_args} ${PENRIG_RIG_EXE}
  WORKING_DIRECTORY ${_work}
  OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX REPLACE "\n?dpkg-shlibdeps: warning: binaries to analyze should already be installed in their package's directory\n?" "" _err "${_err}")
if(NOT _rc EQUAL 0 OR NOT _out MATCHES "^shlibs:Depends=")
  message(FATAL_ERROR "dpkg-shlibdeps failed (${_rc}) on ${PENRIG_RIG_EXE}:\n${_out}\n${_err}")
endif()
if(_err)
  message(WARNING "dpkg-shlibdeps: ${_err}")
endif()
string(REGEX REPLACE "^shlibs:Depends=" "" _deps "${_out}")
if(PENRIG_DEB_EXTRA_DEPENDS)
  string(APPEND _deps ", ${PENRIG_DEB_EXTRA_DEPENDS}")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${_deps}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
message(STATUS "penrig ${PENRIG_DEB_ARCH} Depends: ${_deps}")
