// Fault knobs for the rig's own instruments and for the pen's rate and
// regulation: each changes exactly what it says, and the model's truth is
// untouched by an instrument fault.

#include <cmath>

#include "catch.hpp"
#include "sim_test_support.hpp"

using namespace rig;
using namespace rig::test;

namespace {
constexpr std::int64_t kSec = 1'000'000'000;

double mean_of(const std::vector<Reading>& log, double Reading::*field, std::int64_t from, std::int64_t to) {
    double s = 0.0;
    int n = 0;
    for (const auto& r : log) {
        if (r.t_ns >= from && r.t_ns < to) s += r.*field, ++n;
    }
    return n > 0 ? s / n : std::nan("");
}
double rms_about_mean(const std::vector<Reading>& log, double Reading::*field) {
    const double m = mean_of(log, field, 0, INT64_MAX);
    double s = 0.0;
    for (const auto& r : log) s += (r.*field - m) * (r.*field - m);
    return std::sqrt(s / static_cast<double>(log.size()));
}
}  // namespace

TEST_CASE("fault names: every kind has a name, a dimension rule and an instrument flag", "[sim][faults]") {
    for (const auto name : fault_names()) {
        const auto k = fault_kind_from_string(name);
        REQUIRE(k);
        CHECK(to_string(*k) == name);
    }
    CHECK(is_instrument_fault(FaultKind::encoder_zero_error));
    CHECK(is_instrument_fault(FaultKind::load_cell_offset));
    CHECK(is_instrument_fault(FaultKind::current_noise));
    CHECK_FALSE(is_instrument_fault(FaultKind::rate_error));
    CHECK_FALSE(is_instrument_fault(FaultKind::depth_offset));
}

TEST_CASE("fault load_cell_offset shifts every force reading, the truth does not move", "[sim][faults][sensors]") {
    SimLoop loop(default_sim_config());  // pen off: nothing on the load cell
    loop.run_for(0.2, true);
    const double before = mean_of(loop.log, &Reading::force_n, 0, INT64_MAX);
    loop.log.clear();
    CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::load_cell_offset, -0.35}));
    loop.run_for(0.2, true);
    CHECK(before == Approx(0.0).margin(1e-3));
    CHECK(mean_of(loop.log, &Reading::force_n, 0, INT64_MAX) == Approx(-0.35).margin(1e-3));
    CHECK(loop.fx.snapshot().phantom_force_n == 0.0);
}

TEST_CASE("fault load_cell_drift of negative sign moves the zero down", "[sim][faults][sensors]") {
    SimLoop loop(default_sim_config());
    CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::load_cell_drift, -0.5}));
    loop.run_for(2.0, true);
    CHECK(mean_of(loop.log, &Reading::force_n, 950'000'000, 1'050'000'000) == Approx(-0.5).margin(3e-3));
    CHECK(mean_of(loop.log, &Reading::force_n, 1'950'000'000, 2'000'000'000) == Approx(-0.99).margin(5e-3));
}

TEST_CASE("fault current_offset and current_noise change the current reading only", "[sim][faults][sensors]") {
    SimLoop quiet(default_sim_config());
    quiet.run_for(0.5, true);
    SimLoop noisy(default_sim_config());
    CHECK(noisy.fx.inject_fault(FaultInjection{FaultKind::current_noise, 0.030}));
    CHECK(noisy.fx.inject_fault(FaultInjection{FaultKind::current_offset, 0.120}));
    noisy.run_for(0.5, true);
    // Pen unpowered: the true current is zero, the reading is offset + noise.
    CHECK(mean_of(quiet.log, &Reading::current_a, 0, INT64_MAX) == Approx(0.0).margin(1e-3));
    CHECK(rms_about_mean(quiet.log, &Reading::current_a) == Approx(2e-3).margin(0.3e-3));
    CHECK(mean_of(noisy.log, &Reading::current_a, 0, INT64_MAX) == Approx(0.120).margin(2e-3));
    CHECK(rms_about_mean(noisy.log, &Reading::current_a) == Approx(0.030).margin(2e-3));
    CHECK(noisy.fx.snapshot().current_a == 0.0);
}

TEST_CASE("fault encoder_zero_error: readings deeper by the error, true BDC unchanged", "[sim][faults][sensors]") {
    const auto cfg = face_zeroed_no_phantom();
    auto peak_reading = [&](double zero_error_m) {
        SimLoop loop(cfg);
        if (zero_error_m != 0.0) CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::encoder_zero_error, zero_error_m}));
        loop.start(100.0);
        REQUIRE(loop.fx.depth().move_to_mm(1.0));
        loop.run_for(1.5, true);
        double peak = -1e9;
        for (const auto& r : loop.log)
            if (r.t_ns > kSec) peak = std::max(peak, r.position_mm);
        for (const auto& s : loop.truth().strokes)
            if (s.t_bdc_ns > kSec) CHECK(s.depth_mm == Approx(1.0).margin(1e-6));
        return peak;
    };
    const double ok = peak_reading(0.0);
    const double off = peak_reading(0.25e-3);
    CHECK(ok == Approx(1.0).margin(2e-3));
    CHECK(off - ok == Approx(0.25).margin(1e-3));
}

TEST_CASE("fault encoder_count_gain: the counter runs ahead in the direction of motion", "[sim][faults][sensors]") {
    auto cfg = default_sim_config();
    cfg.sim.phantom_enabled = false;
    SimLoop loop(cfg);
    CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::encoder_count_gain, 0.02}));
    loop.start(100.0);
    REQUIRE(loop.fx.depth().move_to_mm(1.0));
    loop.run_for(2.0, true);
    double lo = 1e9, hi = -1e9;
    for (const auto& r : loop.log) {
        if (r.t_ns < kSec) continue;
        lo = std::min(lo, r.position_mm);
        hi = std::max(hi, r.position_mm);
    }
    // Stroke 3 mm; 2 % extra counts on every edge: each swing reads ~2 % long
    // and the counter random-walks, so the reading span exceeds the stroke.
    CHECK(hi - lo > 3.0 * 1.015);
}

TEST_CASE("fault rate_error: the pen regulates to setpoint x (1 + error)", "[sim][faults][firmware]") {
    auto cfg = default_sim_config();
    SimLoop loop(cfg);
    CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::rate_error, 0.015}));
    loop.start(120.0);
    REQUIRE(loop.fx.depth().move_to_mm(1.0));
    loop.run_for(2.0);
    SimLoop nominal(cfg);
    nominal.start(120.0);
    REQUIRE(nominal.fx.depth().move_to_mm(1.0));
    nominal.run_for(2.0);
    const double r = true_rate_hz(loop.truth(), kSec, 2 * kSec);
    const double r0 = true_rate_hz(nominal.truth(), kSec, 2 * kSec);
    CHECK(r / r0 == Approx(1.015).margin(0.002));
}

TEST_CASE("fault winding_resistance: more droop under load", "[sim][faults][motor]") {
    auto droop = [](double r_ohm) {
        auto cfg = default_sim_config();
        auto rate = [&](bool loaded) {
            auto c = cfg;
            c.sim.phantom_enabled = loaded;
            SimLoop loop(c);
            if (r_ohm > 0.0) CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::winding_resistance, r_ohm}));
            loop.start(150.0);
            REQUIRE(loop.fx.depth().move_to_mm(2.0));
            loop.run_for(2.0);
            return true_rate_hz(loop.truth(), kSec, 2 * kSec);
        };
        const double nl = rate(false), ld = rate(true);
        return (nl - ld) / ld * 100.0;
    };
    const double nominal = droop(0.0);
    const double hot = droop(7.5);
    INFO("speed regulation: nominal " << nominal << " %, 7.5 ohm winding " << hot << " %");
    CHECK(hot > nominal + 0.3);
}

TEST_CASE("fault loop_lateness: samples late, none missed", "[sim][faults][clock]") {
    const auto cfg = default_sim_config();
    SimFixture fx(cfg, 3, SimClockMode::lockstep);
    CHECK(fx.inject_fault(FaultInjection{FaultKind::loop_lateness, 80e-6}));
    const std::int64_t period = 100'000;
    std::int64_t worst = 0;
    int beyond_budget = 0;
    std::int64_t next = period;
    for (int k = 0; k < 10'000; ++k) {
        const auto woke = fx.clock().sleep_until(Nanos(next)).count();
        worst = std::max(worst, woke - next);
        if (woke - next > 40'000) ++beyond_budget;
        next += period;
    }
    CHECK(worst < period);         // never a whole period: nothing missed
    CHECK(worst > 70'000);
    CHECK(beyond_budget > 4'000);  // uniform to 80 us: half of them beyond 40 us
}
