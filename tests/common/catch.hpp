#pragma once
// Catch2 v2 (Debian bookworm) and v3 (trixie) behind one include.
#if defined(PENRIG_CATCH3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

// PENRIG_SKIP(reason): a test that cannot run its real path is SKIPPED (skip.hpp).
#include "skip.hpp"
