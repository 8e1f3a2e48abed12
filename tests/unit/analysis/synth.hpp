#pragma once
// Synthetic recordings whose answers are known exactly, for the analysis
// known-answer tests and the analysis benchmark.
//
// The needle follows x(t) = offset + A cos(2 pi phase(t)); BDC (maximum
// protrusion) happens when phase(t) is an integer, so the true BDC times are
// the solutions of phase(t) = k and the true depth is offset + A.

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "rig/analysis/trace.hpp"

namespace rig::test {

struct SynthSpec {
    double sample_rate_hz = 10000.0;
    double duration_s = 1.0;
    double amplitude_mm = 1.0;
    double offset_mm = 0.25;       // depth at BDC = offset + amplitude
    double jitter_ns = 0.0;        // timestamps uniform in +-jitter around nominal
    double quantum_mm = 0.0;       // encoder resolution (0 = none)
    double noise_mm = 0.0;         // uniform +-noise on position
    std::uint64_t seed = 1;
};

/// phase(t) in cycles (t in seconds). Returns the trace sampled at the
/// (jittered) real timestamps.
inline analysis::Trace synth_trace(const SynthSpec& s, const std::function<double(double)>& phase_at) {
    analysis::Trace tr;
    const auto n = static_cast<std::size_t>(s.duration_s * s.sample_rate_hz);
    tr.reserve(n);
    std::mt19937_64 rng(s.seed);
    std::uniform_real_distribution<double> jit(-1.0, 1.0);
    const double period_ns = 1e9 / s.sample_rate_hz;
    for (std::size_t i = 0; i < n; ++i) {
        Sample smp;
        const double nominal = static_cast<double>(i) * period_ns;
        smp.t_ns = static_cast<std::int64_t>(std::llround(nominal + (s.jitter_ns > 0 ? jit(rng) * s.jitter_ns : 0.0)));
        const double t_s = static_cast<double>(smp.t_ns) * 1e-9;
        double x = s.offset_mm + s.amplitude_mm * std::cos(2.0 * M_PI * phase_at(t_s));
        if (s.noise_mm > 0) x += jit(rng) * s.noise_mm;
        if (s.quantum_mm > 0) x = std::round(x / s.quantum_mm) * s.quantum_mm;
        smp.position_mm = x;
        smp.current_a = 0.3;
        tr.push_back(smp);
    }
    return tr;
}

/// Constant rate: phase = f t + phase0.
inline analysis::Trace sine_trace(const SynthSpec& s, double rate_hz, double phase0 = 0.3) {
    return synth_trace(s, [=](double t) { return rate_hz * t + phase0; });
}

/// True BDC times (ns) of a constant-rate sine within [0, duration).
inline std::vector<double> sine_bdc_ns(const SynthSpec& s, double rate_hz, double phase0 = 0.3) {
    std::vector<double> out;
    for (int k = 1;; ++k) {
        const double t = (static_cast<double>(k) - phase0) / rate_hz;
        if (t >= s.duration_s) break;
        if (t >= 0) out.push_back(t * 1e9);
    }
    return out;
}

}  // namespace rig::test
