#pragma once
// The uncertainty coverage study: one scenario that takes every measurement
// kind, run through the real runner on the simulated fixture over seeds and a
// few pen variations; per quantity, how often the model's truth lies within
// the stated U (k = 2) of the value. Shared by the ctest case
// (tests/unit/runner/test_uncertainty.cpp) and its benchmark-style table
// (tests/bench/bench_uncertainty.cpp).

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "scenario_text_run.hpp"
#include "temp_dir.hpp"

namespace rig::test {

/// Pen variations (scenario fault steps on the pen, not the instruments): the
/// nominal pen, a dial offset, a rate error and a weaker motor.
inline std::vector<std::string> coverage_variations() {
    return {"", "{depth_offset: 0.1 mm}", "{rate_error: -1.5 %}", "{winding_resistance: 7 ohm}"};
}

inline std::string coverage_scenario_text(const std::string& fault) {
    const auto spec = (source_dir() / "scenarios" / "specs" / "novapen-x2.yaml").string();
    const auto fixture = (source_dir() / "fixtures" / "sim.yaml").string();
    std::string t = "id: COVERAGE\ntitle: uncertainty coverage\nversion: \"1\"\nspec: " + spec + "\nfixture: " +
                    fixture + "\nsteps:\n";
    if (!fault.empty()) t += "  - fault: " + fault + "\n";
    t +=
        "  - reference: touch_off\n"
        "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n  - hold: 800 ms\n"
        "  - measure: {what: startup_time, id: startup}\n"
        "  - measure: {what: puncture_rate, id: rate, window: 500 ms}\n"
        "  - measure: {what: protrusion_depth, id: depth, window: previous}\n"
        "  - measure: {what: strike_force, id: force, window: previous}\n"
        "  - stall: {for: 400 ms}\n  - hold: 1.2 s\n"
        "  - measure: {what: stall_protection, id: stall}\n"
        "  - wait_until: {condition: rate_stable, timeout: 2 s}\n"
        "  - step: {level: 5, hold: 1 s}\n"
        "  - measure: {what: step_response, id: step_up}\n"
        "  - measure: {what: puncture_rate, id: loaded, window: 400 ms}\n"
        "  - set_depth: 0 mm\n  - wait_until: {condition: depth_reached, timeout: 3 s}\n  - hold: 300 ms\n"
        "  - measure: {what: puncture_rate, id: no_load, window: 400 ms}\n"
        "  - measure: {what: speed_regulation, id: regulation, no_load: no_load, loaded: loaded}\n"
        "  - power: off\n";
    return t;
}

struct Coverage {
    std::size_t results = 0;  // with a value, a truth and a U
    std::size_t covered = 0;  // |value - truth| <= U
    std::vector<double> ratios;  // |value - truth| / U (U > 0), for the quantiles
    std::vector<double> U;       // the stated U, for the typical figure
    [[nodiscard]] double fraction() const { return results ? static_cast<double>(covered) / static_cast<double>(results) : 0.0; }
};

/// Runs the coverage scenario under `fault` with `seed`, adding each result to `by_quantity`.
inline void run_coverage_case(const TempDir& dir, const std::string& fault, std::uint64_t seed,
                              std::map<std::string, Coverage>& by_quantity) {
    const auto res = run_scenario_text(dir / ("coverage-" + std::to_string(seed) + ".yaml"),
                                             coverage_scenario_text(fault), seed, dir.path(), "coverage");
    for (const auto& m : res.measurements) {
        if (!m.value || !m.truth || !m.uncertainty) continue;
        auto& c = by_quantity[m.name];
        const double e = std::abs(*m.value - *m.truth), U = m.uncertainty->U;
        ++c.results;
        if (e <= U) ++c.covered;
        c.ratios.push_back(U > 0.0 ? e / U : (e > 0.0 ? 1e9 : 0.0));
        c.U.push_back(U);
    }
}

/// The lowest coverage count out of n results consistent with p = 0.95 at
/// the one-sided level alpha = 0.001 (exact binomial tail): fewer covered
/// than this says the budget understates U.
inline std::size_t coverage_lower_bound(std::size_t n, double p = 0.95, double alpha = 0.001) {
    // P(X <= k) for X ~ Binomial(n, p), summed from 0 in log space.
    double cdf = 0.0;
    for (std::size_t k = 0; k <= n; ++k) {
        const double lp = std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(k) + 1) -
                          std::lgamma(static_cast<double>(n - k) + 1) + static_cast<double>(k) * std::log(p) +
                          static_cast<double>(n - k) * std::log1p(-p);
        cdf += std::exp(lp);
        if (cdf > alpha) return k;
    }
    return n;
}

}  // namespace rig::test
