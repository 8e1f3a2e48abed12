// Uncertainty coverage on the sim (tests/unit/runner/uncertainty_coverage.hpp):
// per quantity, how often the model's truth lies within the stated U (k = 2),
// with the typical U and the |error| / U quantiles. Figures for the README
// ("How good is the rig?"). Not a timed test: it prints counts.
// Usage: bench_uncertainty [seeds per variation, default 25]

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

#include "../unit/runner/uncertainty_coverage.hpp"

using namespace rig;
using namespace rig::test;

int main(int argc, char** argv) {
    const std::uint64_t seeds = argc > 1 ? std::stoull(argv[1]) : 25;
    TempDir dir;
    std::map<std::string, Coverage> by;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        for (const auto& v : coverage_variations()) run_coverage_case(dir, v, seed * 104729 + 7, by);
    }
    std::printf("%llu seeds x %zu pen variations\n\n", static_cast<unsigned long long>(seeds),
                coverage_variations().size());
    std::printf("| quantity | results | truth within U | lower bound (p = 0.95, alpha 0.001) | median U | |e|/U p50 | p95 | max |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    for (auto& [name, c] : by) {
        std::sort(c.ratios.begin(), c.ratios.end());
        std::sort(c.U.begin(), c.U.end());
        const auto q = [&](double p) {
            return c.ratios[static_cast<std::size_t>(p * static_cast<double>(c.ratios.size() - 1))];
        };
        std::printf("| %s | %zu | %.1f %% | %zu | %.4g | %.2f | %.2f | %.2f |\n", name.c_str(), c.results,
                    100.0 * c.fraction(), coverage_lower_bound(c.results), c.U[c.U.size() / 2], q(0.5), q(0.95),
                    c.ratios.back());
    }
    return 0;
}
