// End-to-end benchmark of the runner on the simulated fixture:
//  - wall time of the nightly suite (and simulated seconds per wall second);
//  - heap allocations made on the acquisition thread after the loop started
//    (target 0 on the hardware path; see the note printed for the sim).
// Prints figures; never pass/fail on time.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <new>

#include "alloc_counter.hpp"
#include "rig/runner/runner.hpp"
#include "rig/sim/sim_fixture.hpp"
#include "temp_dir.hpp"

int main(int argc, char** argv) {
    using namespace rig;
    const std::string rel = argc > 1 ? argv[1] : "scenarios/nightly.yaml";
    const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
    Diagnostics d;
    auto sc = load_scenario(rig::test::source_dir() / rel, d);
    if (!sc) {
        d.print(std::cerr);
        return 2;
    }
    double best = 1e9;
    std::uint64_t allocs = 0;
    double simulated = 0;
    for (int i = 0; i < reps; ++i) {
        rig::test::TempDir tmp;
        auto fx = make_sim_fixture(sc->fixture, sc->seed);
        std::atomic<bool> abort{false};
        RunOptions o;
        o.runs_root = tmp.path();
        // Count allocations on the acquisition thread from the loop's start on.
        o.realtime_setup = [] {
            nlohmann::json j{{"bench", "allocation counting"}};  // built before counting starts
            rig::test::g_allocations.store(0);
            rig::test::t_count_allocations = true;
            return j;
        };
        Runner r(*sc, *fx, o, abort);
        const auto t0 = std::chrono::steady_clock::now();
        const auto res = r.run();
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        best = std::min(best, wall);
        allocs = rig::test::g_allocations.load();
        simulated = res.record["timing"]["samples"].get<double>() / sc->fixture.sample_rate_hz;
        std::printf("run %d: %s in %.3f s wall (%s)\n", i + 1, rel.c_str(), wall, to_string(res.verdict));
    }
    std::printf("\nscenario            %s\n", rel.c_str());
    std::printf("simulated time      %.2f s at %.0f Hz sampling\n", simulated, sc->fixture.sample_rate_hz);
    std::printf("best wall time      %.3f s (run folder, analysis and reports included)\n", best);
    std::printf("speed               %.0fx real time\n", simulated / best);
    if (PENRIG_COUNTS_ALLOCATIONS) {
        std::printf("acquisition-thread heap allocations after start: %llu\n", static_cast<unsigned long long>(allocs));
    } else {
        std::printf("acquisition-thread heap allocations after start: not counted (a sanitizer owns operator new)\n");
    }
    std::printf("  (the runner's loop allocates nothing; on the sim, any count here comes from the model\n"
                "   recording ground truth, which a hardware fixture does not have)\n");
    return 0;
}
