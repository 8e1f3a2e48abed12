# Debian package penrig_<version>_<arch>.deb with CPack's DEB generator.
#
# Why CPack and not debian/ + dpkg-buildpackage: the arm64 package is built
# on an amd64 machine against a sysroot of unpacked bookworm packages
# (scripts/cross-arm64.sh); dpkg-buildpackage -a arm64 would need the arm64
# build dependencies installed through multiarch, which libyaml-cpp-dev does
# not allow beside the amd64 one. CPack packages whatever the build tree
# holds, so the native and the cross build make their package the same way:
#
#   scripts/deb-amd64.sh                      # penrig_<version>_amd64.deb from build/release
#   scripts/cross-arm64.sh                    # both, into build/deb/
#
# The amd64 package is made from the release tree (hardened, prefix /usr):
# the binary the whole native suite ran on is the one that ships.
#
# Depends: is computed by dpkg-shlibdeps at package time (the libraries the
# binary really links, with the versions their symbols files ask for), for a
# cross build against the sysroot's packages (their shlibs/symbols files).
# The maintainer scripts and conffiles list live in rig/daemon/systemd/deb/.

# Debian architecture of the binaries (not of the build machine).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(PENRIG_DEB_ARCH arm64)
  set(PENRIG_DEB_GNU_TYPE aarch64-linux-gnu)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(PENRIG_DEB_ARCH amd64)
  set(PENRIG_DEB_GNU_TYPE x86_64-linux-gnu)
else()
  execute_process(COMMAND dpkg --print-architecture OUTPUT_VARIABLE PENRIG_DEB_ARCH OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()

set(PENRIG_DEB_DIR ${PROJECT_SOURCE_DIR}/rig/daemon/systemd/deb)

# Documentation every Debian package carries: copyright and changelog
# (gzip -9n: no timestamp, reproducible). The version has no Debian revision
# (the package is made from this tree, not from an upstream tarball), so it is
# a native package and its changelog is changelog.gz.
set(_docdir ${CMAKE_INSTALL_DATADIR}/doc/penrig)
set(_chlog ${CMAKE_CURRENT_BINARY_DIR}/changelog.gz)
add_custom_command(OUTPUT ${_chlog}
  COMMAND gzip -9n -c ${PENRIG_DEB_DIR}/changelog > ${_chlog}
  DEPENDS ${PENRIG_DEB_DIR}/changelog VERBATIM)
add_custom_target(penrig_deb_doc ALL DEPENDS ${_chlog})
install(FILES ${PENRIG_DEB_DIR}/copyright ${_chlog} DESTINATION ${_docdir})

# The package's version is the changelog's first entry: one place for both.
file(STRINGS ${PENRIG_DEB_DIR}/changelog _first LIMIT_COUNT 1)
string(REGEX MATCH "\\(([^)]+)\\)" _m "${_first}")
set(PENRIG_DEB_VERSION "${CMAKE_MATCH_1}")
if(NOT PENRIG_DEB_VERSION STREQUAL PROJECT_VERSION)
  message(FATAL_ERROR "rig/daemon/systemd/deb/changelog is at ${PENRIG_DEB_VERSION}, the project at ${PROJECT_VERSION}: add a changelog entry")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME penrig)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "penrig maintainers")
set(CPACK_PACKAGE_CONTACT "penrig maintainers <maintainers@users.noreply.r-seed-8be12721.example>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)                 # penrig_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${PENRIG_DEB_ARCH})
set(CPACK_DEBIAN_PACKAGE_SECTION electronics)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "test rig controller for motorised microneedling pens")
# The synopsis is the summary above; CPack indents these lines and turns the
# empty one into the " ." paragraph break.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "penrig drives a microneedling pen against a hardware-in-the-loop fixture
(load cell, optical encoder, GPIO power, brake and E-stop, PWM speed),
replays YAML scenarios, measures the pen against its specification and
writes a signed, traceable run record with JUnit, HTML and CSV reports.

This package holds the rig command, the rig daemon as a systemd service
(not started until enabled), the shipped scenarios, pen specifications,
fixture descriptions and the run record schema. A simulated fixture
(physics model) is the default.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PENRIG_DEB_DIR}/conffiles ${PENRIG_DEB_DIR}/postinst ${PENRIG_DEB_DIR}/prerm ${PENRIG_DEB_DIR}/postrm)
set(CPACK_STRIP_FILES TRUE)
# systemd-sysusers and systemd-tmpfiles run in postinst; adduser is not used.
set(PENRIG_DEB_EXTRA_DEPENDS "systemd")

# Depends: dpkg-shlibdeps at cpack time (CPACK_PROJECT_CONFIG_FILE runs then),
# on the built binary. A cross build looks the libraries up in the sysroot's
# per-package trees (scripts/cross-arm64.sh keeps each package's DEBIAN/).
set(PENRIG_SHLIBDEPS_TREES "")
if(CMAKE_CROSSCOMPILING AND CMAKE_SYSROOT)
  file(GLOB PENRIG_SHLIBDEPS_TREES LIST_DIRECTORIES true ${CMAKE_SYSROOT}/var/lib/penrig-sysroot/*)
endif()
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/PenrigCPackConfig.cmake CONTENT "
set(PENRIG_RIG_EXE \"$<TARGET_FILE:rig>\")
set(PENRIG_DEB_ARCH \"${PENRIG_DEB_ARCH}\")
set(PENRIG_DEB_GNU_TYPE \"${PENRIG_DEB_GNU_TYPE}\")
set(PENRIG_SHLIBDEPS_TREES \"${PENRIG_SHLIBDEPS_TREES}\")
set(PENRIG_DEB_EXTRA_DEPENDS \"${PENRIG_DEB_EXTRA_DEPENDS}\")
set(PENRIG_SHLIBDEPS_WORK \"${CMAKE_CURRENT_BINARY_DIR}/shlibdeps\")
include(\"${CMAKE_CURRENT_LIST_DIR}/PenrigShlibdeps.cmake\")
")
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_BINARY_DIR}/PenrigCPackConfig.cmake)
include(CPack)
