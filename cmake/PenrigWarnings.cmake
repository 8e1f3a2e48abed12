# Per-target warning and sanitizer helpers (spdlog-style: opt-in per target,
# never global flags that leak into dependencies' headers).
add_library(penrig_warnings INTERFACE)
target_compile_options(penrig_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  -Wmisleading-indentation)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")  # GCC-only warnings (clang builds the fuzzers)
  target_compile_options(penrig_warnings INTERFACE -Wduplicated-cond -Wlogical-op)
endif()
# GCC 12 at -O2/-O3 reports -Wrestrict false positives inside libstdc++'s
# std::string operator+ (GCC bug 105329, fixed in GCC 13): off for GCC < 13 only.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(penrig_warnings INTERFACE -Wno-restrict)
endif()
if(PENRIG_WERROR)
  target_compile_options(penrig_warnings INTERFACE -Werror)
endif()

option(PENRIG_TSAN "Build with ThreadSanitizer (the threaded tests: scripts/test.sh)" OFF)
option(PENRIG_FUZZ "Build the libFuzzer harnesses in tests/fuzz (clang; with ASan + UBSan)" OFF)
add_library(penrig_sanitizers INTERFACE)
if(PENRIG_TSAN)
  # GCC's -Wtsan says that ThreadSanitizer does not model
  # std::atomic_thread_fence: the ADS1256 service thread's seqlock uses
  # fences, so the hardware driver's thread hand-off is outside what TSan can
  # check (its emulator tests run under ASan); the threaded tests TSan runs
  # (ring, loop, recorder, daemon) do not use it.
  # GCC 12's -Wnull-dereference reports false positives inside libstdc++'s
  # std::string once TSan instruments it (cmd_validate.cpp); off for TSan only.
  target_compile_options(penrig_sanitizers INTERFACE -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan
                                                     -Wno-null-dereference)
  target_link_options(penrig_sanitizers INTERFACE -fsanitize=thread)
elseif(PENRIG_FUZZ)
  # Every library in coverage mode so that libFuzzer sees the code it fuzzes.
  target_compile_options(penrig_sanitizers INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(penrig_sanitizers INTERFACE -fsanitize=address,undefined)
elseif(PENRIG_SANITIZE)
  target_compile_options(penrig_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(penrig_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

# Exact floating point everywhere: results reproduce bit for bit across
# machines (x86 CI vs. the aarch64 Pi) and between code paths that compute
# the same thing (the online BDC tracker vs. detect_strokes, the run vs.
# `rig analyze`). GCC fuses a*b+c into an FMA in C++ by default wherever the
# target has one (aarch64 does, baseline x86-64 does not): an inline function
# of a header then rounds differently in two translation units. Never fuse,
# never reassociate. (Found by the arm64 suite under qemu: the online tracker
# and detect_strokes differed in the last bit of a depth.)
add_library(penrig_exact_fp INTERFACE)
target_compile_options(penrig_exact_fp INTERFACE -ffp-contract=off -fno-fast-math)

# penrig_target(<name>): the project's flags on one target.
function(penrig_target name)
  target_link_libraries(${name} PRIVATE penrig_warnings penrig_sanitizers penrig_exact_fp)
endfunction()
