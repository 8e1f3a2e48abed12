// Each fault knob changes what it should and nothing else.

#include <algorithm>

#include "catch.hpp"
#include "sim_test_support.hpp"

using namespace rig;
using namespace rig::test;

namespace {

constexpr std::int64_t kSec = 1'000'000'000;

struct Outcome {
    double rate_hz = 0.0;
    double mean_depth_mm = 0.0;
    double max_depth_mm = 0.0;
    double mean_current_a = 0.0;
    double mean_peak_n = 0.0;
    std::size_t stalls = 0;
    bool left_cam = false;
};

Outcome steady(const FixtureConfig& cfg, double rate_hz, double dial_mm, double settle_s = 2.0) {
    SimLoop loop(cfg);
    loop.start(rate_hz);
    REQUIRE(loop.fx.depth().move_to_mm(dial_mm));
    loop.run_for(settle_s);
    const auto from = loop.now_ns();
    Outcome o;
    double i_sum = 0.0;
    int n = 0;
    for (int k = 0; k < 5000; ++k) {
        loop.run_for(1e-4);
        i_sum += loop.fx.snapshot().current_a;
        o.left_cam = o.left_cam || !loop.fx.snapshot().needle_on_cam;
        ++n;
    }
    o.mean_current_a = i_sum / n;
    o.rate_hz = true_rate_hz(loop.truth(), from, loop.now_ns());
    int m = 0;
    o.max_depth_mm = -1e9;
    for (const auto& s : loop.truth().strokes) {
        if (s.t_bdc_ns < from) continue;
        o.mean_depth_mm += s.depth_mm;
        o.mean_peak_n += s.peak_force_n;
        o.max_depth_mm = std::max(o.max_depth_mm, s.depth_mm);
        ++m;
    }
    o.mean_depth_mm /= m;
    o.mean_peak_n /= m;
    o.stalls = loop.truth().stalls.size();
    return o;
}

FixtureConfig with_fault(FixtureConfig cfg, FaultKind kind, double value) {
    cfg.faults.push_back(FaultInjection{kind, value});
    return cfg;
}

}  // namespace

TEST_CASE("fault depth_offset shifts BDC protrusion by exactly the offset, rate unchanged", "[sim][faults]") {
    auto cfg = default_sim_config();
    cfg.sim.phantom_enabled = false;  // the phantom's load would depend on the depth
    const auto base = steady(cfg, 150.0, 1.2);
    const auto off = steady(with_fault(cfg, FaultKind::depth_offset, 0.2e-3), 150.0, 1.2);
    CHECK(base.mean_depth_mm == Approx(1.2).margin(1e-6));
    CHECK(off.mean_depth_mm == Approx(1.4).margin(1e-6));
    CHECK(off.max_depth_mm == Approx(1.4).margin(1e-6));
    CHECK(off.rate_hz == Approx(base.rate_hz).epsilon(1e-6));
    CHECK(off.mean_current_a == Approx(base.mean_current_a).epsilon(1e-6));
}

TEST_CASE("fault weak_spring: at high rate the needle floats off the cam; at low rate it follows", "[sim][faults]") {
    auto cfg = default_sim_config();
    cfg.sim.phantom_enabled = false;
    const auto weak = with_fault(cfg, FaultKind::weak_spring, 0.3);
    const auto fast_ok = steady(cfg, 200.0, 1.0);
    const auto fast_weak = steady(weak, 200.0, 1.0);
    const auto slow_weak = steady(weak, 60.0, 1.0);
    CHECK_FALSE(fast_ok.left_cam);
    CHECK(fast_ok.max_depth_mm == Approx(1.0).margin(1e-6));
    // Nominal spring: contact holds while F0 + k*stroke > m*h*w^2 at BDC.
    INFO("weak spring at 200 Hz: mean BDC " << fast_weak.mean_depth_mm << " mm");
    CHECK(fast_weak.left_cam);
    CHECK(fast_weak.mean_depth_mm > 1.0 + 0.01);  // overshoots the dial: the measured depth is wrong
    CHECK_FALSE(slow_weak.left_cam);
    CHECK(slow_weak.mean_depth_mm == Approx(1.0).margin(1e-6));
    // Less spring to compress: less drive current for the same rate.
    const auto slow_ok = steady(cfg, 60.0, 1.0);
    CHECK(slow_weak.mean_current_a < slow_ok.mean_current_a);
    CHECK(slow_weak.rate_hz == Approx(slow_ok.rate_hz).epsilon(0.01));
}

TEST_CASE("fault extra_friction raises the current by dT/Kt, depth unchanged", "[sim][faults]") {
    auto cfg = default_sim_config();
    cfg.sim.phantom_enabled = false;
    const double extra = 1e-3;  // N*m
    const auto base = steady(cfg, 150.0, 1.0);
    const auto worn = steady(with_fault(cfg, FaultKind::extra_friction, extra), 150.0, 1.0);
    CHECK(worn.mean_current_a - base.mean_current_a ==
          Approx(extra / cfg.sim.back_emf_v_s_per_rad).epsilon(0.05));
    CHECK(worn.mean_depth_mm == Approx(base.mean_depth_mm).margin(1e-9));
    CHECK(worn.rate_hz < base.rate_hz);  // more IR-compensation error: more droop
    CHECK(worn.rate_hz > base.rate_hz * 0.98);
    CHECK(worn.stalls == 0);
}

TEST_CASE("fault brake_torque below the stall torque: the brake cannot stop the rotor", "[sim][faults]") {
    const auto cfg = with_fault(default_sim_config(), FaultKind::brake_torque, 2e-3);
    SimLoop loop(cfg);
    loop.start(150.0);
    loop.run_for(1.0);
    loop.fx.brake().set(true);
    loop.run_for(1.0);
    CHECK(loop.truth().stalls.empty());
    CHECK(true_rate_hz(loop.truth(), loop.now_ns() - kSec / 2, loop.now_ns()) > 100.0);
}

TEST_CASE("fault stall_protection_missing: the drive is never cut", "[sim][faults][stall]") {
    const auto cfg = default_sim_config();
    SimLoop loop(cfg);
    CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::stall_protection_missing, 1.0}));
    loop.start(150.0);
    loop.run_for(1.0);
    loop.fx.brake().set(true);
    loop.run_for(2.0, true);
    REQUIRE(loop.truth().stalls.size() == 1);
    CHECK(loop.truth().stalls[0].cutoff_ns == -1);
    CHECK(loop.fx.snapshot().drive_on);
    double i = 0.0;
    int n = 0;
    for (const auto& r : loop.log) {
        if (r.t_ns > loop.now_ns() - kSec) i += r.current_a, ++n;
    }
    CHECK(i / n == Approx(cfg.sim.supply_voltage_v / cfg.sim.resistance_ohm).epsilon(0.02));
}

TEST_CASE("fault stall_protection_slow sets the detection time", "[sim][faults][stall]") {
    const auto cfg = with_fault(default_sim_config(), FaultKind::stall_protection_slow, 0.3);
    SimLoop loop(cfg);
    loop.start(150.0);
    loop.run_for(1.0);
    loop.fx.brake().set(true);
    loop.run_for(0.6);
    REQUIRE(loop.truth().stalls.size() == 1);
    const auto s = loop.truth().stalls[0];
    REQUIRE(s.cutoff_ns > 0);
    CHECK(static_cast<double>(s.cutoff_ns - s.onset_ns) * 1e-9 == Approx(0.3).margin(0.005));
}

TEST_CASE("fault encoder_count_loss: readings drift from the true position", "[sim][faults][sensors]") {
    const auto cfg = face_zeroed_no_phantom();
    // Depth as the rig sees it: the highest encoder reading around each true
    // BDC, against the true BDC protrusion.
    auto worst_depth_error_mm = [&](double loss) {
        SimLoop loop(cfg);
        if (loss > 0.0) CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::encoder_count_loss, loss}));
        loop.start(50.0);
        REQUIRE(loop.fx.depth().move_to_mm(1.0));
        loop.run_for(3.0, true);
        double worst = 0.0;
        int strokes = 0;
        for (const auto& s : loop.truth().strokes) {
            if (s.t_bdc_ns < 2 * kSec || s.t_bdc_ns > loop.now_ns() - 10'000'000) continue;
            double max_reading = -1e9;
            for (const auto& r : loop.log) {
                if (std::llabs(r.t_ns - s.t_bdc_ns) < 5'000'000) max_reading = std::max(max_reading, r.position_mm);
            }
            worst = std::max(worst, std::abs(max_reading - s.depth_mm));
            ++strokes;
        }
        CHECK(strokes > 40);
        return worst;
    };
    const double healthy = worst_depth_error_mm(0.0);
    const double lossy = worst_depth_error_mm(0.01);
    INFO("worst BDC depth error: healthy " << healthy * 1e3 << " um, 1 % count loss " << lossy * 1e3 << " um");
    CHECK(healthy <= 1e-3);  // quantisation and sampling: within one count
    CHECK(lossy > 20e-3);    // lost counts accumulate: tens of micrometres after 2 s
}

TEST_CASE("fault load_cell_drift moves the force zero linearly", "[sim][faults][sensors]") {
    auto cfg = default_sim_config();
    SimLoop loop(cfg);  // pen off: the phantom is unloaded, only the zero moves
    const double drift = 0.4;  // N/s
    loop.run_for(1.0);
    const auto t0 = loop.now_ns();
    CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::load_cell_drift, drift}));
    loop.run_for(2.0, true);
    auto mean_around = [&](std::int64_t t) {
        double s = 0.0;
        int n = 0;
        for (const auto& r : loop.log) {
            if (std::llabs(r.t_ns - t) < 50'000'000) s += r.force_n, ++n;
        }
        return s / n;
    };
    CHECK(mean_around(t0 + kSec / 2) == Approx(0.2).margin(0.002));
    CHECK(mean_around(t0 + kSec) == Approx(0.4).margin(0.002));
    CHECK(mean_around(t0 + 3 * kSec / 2) == Approx(0.6).margin(0.002));
    CHECK(loop.fx.snapshot().phantom_force_n == 0.0);  // the truth is untouched
}

TEST_CASE("fault loop_overrun makes sleep_until return periods late", "[sim][faults][clock]") {
    const auto cfg = default_sim_config();
    auto late_wakes = [&](double fraction) {
        SimFixture fx(cfg, 5, SimClockMode::lockstep);
        if (fraction > 0.0) fx.inject_fault(FaultInjection{FaultKind::loop_overrun, fraction});
        const std::int64_t period = 100'000;
        int late = 0;
        std::int64_t worst = 0;
        std::int64_t next = period;
        for (int k = 0; k < 20'000; ++k) {
            const auto woke = fx.clock().sleep_until(Nanos(next)).count();
            const auto lateness = woke - next;
            worst = std::max(worst, lateness);
            if (lateness >= 2 * period) ++late;
            next = woke - (woke % period) + period;
        }
        return std::pair{late, worst};
    };
    const auto [late0, worst0] = late_wakes(0.0);
    const auto [late5, worst5] = late_wakes(0.05);
    CHECK(late0 == 0);
    CHECK(worst0 < 10'000);
    CHECK(late5 > 500);   // ~5 % of 20000 wake-ups
    CHECK(late5 < 1500);
    CHECK(worst5 >= 2 * 100'000);
    CHECK(worst5 < (cfg.sim.overrun_max_periods + 1) * 100'000);
}

TEST_CASE("faults from the fixture file apply from t = 0 and inject_fault at run time", "[sim][faults]") {
    auto cfg = default_sim_config();
    cfg.sim.phantom_enabled = false;
    SimLoop loop(cfg);
    loop.start(150.0);
    REQUIRE(loop.fx.depth().move_to_mm(1.0));
    loop.run_for(1.5);
    const auto t_inject = loop.now_ns();
    CHECK(loop.fx.inject_fault(FaultInjection{FaultKind::depth_offset, -0.3e-3}));
    loop.run_for(0.5);
    for (const auto& s : loop.truth().strokes) {
        if (s.t_bdc_ns > 1 * kSec && s.t_bdc_ns < t_inject) CHECK(s.depth_mm == Approx(1.0).margin(1e-6));
        if (s.t_bdc_ns > t_inject + 10'000'000) CHECK(s.depth_mm == Approx(0.7).margin(1e-6));
    }
}
