// Stall protection on a synthetic trace with known onset, cut-off and retry.
//
// The needle runs at 150 Hz and is stopped dead by the brake at t_stop, in
// mid-travel (speed ~0.94 mm/ms, i.e. ~94 um per sample, far outside the
// 2 um band), so the first sample at or after t_stop is the first still one:
// the measured onset lies within one sample interval after the truth. The
// current cut-off is interpolated between samples, so the latency is within
// one sample period of the truth.
#include <cmath>
#include <functional>
#include <random>

#include "catch.hpp"
#include "rig/analysis/stall.hpp"
#include "synth.hpp"

using namespace rig;
using namespace rig::analysis;

namespace {

constexpr double t_brake = 0.530, t_stop = 80.25 / 150.0;  // 0.535 s, mid-travel
constexpr double t_cut = 0.650, tau_i = 0.001;            // drive cut, current decay
constexpr double t_retry = 0.900;
constexpr double thr = 0.5;

struct Options {
    bool stops = true;
    bool cuts = true;
    bool retries = true;
    double cut_at = t_cut;
    double jitter_ns = 0.0;
    double noise_a = 0.0;     // current-sense noise, A RMS (Gaussian)
    double threshold = thr;
    std::uint64_t seed = 1;
    bool ripple_dip = false;  // no cut, but a 2 ms dip below the threshold (brake release)
};

double current_at(double t, const Options& o) {
    if (o.retries && t >= t_retry) return std::min(1.5, 1.5 * (t - t_retry) / 0.001);
    if (o.cuts && t >= o.cut_at) return 1.5 * std::exp(-(t - o.cut_at) / tau_i);
    if (t < t_stop) return 0.8 + (t >= t_brake ? 0.7 * (t - t_brake) / (t_stop - t_brake) : 0.0);
    return 1.5;
}

Trace make(const Options& o) {
    rig::test::SynthSpec spec;
    spec.quantum_mm = 0.001;
    spec.jitter_ns = o.jitter_ns;
    Trace tr = rig::test::synth_trace(spec, [&](double t) { return 150.0 * ((o.stops && t > t_stop) ? t_stop : t); });
    std::mt19937_64 rng(o.seed);
    std::normal_distribution<double> gauss(0.0, 1.0);
    for (std::size_t i = 0; i < tr.size(); ++i) {
        const double t = static_cast<double>(tr.t_ns[i]) * 1e-9;
        double c = current_at(t, o);
        if (o.ripple_dip && t >= 0.935 && t < 0.937) c = 0.0;
        tr.current_a[i] = c + (o.noise_a > 0.0 ? o.noise_a * gauss(rng) : 0.0);
    }
    return tr;
}

StallOptions opts(double threshold = thr) {
    StallOptions s;
    s.current_threshold_a = threshold;
    s.stillness_band_mm = 0.002;
    s.min_still_time = std::chrono::milliseconds(20);
    return s;
}

constexpr std::int64_t brake_ns = 530'000'000, end_ns = 1'000'000'000;

}  // namespace

TEST_CASE("stall: onset, cut-off latency and retry against the known truth", "[analysis][stall]") {
    const Trace tr = make({});
    const StallResult r = analyze_stall(tr.view(), brake_ns, end_ns, opts());
    REQUIRE(r.ok());
    const double period_ns = 100000.0;
    CHECK(static_cast<double>(r.onset_ns) >= t_stop * 1e9 - 1.0);
    CHECK(static_cast<double>(r.onset_ns) < t_stop * 1e9 + period_ns);
    const double true_cut_ns = (t_cut + tau_i * std::log(1.5 / thr)) * 1e9;
    // Linear interpolation on an exponential: error < one sample period.
    CHECK(r.cutoff_ns == Approx(true_cut_ns).margin(period_ns));
    CHECK(tr.current_a[r.cutoff_index] < thr);
    CHECK(tr.current_a[r.cutoff_index - 1] >= thr);
    const double true_latency_s = (true_cut_ns - t_stop * 1e9) * 1e-9;
    CHECK(r.latency_s == Approx(true_latency_s).margin(period_ns * 1e-9));
    REQUIRE(r.retried);
    CHECK_FALSE(r.latched);
    // Linear current ramp: the interpolated crossing is exact.
    CHECK(r.retry_ns == Approx((t_retry + 0.001 * thr / 1.5) * 1e9).margin(1.0));
    CHECK(r.retry_delay_s == Approx((r.retry_ns - r.cutoff_ns) * 1e-9).margin(1e-12));

    SECTION("jittered timestamps: still within one (actual) sample interval") {
        Options o;
        o.jitter_ns = 20000;
        const Trace tj = make(o);
        const StallResult rj = analyze_stall(tj.view(), brake_ns, end_ns, opts());
        REQUIRE(rj.ok());
        CHECK(static_cast<double>(rj.onset_ns) >= t_stop * 1e9 - 1.0);
        CHECK(static_cast<double>(rj.onset_ns) < t_stop * 1e9 + 140000.0);
        CHECK(rj.cutoff_ns == Approx(true_cut_ns).margin(140000.0));
    }
}

TEST_CASE("stall: no retry means latched", "[analysis][stall]") {
    Options o;
    o.retries = false;
    const StallResult r = analyze_stall(make(o).view(), brake_ns, end_ns, opts());
    REQUIRE(r.ok());
    CHECK(r.latched);
    CHECK_FALSE(r.retried);
}

TEST_CASE("stall: drive cut before the needle stopped gives a negative latency", "[analysis][stall]") {
    Options o;
    o.cut_at = t_stop - 0.002;
    const StallResult r = analyze_stall(make(o).view(), brake_ns, end_ns, opts());
    REQUIRE(r.ok());
    CHECK(r.latency_s < 0.0);
    CHECK(r.cutoff_ns == Approx((o.cut_at + tau_i * std::log(3.0)) * 1e9).margin(1e5));
}

TEST_CASE("stall: no onset, no cut-off or a gap is an error", "[analysis][stall]") {
    Options moving;
    moving.stops = false;
    const StallResult a = analyze_stall(make(moving).view(), brake_ns, end_ns, opts());
    CHECK_FALSE(a.ok());
    CHECK_THAT(*a.invalid, Catch::Contains("no stall onset"));

    Options never_cut;
    never_cut.cuts = false;
    never_cut.retries = false;
    const StallResult b = analyze_stall(make(never_cut).view(), brake_ns, end_ns, opts());
    CHECK_FALSE(b.ok());
    CHECK_THAT(*b.invalid, Catch::Contains("no cut-off"));

    Trace g = make({});
    g.flags[6000] |= sample_after_gap;
    const StallResult c = analyze_stall(g.view(), brake_ns, end_ns, opts());
    CHECK_FALSE(c.ok());
    CHECK_THAT(*c.invalid, Catch::Contains("gap"));
    // The same gap outside the window does not matter.
    Trace g2 = make({});
    g2.flags[2000] |= sample_after_gap;
    CHECK(analyze_stall(g2.view(), brake_ns, end_ns, opts()).ok());
}

// Noise tolerance (stall.hpp): the spec's 50 mA cut-off threshold with a
// current sense of 30 and 40 mA RMS noise. Single-sample crossings would see
// a "retry" within a few ms of the cut-off; the detector must report the
// true ~250 ms retry delay and a latency within one smoothing window.
TEST_CASE("stall: cut-off and retry under current-sense noise up to 40 mA RMS", "[analysis][stall][noise]") {
    for (const double noise : {0.030, 0.040}) {
        for (std::uint64_t seed = 1; seed <= 20; ++seed) {
            Options o;
            o.noise_a = noise;
            o.seed = seed;
            const Trace tr = make(o);
            const double thr50 = 0.050;
            const StallResult r = analyze_stall(tr.view(), brake_ns, end_ns, opts(thr50));
            INFO("noise " << noise * 1e3 << " mA RMS, seed " << seed);
            REQUIRE(r.ok());
            const double true_cut_ns = (t_cut + tau_i * std::log(1.5 / thr50)) * 1e9;
            CHECK(r.cutoff_ns == Approx(true_cut_ns).margin(1.1e6));
            REQUIRE(r.retried);
            const double true_retry_ns = (t_retry + 0.001 * thr50 / 1.5) * 1e9;
            CHECK(r.retry_ns == Approx(true_retry_ns).margin(1.1e6));
            CHECK(r.retry_delay_s == Approx((true_retry_ns - true_cut_ns) * 1e-9).margin(2.2e-3));
        }
    }
}

TEST_CASE("stall: a ripple dip without a cut-off is no cut-off, with a bound", "[analysis][stall]") {
    Options o;
    o.cuts = false;
    o.retries = false;
    o.ripple_dip = true;
    const StallResult r = analyze_stall(make(o).view(), brake_ns, end_ns, opts());
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.cut_off);
    CHECK(r.latency_lower_bound_s == Approx(1.0 - t_stop).margin(2e-4));
    CHECK_THAT(*r.invalid, Catch::Contains("window end"));
}
