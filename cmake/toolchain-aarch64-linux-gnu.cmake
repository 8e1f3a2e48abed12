# Cross build for arm64 (Raspberry Pi OS / Debian bookworm) on an amd64 Debian
# machine, from Debian packages only:
#  - the compiler: crossbuild-essential-arm64 (aarch64-linux-gnu-g++ 12),
#  - the libraries: a sysroot of bookworm's arm64 packages unpacked with
#    dpkg-deb -x (scripts/cross-arm64.sh assembles it; libyaml-cpp-dev is not
#    Multi-Arch co-installable, so the arm64 -dev packages cannot be installed
#    beside the amd64 ones),
#  - the test runner: qemu-aarch64-static (qemu-user-static), user-mode
#    emulation, as CMAKE_CROSSCOMPILING_EMULATOR: ctest and Catch2's test
#    discovery run the arm64 executables through it.
#
# The sysroot folder comes from -DPENRIG_ARM64_SYSROOT=..., else the
# environment variable of the same name, else <source>/build/sysroot-arm64.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT PENRIG_ARM64_SYSROOT)
  set(PENRIG_ARM64_SYSROOT "$ENV{PENRIG_ARM64_SYSROOT}")
endif()
if(NOT PENRIG_ARM64_SYSROOT)
  # scripts/cross-arm64.sh's default; also what a re-run of CMake from the
  # build (without the environment) finds.
  get_filename_component(PENRIG_ARM64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build/sysroot-arm64" ABSOLUTE)
endif()
if(NOT PENRIG_ARM64_SYSROOT OR NOT EXISTS "${PENRIG_ARM64_SYSROOT}/usr/include/aarch64-linux-gnu")
  message(FATAL_ERROR "PENRIG_ARM64_SYSROOT ('${PENRIG_ARM64_SYSROOT}') is not an arm64 sysroot: run scripts/cross-arm64.sh")
endif()
# try_compile projects see the same sysroot.
set(ENV{PENRIG_ARM64_SYSROOT} "${PENRIG_ARM64_SYSROOT}")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES PENRIG_ARM64_SYSROOT)

set(CMAKE_SYSROOT "${PENRIG_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${PENRIG_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # build tools (pkg-config, git) are the host's
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (libsodium, libsystemd, libgpiodcxx) reads the sysroot's .pc files only.
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${PENRIG_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR} "${PENRIG_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${PENRIG_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")

# Run arm64 programs under qemu. QEMU_LD_PREFIX (not -L) so that a test's own
# child processes (the CLI and daemon tests start `rig`) inherit it: they are
# started through the kernel's binfmt_misc entry for qemu-aarch64, which reads
# the prefix from the environment.
find_program(PENRIG_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64 REQUIRED NO_CMAKE_FIND_ROOT_PATH)
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/env "QEMU_LD_PREFIX=${PENRIG_ARM64_SYSROOT}" "${PENRIG_QEMU_AARCH64}")
