// Known answers for the start-up and step-response truths taken from the
// model's cam phase (rig/drivers/true_rate.hpp): phase logs written from
// closed-form rate profiles, sampled like the model's (every 500 us).
#include <cmath>
#include <functional>

#include "catch.hpp"
#include "rig/drivers/true_rate.hpp"

using namespace rig;

namespace {
constexpr std::int64_t kMs = 1'000'000;

// phase(t_s) in strokes, sampled every 500 us over [from_s, to_s].
void fill(TruthLog<TrueRate>& log, double from_s, double to_s, const std::function<double(double)>& phase) {
    log.reset(static_cast<std::size_t>((to_s - from_s) / 0.5e-3) + 2);
    for (double t = from_s; t <= to_s + 1e-12; t += 0.5e-3) {
        REQUIRE(log.push(TrueRate{std::llround(t * 1e9), phase(t)}));
    }
}
}  // namespace

TEST_CASE("true start-up time: a linear ramp to 100 Hz in 100 ms enters the 2 % band at ~98 ms", "[sim][truth]") {
    TruthLog<TrueRate> log;
    // Rate 0 before 0, 1000 t Hz on the ramp, 100 Hz after 0.1 s.
    fill(log, -0.3, 1.0, [](double t) { return t < 0 ? 0.0 : t < 0.1 ? 500.0 * t * t : 5.0 + 100.0 * (t - 0.1); });
    const auto s = true_startup_time(log, 0, 1000 * kMs, 100.0, 0.02);
    REQUIRE(s.time_s);
    // 98 ms on the ramp; the one-stroke mean across the ramp's knee is a
    // little lower, so a little later.
    CHECK(*s.time_s > 0.0975);
    CHECK(*s.time_s < 0.0990);
    SECTION("a band it never enters: never settled, no value") {
        const auto n = true_startup_time(log, 0, 1000 * kMs, 120.0, 0.02);
        CHECK(n.never_settled);
        CHECK_FALSE(n.time_s);
    }
    SECTION("a window the log does not cover: absent with the reason") {
        const auto n = true_startup_time(log, 0, 2000 * kMs, 100.0, 0.02);
        REQUIRE(n.absent);
        CHECK_THAT(*n.absent, Catch::Matchers::Contains("does not cover"));
    }
}

TEST_CASE("true step response: a first-order step 100 -> 150 Hz (tau 20 ms) has its closed-form figures",
          "[sim][truth]") {
    constexpr double tau = 0.020;
    TruthLog<TrueRate> log;
    fill(log, -0.5, 1.5, [&](double t) {
        return t < 0 ? 100.0 * t : 150.0 * t - 50.0 * tau * (1.0 - std::exp(-t / tau));
    });
    const auto r = true_step_response(log, -200 * kMs, 0, 1125 * kMs, 1500 * kMs);
    REQUIRE_FALSE(r.absent);
    CHECK(r.initial_hz == Approx(100.0).epsilon(1e-9));
    CHECK(r.final_hz == Approx(150.0).epsilon(1e-9));
    CHECK(r.rise_time_s == Approx(tau * std::log(9.0)).margin(0.5e-3));      // 43.9 ms
    CHECK(r.settling_time_s == Approx(tau * std::log(50.0)).margin(1e-3));   // 78.2 ms
    CHECK(r.overshoot_pct == Approx(0.0).margin(1e-6));
    SECTION("a step the rate never follows: absent with the reason, never a value") {
        TruthLog<TrueRate> flat;
        fill(flat, -0.5, 1.5, [](double t) { return 100.0 * t; });
        const auto n = true_step_response(flat, -200 * kMs, 0, 1125 * kMs, 1500 * kMs);
        CHECK(n.absent);
    }
}
