// The no-false-PASS grid's confusion table: for every measurement of every
// run over faults x magnitudes x seeds (tests/unit/integrity/integrity_grid.hpp),
// truth inside / outside its limits (outside by more than the stated accuracy:
// "clearly out") against the verdict the rig gave. Figures for the README.
// Not a timed test: it prints counts.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "../unit/integrity/integrity_grid.hpp"

using namespace rig;
using namespace rig::test;

int main(int argc, char** argv) {
    const std::uint64_t seeds = argc > 1 ? std::stoull(argv[1]) : 5;
    TempDir dir;
    // [row][outcome]: rows = truth in, truth near the limit, truth clearly out,
    // and, for instrument faults, PASS values outside the stated accuracy.
    std::map<std::string, std::map<std::string, int>> table;
    std::map<std::string, std::map<std::string, int>> per_fault;
    std::map<std::string, double> depth_pass_err_um;  // per fault: largest |depth - truth| of a PASS depth
    std::map<std::string, std::map<std::string, int>> depth_outcomes;
    int wrong_pass = 0, runs = 0;
    for (const auto& f : grid_faults()) {
        for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
            const auto run = run_grid_case(dir, f, seed);
            ++runs;
            per_fault[f.label][to_string(run.verdict)]++;
            for (const auto& m : run.measurements) {
                const std::string row = truth_clearly_out(m) ? "truth clearly out" : truth_in(m) ? "truth in" : "truth near limit";
                table[row][to_string(m.outcome)]++;
                if (m.name == "protrusion_depth") {
                    depth_outcomes[f.label][to_string(m.outcome)]++;
                    if (m.outcome == Outcome::pass && m.truth && m.value) {
                        auto& e = depth_pass_err_um[f.label];
                        e = std::max(e, std::abs(*m.value - *m.truth) * 1e3);
                    }
                }
                if (m.outcome == Outcome::pass && m.truth && m.value &&
                    std::abs(*m.value - *m.truth) > stated_accuracy(m.name, *m.truth)) {
                    ++wrong_pass;
                    std::fprintf(stderr, "PASS beyond the stated accuracy: %s, seed %llu: %s value %g truth %g\n",
                                 f.label.c_str(), static_cast<unsigned long long>(seed), m.name.c_str(), *m.value,
                                 *m.truth);
                }
            }
        }
    }
    std::printf("no-false-PASS grid: %zu fault cases x %llu seeds = %d runs, measurements rate/depth/force/stall latency/stall retry delay\n\n",
                grid_faults().size(), static_cast<unsigned long long>(seeds), runs);
    std::printf("%-20s %8s %8s %8s\n", "measurement truth", "PASS", "FAIL", "ERROR");
    for (const auto& [row, c] : table) {
        auto get = [&](const char* k) { auto it = c.find(k); return it == c.end() ? 0 : it->second; };
        std::printf("%-20s %8d %8d %8d\n", row.c_str(), get("PASS"), get("FAIL"), get("ERROR"));
    }
    std::printf("\nPASS with |value - truth| beyond the stated accuracy: %d\n\n", wrong_pass);
    std::printf("%-36s %6s %6s %6s   %-20s %s\n", "fault (run verdicts)", "PASS", "FAIL", "ERROR",
                "depth P/F/E", "PASS depth max |err|");
    for (const auto& f : grid_faults()) {
        const auto& c = per_fault[f.label];
        auto get = [](const std::map<std::string, int>& m, const char* k) {
            auto it = m.find(k);
            return it == m.end() ? 0 : it->second;
        };
        const auto& d = depth_outcomes[f.label];
        char depth[32];
        std::snprintf(depth, sizeof depth, "%d/%d/%d", get(d, "PASS"), get(d, "FAIL"), get(d, "ERROR"));
        char err[32] = "-";
        if (const auto it = depth_pass_err_um.find(f.label); it != depth_pass_err_um.end()) {
            std::snprintf(err, sizeof err, "%.2f um", it->second);
        }
        std::printf("%-36s %6d %6d %6d   %-20s %s%s\n", f.label.c_str(), get(c, "PASS"), get(c, "FAIL"), get(c, "ERROR"),
                    depth, err, f.instrument ? "  (instrument)" : "");
    }
    return 0;
}
