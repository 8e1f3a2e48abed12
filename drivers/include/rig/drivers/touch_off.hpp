#pragma once
// The touch-off sequence of a `reference:` step, shared by every backend's
// FaceReferenceDrive (the sim's plunger, the hardware's actuator): the logic
// that turns "where the drive is" and "what the load cell reads" into a
// velocity command. The face itself is found afterwards from the recorded
// samples (rig/analysis/touch_off.hpp), never from this controller's
// decisions: the contact forces here only decide where to turn.
//
//   dwell_before  at rest for `dwell`: the load cell's no-contact baseline
//                 (every force threshold below is relative to it, so a load
//                 cell zero away from its calibration does not move them)
//   approach      +approach speed until force - baseline >= contact_force
//                 (or max_travel from rest: no contact, retract)
//   back_off      -approach speed for back_off
//   probe         +probe speed until force - baseline >= stop_force: the
//                 slow pass through contact the face is fitted on (at most
//                 kMaxProbeTravelM past the turn)
//   retract       -approach speed back to the rest position
//   dwell_after   at rest for `dwell`: the encoder must read what it read
//                 before (the analysis' return check)
//
// Positions are the drive's own (m, + toward the face, any origin): a stepper
// counts its steps, the sim's plunger knows where it is.
// Thread-safety: the loop's thread only; no allocation, never throws.

#include <cstdint>
#include <optional>

#include "rig/drivers/fixture_config.hpp"

namespace rig {

class TouchOffSequencer {
public:
    enum class Phase { idle, dwell_before, approach, back_off, probe, retract, dwell_after };
    /// The probe goes at most this far past where the approach turned (the
    /// stop force is reached ~0.1 mm past it on a skin phantom).
    static constexpr double kMaxProbeTravelM = 0.5e-3;

    explicit TouchOffSequencer(const TouchOffParams& p) : p_(p) {}

    /// Starts at `now_ns` with the drive at `position_m` (the rest position).
    void start(std::int64_t now_ns, double position_m) noexcept;
    /// The velocity to command now (m/s, + toward the face; 0 at rest).
    /// Call every actuation tick; phase() is idle once the sequence is over.
    double update(std::int64_t now_ns, double position_m, std::optional<double> force_n) noexcept;

    [[nodiscard]] Phase phase() const noexcept { return phase_; }
    [[nodiscard]] bool running() const noexcept { return phase_ != Phase::idle; }
    [[nodiscard]] bool contact_found() const noexcept { return contact_; }
    /// The drive is holding the needle off the cam (any phase but idle and the dwells).
    [[nodiscard]] bool engaged() const noexcept {
        return phase_ == Phase::approach || phase_ == Phase::back_off || phase_ == Phase::probe ||
               phase_ == Phase::retract;
    }
    void abort() noexcept { phase_ = Phase::idle; }

private:
    void enter(Phase p, std::int64_t now_ns) noexcept {
        phase_ = p;
        since_ns_ = now_ns;
    }
    TouchOffParams p_;
    Phase phase_ = Phase::idle;
    std::int64_t since_ns_ = 0;
    double rest_m_ = 0.0;
    double turn_m_ = 0.0;     // where the approach found contact
    double baseline_sum_ = 0.0;
    std::uint64_t baseline_n_ = 0;
    bool contact_ = false;
};

}  // namespace rig
