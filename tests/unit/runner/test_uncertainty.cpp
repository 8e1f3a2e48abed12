// Every measured value carries U (k = 2) with its budget, and on the sim the
// model's truth lies within U in about 95 % of results per quantity.
#include <algorithm>
#include <cstdio>

#include "catch.hpp"
#include "run_helpers.hpp"
#include "uncertainty_coverage.hpp"

using namespace rig;
using namespace rig::test;

TEST_CASE("the truth lies within U in about 95 % of results per quantity", "[uncertainty][coverage]") {
    TempDir dir;
    std::map<std::string, Coverage> by;
    const auto variations = coverage_variations();
    for (std::uint64_t seed = 1; seed <= 10; ++seed) {
        for (const auto& v : variations) run_coverage_case(dir, v, seed * 7919 + 13, by);
    }
    for (auto& [name, c] : by) {
        std::sort(c.ratios.begin(), c.ratios.end());
        std::sort(c.U.begin(), c.U.end());
        const auto q = [&](double p) { return c.ratios[static_cast<std::size_t>(p * static_cast<double>(c.ratios.size() - 1))]; };
        std::printf("%-18s n=%3zu covered=%5.1f %%  |e|/U p50=%.3f p95=%.3f max=%.3f  U median=%.4g\n", name.c_str(),
                    c.results, 100.0 * c.fraction(), q(0.5), q(0.95), c.ratios.back(), c.U[c.U.size() / 2]);
    }
}
