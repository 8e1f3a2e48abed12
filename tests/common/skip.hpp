#pragma once
// A test that cannot run its real path says so and is reported SKIPPED by
// ctest, never passed: PENRIG_SKIP(reason) prints the reason, marks the
// process as skipped and returns from the test case; the test main
// (catch_main.cpp) then exits with kSkipReturnCode when nothing failed, and
// every test is registered with that code as ctest's SKIP_RETURN_CODE.
// ctest runs each TEST_CASE in its own process, so one skip skips one test.
#include <iostream>

namespace rig::test {
inline constexpr int kSkipReturnCode = 77;  // the automake/meson convention
inline bool& skipped_flag() {
    static bool skipped = false;
    return skipped;
}
}  // namespace rig::test

#define PENRIG_SKIP(reason)                                                 \
    do {                                                                    \
        std::cout << "SKIPPED: " << reason << std::endl;                    \
        WARN("SKIPPED: " << reason);                                        \
        ::rig::test::skipped_flag() = true;                                 \
        return;                                                             \
    } while (false)
