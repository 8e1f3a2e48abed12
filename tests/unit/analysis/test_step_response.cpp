// Known-answer tests for stepinfo (MATLAB definitions), the rate step
// response and start-up time.
//
// Linear interpolation between samples misplaces a level crossing by at most
// |y''| dt^2 / (8 |y'|); for a first-order response that is dt^2 / (8 tau),
// which sets the tolerances below.
#include <cmath>
#include <random>
#include <vector>

#include "catch.hpp"
#include "rig/analysis/step_response.hpp"
#include "synth.hpp"

using namespace rig;
using namespace rig::analysis;
using rig::test::SynthSpec;

namespace {

struct Series {
    std::vector<double> t_ns, y;
};

// y(t) sampled on an irregular grid (dt_ms +- 30 %) from t_step - 5 dt.
template <typename F>
Series sample(F y_of, double t_step_s, double dt_s, double duration_s, std::uint64_t seed = 7) {
    Series s;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-0.3, 0.3);
    for (double t = t_step_s - 5 * dt_s; t < t_step_s + duration_s; t += dt_s * (1.0 + u(rng))) {
        s.t_ns.push_back(t * 1e9);
        s.y.push_back(t < t_step_s ? y_of(0.0) : y_of(t - t_step_s));
    }
    return s;
}

// Bisection for y(t) = level on [a, b] (y - level changes sign there).
template <typename F>
double solve(F y, double level, double a, double b) {
    for (int i = 0; i < 200; ++i) {
        const double m = 0.5 * (a + b);
        if ((y(a) - level) * (y(m) - level) <= 0) b = m;
        else a = m;
    }
    return 0.5 * (a + b);
}

}  // namespace

TEST_CASE("stepinfo: first-order step, rise 2.197 tau, settling 3.912 tau, no overshoot", "[analysis][step]") {
    const double tau = 0.05, dt = 0.0005;
    const double y0 = 0.0, y1 = 1.0;
    auto y = [&](double t) { return y0 + (y1 - y0) * (1.0 - std::exp(-t / tau)); };
    const Series s = sample(y, 1.0, dt, 1.0);
    const StepInfo si = stepinfo(s.t_ns, s.y, 1.0e9, y0, y1);
    REQUIRE(si.ok());
    const double bound = (1.3 * dt) * (1.3 * dt) / (8.0 * tau);  // longest interval 1.3 dt
    CHECK(si.rise_time_s == Approx(tau * std::log(9.0)).margin(2 * bound));  // 2.1972 tau
    CHECK(si.settling_time_s == Approx(tau * std::log(50.0)).margin(bound));  // 3.9120 tau
    CHECK(si.overshoot_pct == 0.0);
    CHECK(si.undershoot_pct == 0.0);
    CHECK(si.peak == Approx(1.0 - std::exp(-1.0 / tau)).margin(1e-6));
    CHECK(si.peak_time_s > 0.98);
    CHECK(si.settling_min >= 0.9);
    CHECK(si.settling_max <= 1.0);
    REQUIRE(si.transient_time_s.has_value());
    // emax is taken over samples at or after the step, so it is just below
    // |yfinal - yinit|: the transient band is a hair narrower.
    CHECK(*si.transient_time_s >= si.settling_time_s);
    CHECK(*si.transient_time_s == Approx(si.settling_time_s).epsilon(1e-3));

    SECTION("a downward step from an offset gives the same times (normalised response)") {
        auto yd = [&](double t) { return 200.0 + (150.0 - 200.0) * (1.0 - std::exp(-t / tau)); };
        const Series d = sample(yd, 1.0, dt, 1.0);
        const StepInfo sd = stepinfo(d.t_ns, d.y, 1.0e9, 200.0, 150.0);
        REQUIRE(sd.ok());
        CHECK(sd.rise_time_s == Approx(tau * std::log(9.0)).margin(2 * bound));
        CHECK(sd.settling_time_s == Approx(tau * std::log(50.0)).margin(bound));
        CHECK(sd.overshoot_pct == 0.0);
        CHECK(sd.peak == Approx(50.0 * (1.0 - std::exp(-1.0 / tau))).margin(1e-4));
    }
    SECTION("a response that has not settled by the window's end is an error") {
        const Series shortw = sample(y, 1.0, dt, 0.15);  // 3 tau
        const StepInfo e = stepinfo(shortw.t_ns, shortw.y, 1.0e9, y0, y1);
        CHECK_FALSE(e.ok());
        CHECK_THAT(*e.invalid, Catch::Contains("did not settle"));
        const Series tiny = sample(y, 1.0, dt, 0.05);  // never reaches 90 %
        CHECK_THAT(*stepinfo(tiny.t_ns, tiny.y, 1.0e9, y0, y1).invalid, Catch::Contains("never reached"));
        CHECK_FALSE(stepinfo(s.t_ns, s.y, 1.0e9, 1.0, 1.0).ok());
    }
}

TEST_CASE("stepinfo: second-order underdamped step, overshoot exp(-zeta pi / sqrt(1 - zeta^2))",
          "[analysis][step]") {
    const double zeta = 0.4, wn = 2.0 * M_PI * 5.0, dt = 1e-4;
    const double wd = wn * std::sqrt(1.0 - zeta * zeta), phi = std::acos(zeta);
    auto y = [&](double t) {
        return 1.0 - std::exp(-zeta * wn * t) / std::sqrt(1.0 - zeta * zeta) * std::sin(wd * t + phi);
    };
    const Series s = sample(y, 0.5, dt, 2.0);
    const StepInfo si = stepinfo(s.t_ns, s.y, 0.5e9, 0.0, 1.0);
    REQUIRE(si.ok());

    const double os = 100.0 * std::exp(-zeta * M_PI / std::sqrt(1.0 - zeta * zeta));  // 25.38 %
    const double tp = M_PI / wd;
    // The sampled peak is below the true one by <= |y''| (dt_max / 2)^2 / 2.
    CHECK(si.overshoot_pct == Approx(os).margin(100.0 * wn * wn * (0.65 * dt) * (0.65 * dt)));
    CHECK(si.overshoot_pct <= os);
    CHECK(si.peak_time_s == Approx(tp).margin(1.3 * dt));
    CHECK(si.undershoot_pct == 0.0);

    // Fine numerical references on the analytic response.
    const double t10 = solve(y, 0.1, 0.0, tp), t90 = solve(y, 0.9, 0.0, tp);
    CHECK(si.rise_time_s == Approx(t90 - t10).margin(1e-6));
    double last_out = 0.0;  // last time |y - 1| = 0.02 on a 1 us grid, refined
    for (double t = 2.0; t > 0; t -= 1e-6)
        if (std::abs(y(t) - 1.0) > 0.02) {
            const double level = y(t) > 1.0 ? 1.02 : 0.98;
            last_out = solve(y, level, t, t + 1e-6);
            break;
        }
    CHECK(si.settling_time_s == Approx(last_out).margin(2e-6));
    CHECK(si.settling_max == Approx(1.0 + os / 100.0).margin(1e-5));
}

TEST_CASE("rate step response from strokes matches stepinfo on the true BDC times", "[analysis][step]") {
    // Rate f(t) = f0 + (f1 - f0)(1 - exp(-(t - ts)/tau)) after ts; phase is its integral.
    const double f0 = 100.0, f1 = 150.0, tau = 0.05, ts = 0.5;
    auto phase = [&](double t) {
        if (t < ts) return f0 * t;
        const double u = t - ts;
        return f0 * ts + f1 * u - (f1 - f0) * tau * (1.0 - std::exp(-u / tau));
    };
    SynthSpec spec;
    spec.duration_s = 1.5;
    spec.jitter_ns = 20000;
    const Trace tr = rig::test::synth_trace(spec, phase);
    const auto strokes = detect_strokes(tr.view(), 0, tr.size());

    // Truth: the BDC times solve phase(t) = k exactly.
    std::vector<Stroke> truth;
    for (int k = 1; phase(1.499) > k; ++k) {
        Stroke s;
        s.t_bdc_ns = solve([&](double t) { return phase(t); }, k, 0.0, 1.5) * 1e9;
        s.begin_index = s.end_index = 0;  // contiguous by construction
        truth.push_back(s);
    }
    const StepInfo measured = step_response_of_rate(strokes, 500'000'000, f0, f1, 1'450'000'000);
    const StepInfo reference = step_response_of_rate(truth, 500'000'000, f0, f1, 1'450'000'000);
    REQUIRE(measured.ok());
    REQUIRE(reference.ok());
    // A BDC error e (<= ~40 ns with +-20 us jitter) changes an interval rate
    // by up to 2 e f^2 ~ 2e-3 Hz; a level crossing moves by that over the
    // local slope: ~1000 Hz/s at 10 % / 90 %, but only (f1 - f0) 0.02 / tau =
    // 20 Hz/s at the 2 % band edge.
    CHECK(measured.rise_time_s == Approx(reference.rise_time_s).margin(1e-5));
    CHECK(measured.settling_time_s == Approx(reference.settling_time_s).margin(2e-4));
    // Interval averages of an exponential lag it slightly; the continuous answer
    // is still within 2 %.
    CHECK(measured.rise_time_s == Approx(tau * std::log(9.0)).epsilon(0.02));
    CHECK(measured.settling_time_s == Approx(tau * std::log(50.0)).epsilon(0.02));
    CHECK(measured.overshoot_pct < 100.0 * 2e-3 / (f1 - f0));  // rate error only
    CHECK(reference.overshoot_pct == 0.0);

    SECTION("an invalid stroke in the window is an error") {
        std::vector<Stroke> bad = strokes;
        bad[bad.size() / 2].problems |= stroke_gap;
        const StepInfo e = step_response_of_rate(bad, 500'000'000, f0, f1, 1'450'000'000);
        CHECK_FALSE(e.ok());
        CHECK_THAT(*e.invalid, Catch::Contains("invalid stroke"));
    }
}

TEST_CASE("start-up time of a linear rate ramp", "[analysis][startup]") {
    // Power-on at 0.1 s, rate ramps linearly 0 -> 150 Hz over 0.5 s, then holds.
    // For a linear ramp the interval rate equals the rate at the interval's
    // midpoint exactly, so the band entry (98 % of 150 Hz) is at 0.1 + 0.49 s.
    const double t0 = 0.1, tr_s = 0.5, f = 150.0;
    auto phase = [&](double t) {
        if (t < t0) return 0.5;  // at rest, needle retracted
        const double u = t - t0;
        if (u < tr_s) return 0.5 + f * u * u / (2.0 * tr_s);
        return 0.5 + f * tr_s / 2.0 + f * (u - tr_s);
    };
    SynthSpec spec;
    spec.duration_s = 1.5;
    const Trace tr = rig::test::synth_trace(spec, phase);
    const auto strokes = detect_strokes(tr.view(), 0, tr.size());
    const StartupTime st = startup_time(strokes, 100'000'000, 1'500'000'000, f);
    REQUIRE(st.ok());
    // A BDC error e moves an interval rate by ~2 e f / T; through the ramp
    // slope (300 Hz/s) that moves the entry by 2 e f^2 / 300. With e <= 15 ns
    // (noiseless, see test_strokes.cpp): <= 2.3 us.
    CHECK(st.startup_time_s == Approx(0.98 * tr_s).margin(5e-6));
    CHECK(st.settled_at_ns == Approx(0.59e9).margin(5e3));

    SECTION("with 1 um quantisation (e <= ~3 us per BDC): within 1 ms") {
        SynthSpec q = spec;
        q.quantum_mm = 0.001;
        const Trace tq = rig::test::synth_trace(q, phase);
        const StartupTime sq = startup_time(detect_strokes(tq.view(), 0, tq.size()), 100'000'000, 1'500'000'000, f);
        REQUIRE(sq.ok());
        CHECK(sq.startup_time_s == Approx(0.98 * tr_s).margin(1e-3));
    }
    SECTION("a window that ends during the ramp never settles: error") {
        const StartupTime e = startup_time(strokes, 100'000'000, 550'000'000, f);
        CHECK_FALSE(e.ok());
        CHECK_THAT(*e.invalid, Catch::Contains("never settled"));
    }
    SECTION("too few strokes: error") {
        const StartupTime e = startup_time(strokes, 100'000'000, 200'000'000, f);
        CHECK_FALSE(e.ok());
        CHECK_THAT(*e.invalid, Catch::Contains("too few strokes"));
    }
}
