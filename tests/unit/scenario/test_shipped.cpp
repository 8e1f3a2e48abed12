// Every shipped scenario, spec and fixture validates cleanly.
#include <filesystem>

#include "catch.hpp"
#include "rig/scenario/scenario.hpp"
#include "temp_dir.hpp"

using namespace rig;

TEST_CASE("every shipped file validates", "[scenario][shipped]") {
    const auto root = test::source_dir();
    std::vector<std::filesystem::path> files;
    for (const char* dir : {"scenarios", "scenarios/specs", "scenarios/regression", "fixtures"}) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(root / dir, ec)) {
            if (e.path().extension() == ".yaml") files.push_back(e.path());
        }
    }
    REQUIRE(files.size() >= 9);
    LoadOptions lo;
    lo.default_fixture = root / "fixtures" / "sim.yaml";
    for (const auto& f : files) {
        Diagnostics d;
        const bool ok = validate_file(f, d, lo);
        INFO(f.string() << "\n" << [&] { std::ostringstream o; d.print(o); return o.str(); }());
        CHECK(ok);
        // No warnings either, except the one a regression scenario exists to
        // test (depth without a reference: validation warns, the run is ERROR).
        if (f.filename() == "depth-no-reference.yaml") {
            REQUIRE(d.items().size() == 1);
            CHECK(d.items()[0].message.find("no 'reference:' step before it") != std::string::npos);
        } else {
            CHECK(d.items().empty());
        }
    }
}
