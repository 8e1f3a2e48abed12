// Known-answer tests for stroke detection, puncture rate, depth and force.
//
// Tolerances come from the method, not from trial: 3-point parabolic
// interpolation of a sinusoid sampled at angular step d = 2 pi f / fs has a
// vertex-time error of at most ~0.016 d^3 / (2 pi f) (Taylor expansion of
// cos around the peak). At 150 Hz / 10 kHz, d = 0.0942 rad: <= 14 ns per BDC,
// i.e. <= 4.2e-6 relative per interval; the window mean telescopes to
// (e_last - e_first) / (N T) <= 3e-8. The vertex value error is O(d^4) A,
// about 1e-6 mm.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "catch.hpp"
#include "rig/analysis/strokes.hpp"
#include "synth.hpp"

using namespace rig;
using namespace rig::analysis;
using rig::test::SynthSpec;

namespace {

// Matches each detected stroke to the nearest true BDC; returns the worst
// time error in ns (and checks there is a true BDC for every stroke).
double worst_bdc_error_ns(const std::vector<Stroke>& strokes, const std::vector<double>& truth) {
    double worst = 0.0;
    for (const Stroke& s : strokes) {
        const auto it = std::lower_bound(truth.begin(), truth.end(), s.t_bdc_ns);
        double best = 1e18;
        if (it != truth.end()) best = std::min(best, std::abs(*it - s.t_bdc_ns));
        if (it != truth.begin()) best = std::min(best, std::abs(*(it - 1) - s.t_bdc_ns));
        worst = std::max(worst, best);
    }
    return worst;
}

// A synthetic sine at `f` Hz, its true BDC times, and the strokes found in it.
struct SineStrokes {
    Trace trace;
    std::vector<double> truth;
    std::vector<Stroke> strokes;
};
SineStrokes sine_strokes(const SynthSpec& spec, double f) {
    Trace tr = rig::test::sine_trace(spec, f);
    auto strokes = detect_strokes(tr.view(), 0, tr.size());
    return {std::move(tr), rig::test::sine_bdc_ns(spec, f), std::move(strokes)};
}

}  // namespace

TEST_CASE("sinusoid at 10 kHz: rate, depth and BDC times are exact", "[analysis][strokes]") {
    SynthSpec spec;
    const double f = 150.0;
    const auto [tr, truth, strokes] = sine_strokes(spec, f);

    // 150 true BDCs in 1 s (phase 0.3 -> 150.3 cycles). The window opens on
    // a falling flank, so the first BDC's trough (phase 0.5) is inside it; the
    // last BDC's closing trough (phase 150.5) is after the window: 149 strokes.
    REQUIRE(truth.size() == 150);
    CHECK(strokes.size() == 149);
    for (const Stroke& s : strokes) {
        CHECK(s.valid());
        CHECK(s.samples() >= 66);
        CHECK(s.samples() <= 67);
        CHECK(s.depth_mm == Approx(1.25).margin(1e-5));
        CHECK(s.bdc_index > s.begin_index);
        CHECK(s.bdc_index < s.end_index);
    }
    CHECK(worst_bdc_error_ns(strokes, truth) < 15.0);
    for (std::size_t i = 1; i < strokes.size(); ++i) CHECK(strokes[i - 1].end_index == strokes[i].begin_index);

    const RateStats r = puncture_rate(strokes);
    REQUIRE(r.ok());
    CHECK(r.count == 148);
    CHECK(r.mean_hz == Approx(f).epsilon(1e-7));
    CHECK(r.min_hz == Approx(f).epsilon(5e-6));
    CHECK(r.max_hz == Approx(f).epsilon(5e-6));
    CHECK(r.sd_hz < 5e-6 * f);

    const DepthStats d = depth_stats(strokes);
    REQUIRE(d.ok());
    CHECK(d.count == 149);
    CHECK(d.mean_mm == Approx(1.25).margin(1e-6));
    CHECK(d.sd_mm < 1e-5);
}

TEST_CASE("a whole number of samples per cycle gives the rate to rounding error", "[analysis][strokes]") {
    // 125 Hz at 10 kHz: 80 samples per cycle, every BDC sees the same sample
    // phase, so the interpolation bias is identical and cancels in intervals.
    SynthSpec spec;
    const Trace tr = rig::test::sine_trace(spec, 125.0, 0.123);
    const auto strokes = detect_strokes(tr.view(), 0, tr.size());
    const RateStats r = puncture_rate(strokes);
    REQUIRE(r.ok());
    CHECK(r.min_hz == Approx(125.0).epsilon(1e-9));
    CHECK(r.max_hz == Approx(125.0).epsilon(1e-9));
}

TEST_CASE("1 um encoder quantisation: depth within half a count, mean rate within 1e-5", "[analysis][strokes]") {
    // Quantisation (+-0.5 um) moves the 3-point vertex by up to ~3 us per BDC
    // (second difference at the peak ~8.9 um); the window mean telescopes to
    // <= 2 x 3 us / (N T) ~ 6e-6.
    SynthSpec spec;
    spec.quantum_mm = 0.001;
    const auto [tr, truth, strokes] = sine_strokes(spec, 150.0);
    REQUIRE(strokes.size() == 149);
    for (const Stroke& s : strokes) CHECK(s.depth_mm == Approx(1.25).margin(0.0006));
    CHECK(worst_bdc_error_ns(strokes, truth) < 3500.0);
    const RateStats r = puncture_rate(strokes);
    REQUIRE(r.ok());
    CHECK(r.mean_hz == Approx(150.0).epsilon(1e-5));
    const DepthStats d = depth_stats(strokes);
    CHECK(d.mean_mm == Approx(1.25).margin(0.0005));
}

TEST_CASE("jittered timestamps: the real timestamps are used, so the answer stays exact", "[analysis][strokes]") {
    // +-20 us jitter on a 100 us period: intervals 60..140 us (below the
    // default 1.5 x median gap limit), d <= 0.132 rad, interpolation error
    // bound ~0.016 d^3 / w ~ 40 ns per BDC.
    SynthSpec spec;
    spec.jitter_ns = 20000.0;
    const auto [tr, truth, strokes] = sine_strokes(spec, 150.0);
    REQUIRE(strokes.size() == 149);
    CHECK(worst_bdc_error_ns(strokes, truth) < 100.0);
    const RateStats r = puncture_rate(strokes);
    REQUIRE(r.ok());
    CHECK(r.mean_hz == Approx(150.0).epsilon(1e-7));
    CHECK(r.max_hz == Approx(150.0).epsilon(3e-5));
    CHECK(r.min_hz == Approx(150.0).epsilon(3e-5));

    SECTION("the same positions on nominal timestamps would be measurably wrong") {
        Trace nominal = tr;
        for (std::size_t i = 0; i < nominal.size(); ++i) nominal.t_ns[i] = static_cast<std::int64_t>(i) * 100000;
        const RateStats rn = puncture_rate(detect_strokes(nominal.view(), 0, nominal.size()));
        REQUIRE(rn.ok());
        CHECK(std::max(rn.max_hz - 150.0, 150.0 - rn.min_hz) > 100.0 * std::max(r.max_hz - 150.0, 150.0 - r.min_hz));
    }
}

TEST_CASE("dropped samples make the stroke and every window containing it ERROR, not a guess",
          "[analysis][strokes]") {
    SynthSpec spec;
    Trace tr = rig::test::sine_trace(spec, 150.0);
    // Drop 5 samples around t = 0.5 s (inside some stroke).
    const std::size_t cut = 5000;
    for (auto* col : {&tr.position_mm, &tr.force_n, &tr.current_a, &tr.setpoint_hz})
        col->erase(col->begin() + cut, col->begin() + cut + 5);
    tr.t_ns.erase(tr.t_ns.begin() + cut, tr.t_ns.begin() + cut + 5);
    tr.flags.erase(tr.flags.begin() + cut, tr.flags.begin() + cut + 5);
    tr.lateness_ns.erase(tr.lateness_ns.begin() + cut, tr.lateness_ns.begin() + cut + 5);
    tr.step_index.erase(tr.step_index.begin() + cut, tr.step_index.begin() + cut + 5);

    const auto strokes = detect_strokes(tr.view(), 0, tr.size());
    const auto bad = std::count_if(strokes.begin(), strokes.end(), [](const Stroke& s) { return !s.valid(); });
    CHECK(bad == 1);
    const auto it = std::find_if(strokes.begin(), strokes.end(), [](const Stroke& s) { return !s.valid(); });
    REQUIRE(it != strokes.end());
    CHECK((it->problems & stroke_gap) != 0);
    CHECK((it->flags & sample_after_gap) != 0);
    CHECK(it->max_interval_ns == 600000);
    CHECK(it->begin_index < cut);
    CHECK(it->end_index > cut);

    const RateStats whole = puncture_rate(strokes);
    CHECK_FALSE(whole.ok());
    CHECK_THAT(*whole.invalid, Catch::Contains("invalid") && Catch::Contains("gap"));
    CHECK_FALSE(depth_stats(strokes).ok());

    // A window that does not contain the gap is still valid.
    const auto early = strokes_in(strokes, TimeWindow{0, 400'000'000});
    CHECK(puncture_rate(early).ok());

    const WindowMeasurement m = measure_window(tr.view(), TimeWindow{300'000'000, 700'000'000});
    CHECK_FALSE(m.quality.ok());
    CHECK(m.quality.gaps == 1);
    CHECK_FALSE(m.rate.ok());
    CHECK_FALSE(m.depth.ok());
    const WindowMeasurement ok = measure_window(tr.view(), TimeWindow{0, 400'000'000});
    CHECK(ok.quality.ok());
    REQUIRE(ok.rate.ok());
    CHECK(ok.rate.mean_hz == Approx(150.0).epsilon(1e-6));
}

TEST_CASE("a sample flagged after_gap or encoder_fault invalidates its stroke", "[analysis][strokes]") {
    SynthSpec spec;
    Trace tr = rig::test::sine_trace(spec, 150.0);
    tr.flags[3000] = sample_after_gap;
    tr.flags[7000] = sample_encoder_fault;
    tr.flags[8000] = sample_force_fault;
    const auto strokes = detect_strokes(tr.view(), 0, tr.size());
    std::size_t gap = 0, enc = 0, force = 0;
    for (const Stroke& s : strokes) {
        if (s.problems & stroke_gap) ++gap;
        if (s.problems & stroke_encoder_fault) ++enc;
        if (s.problems & stroke_force_fault) {
            ++force;
            CHECK(s.valid());  // force fault spoils force only
        }
    }
    CHECK(gap == 1);
    CHECK(enc == 1);
    CHECK(force == 1);
    const auto w = strokes_in(strokes, TimeWindow{750'000'000, 1'000'000'000});
    CHECK(puncture_rate(w).ok());
    const ForceStats fs = strike_force_stats(w);
    CHECK_FALSE(fs.ok());
    CHECK_THAT(*fs.invalid, Catch::Contains("load-cell"));
}

TEST_CASE("fewer than 20 samples per stroke is invalid", "[analysis][strokes]") {
    SynthSpec spec;
    const Trace tr = rig::test::sine_trace(spec, 600.0);  // 16.7 samples per stroke
    const auto strokes = detect_strokes(tr.view(), 0, tr.size());
    REQUIRE(strokes.size() > 500);
    CHECK(std::none_of(strokes.begin(), strokes.end(), [](const Stroke& s) { return s.valid(); }));
    CHECK((strokes[10].problems & stroke_too_few_samples) != 0);
    const RateStats r = puncture_rate(strokes);
    CHECK_FALSE(r.ok());
    CHECK_THAT(*r.invalid, Catch::Contains("too few samples"));

    StrokeOptions relaxed;
    relaxed.min_samples_per_stroke = 16;
    const RateStats r2 = puncture_rate(detect_strokes(tr.view(), 0, tr.size(), relaxed));
    REQUIRE(r2.ok());
    CHECK(r2.mean_hz == Approx(600.0).epsilon(1e-5));
}

TEST_CASE("hysteresis rejects noise that would otherwise double-count peaks", "[analysis][strokes]") {
    SynthSpec spec;
    spec.noise_mm = 0.02;  // uniform +-20 um, below the 50 um hysteresis
    spec.quantum_mm = 0.001;
    const Trace tr = rig::test::sine_trace(spec, 150.0);

    StrokeOptions none;
    none.hysteresis_mm = 0.0;
    const auto noisy = detect_strokes(tr.view(), 0, tr.size(), none);
    CHECK(noisy.size() > 300);  // every noise wiggle near a peak or trough counts

    const auto strokes = detect_strokes(tr.view(), 0, tr.size());
    CHECK(strokes.size() == 149);
    const RateStats r = puncture_rate(strokes);
    REQUIRE(r.ok());
    // Noise moves each BDC by up to about a sample; the mean telescopes.
    CHECK(r.mean_hz == Approx(150.0).epsilon(1e-3));
}

TEST_CASE("strike force: peak force per stroke, mean/SD/min/max", "[analysis][strokes]") {
    SynthSpec spec;
    Trace tr = rig::test::sine_trace(spec, 125.0, 0.0);  // BDC exactly on samples 0, 80, 160, ...
    // One force pulse per cycle at the BDC sample, heights 2.0, 2.5, 3.0 repeating.
    for (std::size_t k = 0; k * 80 < tr.size(); ++k) {
        const std::size_t i = k * 80;
        tr.force_n[i] = 2.0 + 0.5 * static_cast<double>(k % 3);
        if (i > 0) tr.force_n[i - 1] = 1.0;
    }
    const auto strokes = detect_strokes(tr.view(), 0, tr.size());
    REQUIRE(strokes.size() >= 120);
    const auto w = std::span<const Stroke>(strokes).first(120);  // 40 x (2.0, 2.5, 3.0)
    const ForceStats f = strike_force_stats(w);
    REQUIRE(f.ok());
    CHECK(f.count == 120);
    CHECK(f.min_n == 2.0);
    CHECK(f.max_n == 3.0);
    CHECK(f.mean_n == Approx(2.5).epsilon(1e-15));
    // sample SD of 40 copies of {2, 2.5, 3}: sqrt(40 * 0.5 / 119)
    CHECK(f.sd_n == Approx(std::sqrt(20.0 / 119.0)).epsilon(1e-12));
    CHECK(strokes[0].peak_current_a == 0.3);
}

TEST_CASE("window statistics need enough strokes", "[analysis][strokes]") {
    SynthSpec spec;
    const Trace tr = rig::test::sine_trace(spec, 150.0);
    const auto strokes = detect_strokes(tr.view(), 0, tr.size());
    const auto four = std::span<const Stroke>(strokes).first(4);
    CHECK_FALSE(puncture_rate(four).ok());
    CHECK_THAT(*depth_stats(four).invalid, Catch::Contains("too few strokes"));
    StatsOptions o;
    o.min_strokes = 4;
    CHECK(puncture_rate(four, o).ok());

    SECTION("non-contiguous strokes (a lost cycle) are an error") {
        std::vector<Stroke> holes(strokes.begin(), strokes.begin() + 10);
        holes.erase(holes.begin() + 5);
        const RateStats r = puncture_rate(holes);
        CHECK_FALSE(r.ok());
        CHECK_THAT(*r.invalid, Catch::Contains("not contiguous"));
    }
}

TEST_CASE("detection is deterministic and window-local", "[analysis][strokes]") {
    SynthSpec spec;
    spec.jitter_ns = 20000;
    spec.quantum_mm = 0.001;
    const Trace tr = rig::test::sine_trace(spec, 173.0);
    const auto a = detect_strokes(tr.view(), 0, tr.size());
    const auto b = detect_strokes(tr.view(), 0, tr.size());
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        CHECK(a[i].t_bdc_ns == b[i].t_bdc_ns);  // bit-identical
        CHECK(a[i].depth_mm == b[i].depth_mm);
    }
    const IndexRange r = index_range(tr.view(), TimeWindow{200'000'000, 600'000'000});
    CHECK(tr.t_ns[r.begin] >= 200'000'000);
    CHECK(tr.t_ns[r.begin - 1] < 200'000'000);
    CHECK(tr.t_ns[r.end - 1] < 600'000'000);
}

TEST_CASE("speed regulation", "[analysis][strokes]") {
    const SpeedRegulation s = speed_regulation(150.0, 140.0);
    REQUIRE(s.ok());
    CHECK(s.regulation_pct == Approx(10.0 / 140.0 * 100.0).epsilon(1e-15));
    CHECK_FALSE(speed_regulation(150.0, 0.0).ok());
    RateStats bad;
    bad.invalid = "gap";
    RateStats good;
    good.mean_hz = 140.0;
    CHECK_THAT(*speed_regulation(bad, good).invalid, Catch::Contains("no-load"));
    CHECK(speed_regulation(good, good).regulation_pct == 0.0);
}

TEST_CASE("Trace from samples keeps every column", "[analysis][trace]") {
    std::vector<Sample> s(3);
    for (std::size_t i = 0; i < 3; ++i) {
        s[i].t_ns = static_cast<std::int64_t>(i) * 100;
        s[i].lateness_ns = 7;
        s[i].position_mm = 1.0 + static_cast<double>(i);
        s[i].force_n = 2.0;
        s[i].current_a = 3.0;
        s[i].setpoint_hz = 150.0;
        s[i].flags = sample_late;
        s[i].step_index = 4;
    }
    const Trace t = Trace::from_samples(s);
    const TraceView v = t.view();
    REQUIRE(v.size() == 3);
    CHECK(v.t_ns[2] == 200);
    CHECK(v.position_mm[2] == 3.0);
    CHECK(v.force_n[1] == 2.0);
    CHECK(v.current_a[0] == 3.0);
    CHECK(v.setpoint_hz[0] == 150.0);
    CHECK(v.flags[0] == sample_late);
    CHECK(v.lateness_ns[1] == 7);
    CHECK(v.step_index[2] == 4);
    CHECK(estimate_sample_period(v, 0, 3).count() == 100);
}

TEST_CASE("missing measurement columns are a programming error", "[analysis][trace]") {
    rig::test::SynthSpec spec;
    const Trace tr = rig::test::sine_trace(spec, 150.0);
    TraceView v = tr.view();
    v.force_n = {};
    CHECK_THROWS_AS(detect_strokes(v, 0, v.size()), std::invalid_argument);
}
