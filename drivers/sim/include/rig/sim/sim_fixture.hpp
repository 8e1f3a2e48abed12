#pragma once
// The simulated fixture: a physics model of the pen (DC motor, cam, needle,
// return spring, firmware) and of the rig (skin phantom on the load cell,
// stall brake, depth actuator, encoder, ADCs), behind the same Fixture
// interface as the hardware backend.
//
// Clock modes:
//  - lockstep (default): clock() is a simulated clock. sleep_until(deadline)
//    advances the model in fixed sub-steps up to the wake time (deadline plus
//    the loop's seeded jitter, and under the `loop_overrun` fault sometimes
//    several loop periods late) and returns it. now() is model time, ns since
//    model t = 0. A 60 s run at 10 kHz takes a fraction of a second and is
//    bit-for-bit deterministic for a given seed.
//  - realtime (`--realtime`): clock() is CLOCK_MONOTONIC (rig::MonotonicClock);
//    on every wake the model is advanced to the real time elapsed since the
//    fixture was built. Ground-truth times are then on the monotonic epoch.
//
// Commands (power, speed, brake, depth, faults) take effect at the first
// model sub-step boundary after the current clock time. The loop jitter never
// carries a wake-up across the next boundary after its deadline, so commands
// land on the same boundary whatever the seed and the truth does not depend on
// it: another seed changes only sensor noise, jitter and encoder count loss
// (and, under `loop_overrun`, which wake-ups overrun).
//
// Faults (FaultKind), what each changes in the model:
//  - brake_torque: torque of the stall brake while engaged (replaces the param).
//  - weak_spring: scales the return spring's stiffness and preload. Less load
//    torque and current; above the rate where preload + k*stroke < m*h*w^2 the
//    spring cannot decelerate the needle at BDC: it leaves the cam, overshoots
//    the dial (true BDC depth > dial) and lands late on the way back.
//  - extra_friction: added Coulomb torque (current up by T/Kt, more droop).
//  - depth_offset: true protrusion = dial + offset (BDC shifts by exactly it).
//  - stall_protection_missing: the firmware never cuts the drive.
//  - stall_protection_slow: the firmware's stall detection time.
//  - encoder_count_loss: each encoder count is lost with this probability;
//    readings random-walk away from the true position.
//  - loop_overrun: this fraction of lockstep wake-ups is 2..overrun_max_periods
//    loop periods late (realtime mode: no effect, the real clock decides).
//  - rate_error: the firmware regulates to setpoint x (1 + value) (a pen whose
//    speed levels are off); a scenario injects one value per level.
//  - winding_resistance: the motor's R (hot or damaged winding); the firmware's
//    IR compensation keeps its estimate, so its speed estimate reads high under
//    load and the loaded speed droops: speed regulation gets worse.
//  - encoder_count_gain: each encoder count is doubled with this probability.
//  - encoder_scale_error: the counter counts (1 + value) counts per true count
//    (deterministic, signed): every distance that fraction long or short.
//  - encoder_zero_error: the counter's zero moves by the value (readings that
//    much deeper): an encoder zero that is not at the cartridge face.
//
// Encoder zero: the counter reads 0 where the needle rests when the fixture
// starts (TDC with the dial at 0: 3 mm behind the face), as an LS7366R does
// after power-up (`sensors.encoder.zero: start`); `zero: face` gives an
// absolute scale zeroed at the face. Depth needs a `reference:` step.
//
// Touch-off (reference()): the fixture's plunger pushes the needle off the
// cam onto the phantom (the face gauge) and back, driven by the shared
// TouchOffSequencer; the pen must be off and the rotor still. The model
// records in GroundTruth::faces the encoder's reading at the instant the tip
// crosses the face (the truth a reference is judged against); no true strokes
// are recorded while the plunger holds the needle.
//  - load_cell_offset / current_offset: the instrument's zero is this far from
//    its calibration record (a constant added to every reading).
//  - load_cell_drift (either sign): the zero moves linearly from the injection.
//  - current_noise: the current sense's RMS noise (replaces the fixture's).
//  - loop_lateness: every lockstep wake-up is late by up to the value (uniform),
//    never by a whole period: samples late beyond the budget, none missed.
//
// Thread-safety: one thread (the acquisition loop) drives the clock and the
// parts; safe_state() may be called from any thread (atomic stores only).
// Ownership: the fixture owns its parts, clock and ground truth; references
// returned by the accessors live as long as the fixture.

#include <cstdint>
#include <memory>

#include "rig/drivers/fixture.hpp"

namespace rig {

enum class SimClockMode { lockstep, realtime };

/// Model quantities for tests and diagnostics (not what the rig measures).
struct SimSnapshot {
    std::int64_t t_ns = 0;          // model time of this snapshot (sub-step grid), ns
    double rotor_speed_rad_s = 0.0; // true rotor speed
    double rotor_angle_rad = 0.0;   // true rotor angle (unwrapped)
    double current_a = 0.0;         // true motor current
    double protrusion_m = 0.0;      // true needle protrusion beyond the cartridge face
    double phantom_force_n = 0.0;   // true contact force on the phantom
    double dial_m = 0.0;            // depth-dial setting reached
    double drive_voltage_v = 0.0;   // PWM-average voltage the firmware applies (0 when cut)
    bool drive_on = false;          // firmware drives the motor
    bool needle_on_cam = true;      // false while the needle floats off the cam (weak spring)
    bool latched = false;           // firmware latched off after a stall
};

class SimFixture final : public Fixture {
public:
    SimFixture(const FixtureConfig& config, std::uint64_t seed, SimClockMode mode);
    ~SimFixture() override;

    [[nodiscard]] const FixtureConfig& config() const override;
    Clock& clock() override;
    PenPower& power() override;
    SpeedCommand& speed() override;
    DepthActuator& depth() override;
    StallBrake& brake() override;
    PositionEncoder& encoder() override;
    LoadCell& load_cell() override;
    CurrentSense& current() override;
    EStop& estop() override;
    FaceReferenceDrive& reference() override;
    void safe_state() noexcept override;
    bool inject_fault(const FaultInjection& fault) noexcept override;
    [[nodiscard]] const GroundTruth* ground_truth() const noexcept override;
    void prepare_run(std::chrono::nanoseconds expected_duration) override;

    /// Operator E-stop, for tests: pressed until release_estop().
    /// Calibration standards on the simulated fixture: a reference weight
    /// resting on the load cell (adds to the phantom force, N; 0 removes it)
    /// and a gauge block holding the needle tip at a protrusion (mm). Used by
    /// `rig calibrate` on the sim; thread-safe.
    void apply_static_load_n(double force_n) noexcept;
    void hold_needle_at_mm(double protrusion_mm) noexcept;
    void release_needle() noexcept;

    void press_estop() noexcept;
    void release_estop() noexcept;
    /// True model state at the latest computed sub-step.
    [[nodiscard]] SimSnapshot snapshot() const noexcept;
    /// Physics sub-steps computed so far (for benchmarks).
    [[nodiscard]] std::uint64_t substeps() const noexcept;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// Builds the simulated fixture for `config` (backend sim). Same seed -> the
/// same readings, bit for bit.
std::unique_ptr<Fixture> make_sim_fixture(const FixtureConfig& config, std::uint64_t seed);
std::unique_ptr<Fixture> make_sim_fixture(const FixtureConfig& config, std::uint64_t seed, SimClockMode mode);

}  // namespace rig
