// Stroke-detection + puncture-rate throughput on a long synthetic recording
// (150 Hz needle at 10 kHz, 1 um encoder, +-20 us timestamp jitter), one
// core. Prints figures; never pass/fail. Target (DESIGN.md §5): >= 50 million
// samples/s in a Release build.
//
// Usage: bench_analysis [samples_per_pass (default 10000000)] [passes (default 5)]
// The recording is generated once in struct-of-arrays form and analysed
// `passes` times (50 M samples by default) so that memory stays ~0.6 GB.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "rig/analysis/strokes.hpp"

int main(int argc, char** argv) {
    using namespace rig::analysis;
    const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
    const int passes = argc > 2 ? std::atoi(argv[2]) : 5;

    Trace tr;
    tr.t_ns.resize(n);
    tr.position_mm.resize(n);
    tr.force_n.resize(n);
    tr.current_a.resize(n, 0.3);
    tr.setpoint_hz.resize(n, 150.0);
    tr.flags.resize(n, 0);
    tr.lateness_ns.resize(n, 0);
    tr.step_index.resize(n, 0);
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> jit(-20000.0, 20000.0);
    for (std::size_t i = 0; i < n; ++i) {
        const auto t = static_cast<std::int64_t>(static_cast<double>(i) * 100000.0 + jit(rng));
        tr.t_ns[i] = t;
        const double x = 0.25 + 1.0 * std::cos(2.0 * M_PI * 150.0 * static_cast<double>(t) * 1e-9);
        tr.position_mm[i] = std::round(x * 1000.0) / 1000.0;
        tr.force_n[i] = std::max(0.0, 4.0 * (x - 0.9));
    }
    const TraceView v = tr.view();
    StrokeOptions opt;
    opt.max_sample_interval = std::chrono::microseconds(150);

    double best = 0.0, total_s = 0.0;
    std::size_t strokes_seen = 0;
    double mean_rate = 0.0;
    for (int p = 0; p < passes; ++p) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto strokes = detect_strokes(v, 0, n, opt);
        const RateStats r = puncture_rate(strokes);
        const auto t1 = std::chrono::steady_clock::now();
        const double s = std::chrono::duration<double>(t1 - t0).count();
        total_s += s;
        best = std::max(best, static_cast<double>(n) / s);
        strokes_seen = strokes.size();
        mean_rate = r.ok() ? r.mean_hz : -1.0;
    }
    const double total_samples = static_cast<double>(n) * passes;
    std::printf("bench_analysis: stroke detection + puncture rate, one core\n");
    std::printf("  recording        %zu samples (%.1f s at 10 kHz), %d passes = %.0f M samples\n", n,
                static_cast<double>(n) * 1e-4, passes, total_samples * 1e-6);
    std::printf("  strokes/pass     %zu, mean rate %.6f Hz\n", strokes_seen, mean_rate);
    std::printf("  throughput       %.1f M samples/s overall, %.1f M samples/s best pass (target >= 50)\n",
                total_samples / total_s * 1e-6, best * 1e-6);
    return 0;
}
