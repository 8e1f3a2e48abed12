#pragma once
// Catch2 v2 (Debian bookworm) and v3 (trixie) behind one include.
#if defined(PENRIG_CATCH3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#include <cstdlib>
#include <iostream>

/// Ends a test that cannot run its real path here (not root, no mount) as
/// SKIPPED for ctest (SKIP_RETURN_CODE 77), never as passed. Call it before
/// the test creates anything that needs cleaning up.
#define PENRIG_SKIP(why)                                        \
    do {                                                        \
        std::cout << "SKIPPED: " << (why) << std::endl;         \
        std::exit(77);                                          \
    } while (0)
