// The loop's online BDC tracker and the analysis' detect_strokes() are one
// detector (rig/analysis/stroke_detector.hpp): fed the same samples one at a
// time, the tracker confirms exactly the BDC instants and depths the analysis
// computes, bit for bit, including quantised plateaus, jitter and noise.
#include <cmath>
#include <random>

#include "catch.hpp"
#include "rig/analysis/strokes.hpp"
#include "rig/runner/bdc_tracker.hpp"

using namespace rig;

namespace {
analysis::Trace trace(double quantum_mm, double noise_mm, double jitter_ns, double start_phase, std::uint64_t seed) {
    analysis::Trace tr;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (std::size_t i = 0; i < 20000; ++i) {  // 2 s at 10 kHz, 140 Hz with a slow drift
        Sample s;
        s.t_ns = static_cast<std::int64_t>(std::llround(static_cast<double>(i) * 1e5 + u(rng) * jitter_ns));
        const double t = static_cast<double>(s.t_ns) * 1e-9;
        double x = 0.6 + 0.5 * std::cos(2.0 * M_PI * (140.0 * t + 3.0 * t * t + start_phase)) + u(rng) * noise_mm;
        if (quantum_mm > 0) x = std::round(x / quantum_mm) * quantum_mm;
        s.position_mm = x;
        tr.push_back(s);
    }
    return tr;
}
}  // namespace

TEST_CASE("online BDC tracker = detect_strokes: same instants and depths, bit for bit", "[runner][analysis][strokes]") {
    struct Case {
        const char* what;
        double quantum, noise, jitter, phase;
    };
    for (const Case c : {Case{"clean", 0.0, 0.0, 0.0, 0.3}, Case{"1 um encoder (plateaus)", 0.001, 0.0, 0.0, 0.7},
                         Case{"encoder, noise, jitter", 0.001, 0.004, 20000.0, 0.05},
                         Case{"opens on a rising edge", 0.001, 0.0, 5000.0, 0.55}}) {
        INFO(c.what);
        const auto tr = trace(c.quantum, c.noise, c.jitter, c.phase, 7);
        const auto strokes = analysis::detect_strokes(tr.view(), 0, tr.size());
        REQUIRE(strokes.size() > 250);
        BdcTracker tracker;
        std::vector<std::pair<double, double>> online;
        for (std::size_t i = 0; i < tr.size(); ++i) {
            if (tracker.add(tr.t_ns[i], tr.position_mm[i])) online.emplace_back(tracker.last_t_ns(), tracker.last_depth_mm());
        }
        // Every stroke's BDC, in order; the tracker may have one more (a BDC
        // whose closing trough the data end before).
        REQUIRE(online.size() >= strokes.size());
        REQUIRE(online.size() <= strokes.size() + 1);
        for (std::size_t k = 0; k < strokes.size(); ++k) {
            INFO("stroke " << k);
            CHECK(online[k].first == strokes[k].t_bdc_ns);
            CHECK(online[k].second == strokes[k].depth_mm);
        }
    }
}
