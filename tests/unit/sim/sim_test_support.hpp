#pragma once
// Shared helpers for the sim tests: the shipped default fixture, a loop that
// drives the simulated clock like the runner does, and rate statistics from
// ground truth.

#include <cmath>
#include <cstdint>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "rig/drivers/fixture_config.hpp"
#include "rig/sim/sim_fixture.hpp"
#include "temp_dir.hpp"

namespace rig::test {

inline FixtureConfig default_sim_config() {
    Diagnostics diags;
    auto cfg = load_fixture(source_dir() / "fixtures" / "sim.yaml", diags);
    if (!cfg) throw std::runtime_error("fixtures/sim.yaml does not load");
    return *cfg;
}

/// The default fixture with no skin phantom: the needle strokes in free air.
inline FixtureConfig no_phantom() {
    auto cfg = default_sim_config();
    cfg.sim.phantom_enabled = false;
    return cfg;
}

/// No phantom, and the encoder zeroed at the cartridge face (`zero: face`):
/// its readings stand against the true protrusion.
inline FixtureConfig face_zeroed_no_phantom() {
    auto cfg = no_phantom();
    cfg.sim.encoder_zero_at_face = true;
    return cfg;
}

struct Reading {
    std::int64_t t_ns = 0;
    std::int64_t deadline_ns = 0;
    double position_mm = 0.0;
    double force_n = 0.0;
    double current_a = 0.0;
};

/// Drives a SimFixture with the acquisition loop's calls: sleep_until the
/// next sample deadline, then read encoder, load cell and current.
class SimLoop {
public:
    explicit SimLoop(const FixtureConfig& cfg, std::uint64_t seed = 1)
        : fx(cfg, seed, SimClockMode::lockstep),
          period_ns(static_cast<std::int64_t>(std::llround(1e9 / cfg.sample_rate_hz))) {}

    void run_for(double seconds, bool keep = false) {
        const auto n = static_cast<std::int64_t>(std::llround(seconds * 1e9)) / period_ns;
        for (std::int64_t k = 0; k < n; ++k) {
            deadline_ns += period_ns;
            const auto woke = fx.clock().sleep_until(Nanos(deadline_ns)).count();
            Reading r;
            r.t_ns = woke;
            r.deadline_ns = deadline_ns;
            r.position_mm = fx.encoder().read_mm().value_or(std::nan(""));
            r.force_n = fx.load_cell().read_n().value_or(std::nan(""));
            r.current_a = fx.current().read_a().value_or(std::nan(""));
            last = r;
            if (keep) log.push_back(r);
            if (woke > deadline_ns) deadline_ns = woke - (woke - deadline_ns) % period_ns;  // skip missed slots
        }
    }
    /// The pen powered and commanded to `rate_hz` (what a run's `power: on` at a level does).
    void start(double rate_hz) {
        fx.power().set(true);
        fx.speed().set_rate_hz(rate_hz);
    }
    [[nodiscard]] std::int64_t now_ns() { return fx.clock().now().count(); }
    [[nodiscard]] const GroundTruth& truth() const { return *fx.ground_truth(); }

    SimFixture fx;
    std::int64_t period_ns;
    std::int64_t deadline_ns = 0;
    Reading last;
    std::vector<Reading> log;
};

/// Mean stroke rate (Hz) from the true BDC times inside [from_ns, to_ns].
inline double true_rate_hz(const GroundTruth& gt, std::int64_t from_ns, std::int64_t to_ns) {
    std::int64_t first = -1;
    std::int64_t last = -1;
    int n = 0;
    for (const auto& s : gt.strokes) {
        if (s.t_bdc_ns < from_ns || s.t_bdc_ns > to_ns) continue;
        if (first < 0) first = s.t_bdc_ns;
        last = s.t_bdc_ns;
        ++n;
    }
    if (n < 2) return 0.0;
    return static_cast<double>(n - 1) / (static_cast<double>(last - first) * 1e-9);
}

inline constexpr double kTwoPi = 2.0 * std::numbers::pi;

}  // namespace rig::test
