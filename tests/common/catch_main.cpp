// The test main: Catch2's session, plus the SKIPPED exit code (skip.hpp).
#define CATCH_CONFIG_RUNNER
#include "catch.hpp"
#include "skip.hpp"

int main(int argc, char* argv[]) {
    const int rc = Catch::Session().run(argc, argv);
    if (rc == 0 && rig::test::skipped_flag()) return rig::test::kSkipReturnCode;
    return rc;
}
