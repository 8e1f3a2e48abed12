#pragma once
// The simulated fixture's model: one object, its jobs in separate files.
//
//   physics.cpp   motor (electrical + mechanical), cam, needle, return spring,
//                 skin phantom, brake, depth dial: SimModel::step()
//   firmware.cpp  the pen's firmware (device under test): start-up ramp, speed
//                 regulation, stall protection and recovery
//   sensors.cpp   the rig's instruments (encoder, load-cell and current ADC
//                 channels, loop wake-up) with their faults
//   truth.cpp     ground truth recorded from the model's own state as it
//                 happens (never from the rig's analysis)
//   model.cpp     construction, commands, faults, the lockstep advance
//
// Model, per sub-step dt (fixed, default 10 us):
//  - Motor current: di/dt = (V - Ke*w - R*i) / L, advanced with the exact
//    exponential solution for w frozen over the step. The electrical time
//    constant L/R (~17 us) is shorter than dt, so explicit Euler would be
//    unstable; the exponential update is stable for any dt.
//  - Rotor: J*dw/dt = Kt*i - b*w - T_coulomb - T_load, semi-implicit
//    (symplectic) Euler: w first, then the angle with the new w. Coulomb
//    friction and the brake use a stick/slip (Karnopp) rule, so a held rotor
//    stays exactly still instead of chattering around zero.
//  - Cam: needle protrusion x(th) = dial - h*(1 + cos(n*th)), h = stroke/2;
//    BDC at n*th = pi where x = dial exactly (rigid cam). While the needle
//    sits on the cam its mass is reflected into the rotor (J + m*x'^2) and the
//    load torque is x' * (m*x''*w^2 + F_spring + F_phantom). When the contact
//    force would turn negative (the spring cannot decelerate the needle, e.g.
//    weak_spring at high rate) the needle leaves the cam and flies on its own
//    (m*y'' = -F_spring - F_phantom) until it lands back on the cam (plastic
//    impact, momentum shared through the lever).
//  - Step size: the stiffest mode is the free-flying needle on phantom plus
//    spring, w_n = sqrt((1500 + 200) N/m / 0.4 g) ~ 2.1e3 rad/s, integrated
//    with velocity Verlet (symplectic, second order): stable for w_n*dt < 2,
//    and at dt = 10 us (w_n*dt ~ 0.02) its phase error is ~2e-5 per
//    oscillation. On the cam the phantom acts
//    through the lever on the rotor inertia (w_n ~ 130 rad/s), far slower.
//    10 us also gives ~450 steps per stroke at 220 Hz for the BDC
//    interpolation and is a divisor of the 100 us loop period.
//
// The real-time path (sleep_until + reads) does not allocate, lock or throw:
// the ground-truth logs have their storage before the loop starts
// (prepare_truth) and publish entries to the recorder's thread without locks
// (ground_truth.hpp).

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "rig/drivers/fixture_config.hpp"
#include "rig/drivers/ground_truth.hpp"
#include "rig/sim/sim_fixture.hpp"
#include "rng.hpp"
#include "sensors.hpp"

namespace rig::sim {

inline constexpr double kTwoPi = 2.0 * std::numbers::pi;

enum class FwState { off, booting, running, cut, latched };

class SimModel {
public:
    SimModel(const FixtureConfig& cfg, std::uint64_t seed, std::int64_t truth_epoch_ns);

    // --- commands (atomic: safe_state() may come from another thread) ---
    std::atomic<bool> power_cmd{false};
    std::atomic<bool> brake_cmd{false};
    std::atomic<double> rate_cmd_hz{0.0};
    std::atomic<bool> estop{false};
    std::atomic<double> static_load_n{0.0};   // reference weight on the load cell
    std::atomic<bool> needle_held{false};     // gauge block under the needle
    std::atomic<double> needle_hold_m{0.0};
    // Touch-off plunger (the fixture's FaceReferenceDrive on the sim): while
    // engaged it moves at touch_velocity and the needle tip sits at
    // max(cam, plunger): it pushes the needle off the cam against the return
    // spring and onto the phantom, it cannot pull it below the cam.
    std::atomic<bool> touch_engaged{false};
    std::atomic<double> touch_velocity_m_s{0.0};

    [[nodiscard]] std::int64_t now_ns() const noexcept { return now_ns_; }
    [[nodiscard]] std::int64_t period_ns() const noexcept { return period_ns_; }
    [[nodiscard]] std::uint64_t substeps() const noexcept { return steps_; }
    [[nodiscard]] const GroundTruth& truth() const noexcept { return truth_; }
    /// Sizes the stroke log for a run of `expected` (bounded: kMaxTrueStrokes).
    /// Before the loop starts only (no reader or writer yet).
    void prepare_truth(std::chrono::nanoseconds expected);
    /// The plunger's position (m, protrusion axis): the needle's while not engaged.
    [[nodiscard]] double touch_position_m() const noexcept { return touch_ ? touch_y_ : y_; }
    /// Whether the rotor is still (a touch-off needs the pen at rest).
    [[nodiscard]] bool rotor_still() const noexcept { return w_ == 0.0; }

    /// Advances the model so that t_prev <= t < t_state, t = model ns.
    void advance_to(std::int64_t t) noexcept;
    /// Wake time for a lockstep sleep: jitter and injected overruns/lateness.
    std::int64_t wake_for(std::int64_t deadline) noexcept { return wake_.wake_for(deadline, now_ns_); }

    // --- sensors at now_ns_ (linear interpolation between the bracketing sub-steps) ---
    std::optional<double> read_encoder_mm() noexcept;
    std::optional<double> read_force_n() noexcept;
    std::optional<double> read_current_a() noexcept;
    [[nodiscard]] bool force_clipped() const noexcept { return load_cell_.clipped(); }
    [[nodiscard]] bool current_clipped() const noexcept { return current_.clipped(); }

    // --- depth actuator ---
    bool move_dial_to(double depth_mm) noexcept;
    [[nodiscard]] bool dial_busy() const noexcept { return dial_m_ != dial_target_m_; }
    [[nodiscard]] double dial_mm() const noexcept { return dial_m_ * 1e3; }

    bool apply_fault(const FaultInjection& f) noexcept;
    [[nodiscard]] SimSnapshot snapshot() const noexcept;

private:
    void validate() const;
    [[nodiscard]] double frac() const noexcept {
        return static_cast<double>(now_ns_ - (t_state_ - dt_ns_)) / static_cast<double>(dt_ns_);
    }
    [[nodiscard]] std::int64_t ticks_for(double seconds) const noexcept {
        return std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil(seconds / fw_dt_ - 1e-9)));
    }

    // physics.cpp
    void step() noexcept;
    void cache_kinematics() noexcept {
        const double ph = n_ * th_;
        cos_ = std::cos(ph);
        sin_ = std::sin(ph);
    }
    /// Advances cos/sin of the cam phase by a small angle d (|d| < 0.05 rad at
    /// any reachable speed): a rotation with Taylor cos/sin of d, exact to
    /// ~1e-16, cheaper than two libm calls per sub-step. cache_kinematics()
    /// resynchronises from the angle every firmware tick, so rounding cannot
    /// accumulate.
    void rotate_kinematics(double d) noexcept {
        const double d2 = d * d;
        const double sd = d * (1.0 - d2 / 6.0 * (1.0 - d2 / 20.0 * (1.0 - d2 / 42.0)));
        const double cd = 1.0 - d2 / 2.0 * (1.0 - d2 / 12.0 * (1.0 - d2 / 30.0 * (1.0 - d2 / 56.0)));
        const double c = cos_ * cd - sin_ * sd;
        sin_ = sin_ * cd + cos_ * sd;
        cos_ = c;
    }
    [[nodiscard]] double dial_eff() const noexcept { return dial_m_ + depth_offset_m_; }
    [[nodiscard]] double cam_x() const noexcept { return dial_eff() - h_ * (1.0 + cos_); }
    [[nodiscard]] double spring_force(double y) const noexcept {
        // Compression grows from TDC (dial - stroke), where it is the preload.
        const double travel = y - (dial_eff() - p_.stroke_m);
        return spring_ratio_ * (p_.spring_preload_n + p_.spring_stiffness_n_per_m * travel);
    }
    [[nodiscard]] double phantom_force(double y, double v) const noexcept {
        // The phantom's surface sits phantom_face_m_ from the cartridge face
        // (its seating in this set-up, SimParams::phantom_seating_sd_m).
        const double d = y - phantom_face_m_;
        if (!p_.phantom_enabled || d <= 0.0) return 0.0;
        // Skin pushes back, never pulls: the damper cannot hold the needle.
        return std::max(0.0, p_.phantom_stiffness_n_per_m * d + p_.phantom_damping_n_s_per_m * v);
    }
    void set_winding_resistance(double ohm) noexcept;

    // firmware.cpp
    void firmware_tick(std::int64_t t) noexcept;
    void start_drive() noexcept;
    void cut_drive(std::int64_t t) noexcept;

    // truth.cpp
    void record_truth(std::int64_t t, double y_old, double v_old, bool stuck, double w_old) noexcept;
    void open_stall(std::int64_t onset) noexcept;
    void record_true_channels(double f) noexcept;
    void record_true_rate(std::int64_t t) noexcept;

    SimParams p_;
    std::int64_t truth_epoch_ns_ = 0;
    Rng noise_rng_;

    // constants
    std::int64_t dt_ns_ = 10'000;
    double dt_ = 10e-6;
    std::int64_t fw_div_ = 50;
    double fw_dt_ = 500e-6;
    double el_decay_ = 0.0;
    double lc_alpha_ = 0.0;
    double cs_alpha_ = 0.0;
    double fw_filter_ = 0.0;
    double ki_ = 0.0;
    double n_ = 1.0;
    double h_ = 1.5e-3;
    std::int64_t period_ns_ = 100'000;
    double max_depth_m_ = 2.5e-3;

    // the rig's instruments and loop
    EncoderSensor encoder_;
    AdcChannel load_cell_;
    AdcChannel current_;
    LoopWake wake_;

    // inputs latched for the current advance
    bool power_ = false;
    bool brake_ = false;
    double rate_hz_ = 0.0;
    bool touch_cmd_ = false;
    double touch_v_ = 0.0;

    // faults of the pen and the mechanism
    double brake_torque_n_m_ = 0.0;
    double spring_ratio_ = 1.0;
    double extra_friction_n_m_ = 0.0;
    double depth_offset_m_ = 0.0;
    bool protection_ = true;
    double rate_error_ = 0.0;  // the firmware runs at setpoint x (1 + rate_error_)
    double phantom_face_m_ = 0.0;  // the phantom surface's protrusion (this set-up's seating)

    // True signals around stalls (see GroundTruth::channels). The current read
    // comes last in a loop iteration, so it records the iteration's truth.
    static constexpr std::size_t kTruthChannelCapacity = 1u << 18;  // ~26 s at 10 kHz
    // Stroke log: by default ~11 min at 200 strokes/s; prepare_truth sizes it
    // for the plan at twice the pen's 200 strokes/s plus a minute, up to
    // kMaxTrueStrokes (~5.8 h at 400 strokes/s, 200 MB of address space,
    // resident only as written). Past it no stroke is kept (overflowed()).
    static constexpr std::size_t kDefaultTrueStrokes = 1u << 17;
    static constexpr std::size_t kMaxTrueStrokes = 1u << 23;
    static constexpr double kTrueStrokeRateBoundHz = 400.0;
    static constexpr std::int64_t kTruthChannelSpanNs = 3'000'000'000;
    static constexpr std::size_t kTruthFaceCapacity = 1024;  // face crossings (two per touch-off)
    std::int64_t truth_channels_until_ = -1;
    bool truth_prev_brake_ = false;
    // True cam phase (GroundTruth::rates): spans from kTrueRatePreNs before
    // each power-on or rate command change (kept in a ring until a span
    // opens) to kTrueRateSpanNs after it. At 2 kHz, 2^17 samples hold ~65 s
    // of spans (~12 one-step spans); past that the log says overflowed().
    static constexpr std::size_t kTrueRateCapacity = 1u << 17;
    static constexpr std::size_t kTrueRateRing = 1024;  // 512 ms at 2 kHz: 200 ms levels + half a stroke
    static constexpr std::int64_t kTrueRateSpanNs = 5'000'000'000;
    std::array<TrueRate, kTrueRateRing> rate_ring_{};
    std::size_t rate_ring_next_ = 0;    // next slot to write
    std::size_t rate_ring_count_ = 0;   // samples in the ring not yet logged
    std::int64_t rate_span_until_ = -1; // model ns, truth epoch not added
    bool rate_prev_power_ = false;
    double rate_prev_cmd_hz_ = 0.0;

    // time
    std::int64_t now_ns_ = 0;
    std::int64_t t_state_ = 0;
    std::uint64_t steps_ = 0;

    // mechanical / electrical state
    double th_ = 0.0;
    double w_ = 0.0;
    double i_ = 0.0;
    double cos_ = 1.0;
    double sin_ = 0.0;
    double y_ = 0.0;
    double v_ = 0.0;
    bool on_cam_ = true;
    bool touch_ = false;       // the plunger holds the needle
    double touch_y_ = 0.0;     // plunger position, m
    double f_ph_ = 0.0;
    double dial_m_ = 0.0;
    double dial_target_m_ = 0.0;
    double force_lp_ = 0.0;
    double current_lp_ = 0.0;
    double prev_y_ = 0.0;
    double prev_force_lp_ = 0.0;
    double prev_current_lp_ = 0.0;

    // firmware
    FwState fw_ = FwState::off;
    std::int64_t fw_timer_ = 0;
    std::int64_t fw_countdown_ = 0;
    std::int64_t boot_ticks_ = 0;
    std::int64_t retry_ticks_ = 0;
    std::int64_t detection_ticks_ = 0;
    std::int64_t stall_ticks_ = 0;
    bool drive_ = false;
    double volts_ = 0.0;
    double ramp_ = 0.0;
    double integ_ = 0.0;
    double w_est_ = 0.0;

    // truth bookkeeping
    GroundTruth truth_;
    double peak_since_tdc_ = 0.0;
    bool was_on_cam_ = true;
    bool stall_open_ = false;
    bool was_stuck_ = true;
    double stopped_at_frac_ = 0.0;
    std::int64_t stopped_since_ns_ = 0;
    std::int64_t drive_since_ns_ = 0;
};

}  // namespace rig::sim
