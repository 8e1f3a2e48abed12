#pragma once
// A scenario written as text, run in-process on the simulated fixture with a
// given seed: the frame of the grid and coverage studies (integrity_grid.hpp,
// uncertainty_coverage.hpp), which differ only in their scenarios and in what
// they read from the result.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "rig/runner/runner.hpp"
#include "rig/sim/sim_fixture.hpp"

namespace rig::test {

/// Writes `text` to `file`, loads it as a scenario and runs it on the sim
/// fixture seeded with `seed`, into `runs_root`, as operator `who`. A
/// scenario that does not load throws, with its diagnostics.
inline RunResult run_scenario_text(const std::filesystem::path& file, const std::string& text, std::uint64_t seed,
                                   const std::filesystem::path& runs_root, const std::string& who) {
    std::ofstream(file) << text;
    Diagnostics d;
    auto sc = load_scenario(file, d);
    if (!sc) {
        std::ostringstream o;
        d.print(o);
        throw std::runtime_error(file.filename().string() + " does not load: " + o.str());
    }
    auto fx = make_sim_fixture(sc->fixture, seed);
    std::atomic<bool> abort{false};
    RunOptions o;
    o.runs_root = runs_root;
    o.operator_id = {who, "test"};
    o.seed = seed;
    Runner r(*sc, *fx, o, abort, nullptr);
    return r.run();
}

}  // namespace rig::test
