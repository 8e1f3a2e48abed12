// The no-false-PASS property (DESIGN.md §5 "Integrity") on the simulated
// fixture: over a grid of fault kinds x magnitudes x seeds, run through the
// real runner,
//  1. a measurement whose independent truth lies outside its limits by more
//     than the rig's stated accuracy is never PASS;
//  2. under an instrument fault, a PASS measurement is within the stated
//     accuracy of its truth (the self-check corrected it, e.g. the load cell's
//     per-stroke baseline, or the depth reference finding the face where an
//     encoder with a zero error reads it) — never a wrong value passed as
//     good; an encoder zero error before the reference is found with the
//     face (accurate depth), one after it is caught by the closing reference
//     (ERROR); random count loss or gain is caught by the references' scale
//     check while it lasts (README "No false PASS": the bound on a walk
//     that stops and comes back between two references);
//  3. with no fault, every measurement PASSes and lies within the stated
//     accuracy of its truth.
// bench_integrity prints the grid's confusion table.

#include "catch.hpp"
#include "integrity_grid.hpp"

using namespace rig;
using namespace rig::test;

TEST_CASE("no false PASS over faults x magnitudes x seeds", "[integrity][sim]") {
    TempDir dir;
    for (const auto& f : grid_faults()) {
        for (std::uint64_t seed : {1u, 2u}) {
            const auto run = run_grid_case(dir, f, seed);
            for (const auto& m : run.measurements) {
                INFO(f.label << ", seed " << seed << ": " << m.name << " value "
                             << (m.value ? std::to_string(*m.value) : "-") << " truth "
                             << (m.truth ? std::to_string(*m.truth) : "-") << " outcome " << to_string(m.outcome));
                if (truth_clearly_out(m)) CHECK(m.outcome != Outcome::pass);
                if (f.instrument && m.outcome == Outcome::pass) {
                    REQUIRE(m.truth);
                    CHECK(std::abs(*m.value - *m.truth) <= stated_accuracy(m.name, *m.truth));
                }
                if (f.yaml.empty()) {
                    CHECK(m.outcome == Outcome::pass);
                    REQUIRE(m.truth);
                    CHECK(std::abs(*m.value - *m.truth) <= stated_accuracy(m.name, *m.truth));
                }
            }
        }
    }
}
