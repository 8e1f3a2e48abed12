// wait_until: rate_stable means the rate has stopped changing (BdcTracker::
// rate_settled), not "near the setpoint": a pen running off its setpoint
// inside the rate tolerance settles and PASSes; one outside it settles and
// FAILs on puncture_rate (not on the wait); a pen that never settles FAILs
// the wait with its bound.
#include <cmath>

#include "rig/runner/bdc_tracker.hpp"
#include "run_helpers.hpp"

using namespace rig;
using test::find;

namespace {
std::string rate_scenario(const std::string& fault) {
    return test::steady_measure_steps(fault, "puncture_rate", "rate");
}
}  // namespace

TEST_CASE("BdcTracker::rate_settled: known BDC trains", "[runner][bdc]") {
    auto feed = [](BdcTracker& t, auto period_ns_at, int strokes) {
        // A clean cosine stroke sampled at 10 kHz, period varying per stroke.
        double t_ns = 0.0;
        std::int64_t now = 0;
        for (int k = 0; k < strokes; ++k) {
            const double p = period_ns_at(k);
            for (; static_cast<double>(now) < t_ns + p; now += 100'000) {
                const double ph = (static_cast<double>(now) - t_ns) / p;
                t.add(now, 1.0 - 1.5 * (1.0 + std::cos(2.0 * 3.141592653589793 * ph)));
            }
            t_ns += p;
        }
        return now;
    };
    SECTION("steady 4 % off any setpoint: settled") {
        BdcTracker t;
        const auto now = feed(t, [](int) { return 1e9 / (110.0 * 1.04); }, 20);
        CHECK(t.rate_settled(0.02, 5, now));
    }
    SECTION("still accelerating by 0.4 % per stroke: not settled") {
        BdcTracker t;
        const auto now = feed(t, [](int k) { return 1e9 / (100.0 * (1.0 + 0.004 * k)); }, 20);
        CHECK_FALSE(t.rate_settled(0.02, 5, now));
    }
    SECTION("alternating +-3 % every two strokes: not settled") {
        // (A BDC interval spans half of two periods: alternating stroke by
        // stroke would average out in the BDC times themselves.)
        BdcTracker t;
        const auto now = feed(t, [](int k) { return 1e9 / (110.0 * ((k / 2) % 2 == 0 ? 1.03 : 0.97)); }, 20);
        CHECK_FALSE(t.rate_settled(0.02, 5, now));
    }
    SECTION("stopped: the last BDC too old") {
        BdcTracker t;
        const auto now = feed(t, [](int) { return 1e9 / 110.0; }, 20);
        CHECK(t.rate_settled(0.02, 5, now));
        CHECK_FALSE(t.rate_settled(0.02, 5, now + 30'000'000));
    }
    SECTION("too few strokes") {
        BdcTracker t;
        const auto now = feed(t, [](int) { return 1e9 / 110.0; }, 8);
        CHECK_FALSE(t.rate_settled(0.02, 5, now));
    }
}

TEST_CASE("rate_stable: a pen 1-2 % and 4 % off its setpoint settles and PASSes within the stated accuracy",
          "[runner][sim][rate_stable]") {
    for (const char* err : {"1.5 %", "-2 %", "4 %", "-4 %"}) {
        for (std::uint64_t seed : {1u, 2u}) {
            test::SimRun run;
            const auto r = run.run(test::load_text(run.dir, rate_scenario(std::string("{rate_error: ") + err + "}")),
                                   nullptr, seed);
            INFO(err << " seed " << seed << ": " << r.reason);
            REQUIRE(r.measurements.size() == 1);  // no wait_until timeout
            const auto& rate = find(r, "rate");
            CHECK(rate.outcome == Outcome::pass);
            REQUIRE(rate.truth);
            CHECK(std::abs(*rate.value - *rate.truth) / *rate.truth < 0.0005);
            CHECK(r.verdict == Verdict::pass);
        }
    }
}

TEST_CASE("rate_stable: a pen 8 % off settles; puncture_rate FAILs it, not the wait", "[runner][sim][rate_stable]") {
    test::SimRun run;
    const auto r = run.run(test::load_text(run.dir, rate_scenario("{rate_error: 8 %}")), nullptr, 1);
    REQUIRE(r.measurements.size() == 1);
    CHECK(find(r, "rate").outcome == Outcome::fail);
    CHECK(r.verdict == Verdict::fail);
}

TEST_CASE("rate_stable: a pen that never settles FAILs the wait with its bound", "[runner][sim][rate_stable]") {
    // Friction beyond the motor's stall torque (14 mN*m): the pen never runs
    // up, its firmware cuts and retries, the rate never settles.
    test::SimRun run;
    const auto r = run.run(test::load_text(run.dir, "steps:\n  - set_depth: 1.0 mm\n  - set_level: 3\n"
                                                    "  - fault: {extra_friction: 20 mN*m}\n  - power: on\n"
                                                    "  - wait_until: {condition: rate_stable, timeout: 800 ms}\n"
                                                    "  - power: off\n"),
                           nullptr, 1);
    REQUIRE_FALSE(r.measurements.empty());
    const auto& w = r.measurements.front();
    CHECK(w.name == "wait_until");
    CHECK(w.outcome == Outcome::fail);
    CHECK_THAT(w.message, Catch::Contains("rate_stable") && Catch::Contains("800 ms"));
    CHECK(r.verdict == Verdict::fail);
}
