// Simulated fixture: physics model of pen and rig (DESIGN.md §4).
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
// The real-time path (sleep_until + reads) does not allocate, lock or throw;
// the only growth is the ground-truth stroke log, reserved for ~10 minutes of
// strokes up front.

#include "rig/sim/sim_fixture.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

namespace rig {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

/// xoshiro256++ seeded by splitmix64: small, fast, and the same sequence on
/// every platform (std:: distributions are not portable bit for bit).
class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& w : s_) {
            seed += 0x9e3779b97f4a7c15ULL;
            std::uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            w = z ^ (z >> 31);
        }
    }
    std::uint64_t next() noexcept {
        const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }
    /// Uniform in [0, 1).
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Standard normal (Marsaglia polar method, second value cached): no
    /// trigonometry, which matters at two draws per loop sample.
    double gauss() noexcept {
        if (have_spare_) {
            have_spare_ = false;
            return spare_;
        }
        double u = 0.0;
        double v = 0.0;
        double q = 0.0;
        do {
            u = 2.0 * uniform() - 1.0;
            v = 2.0 * uniform() - 1.0;
            q = u * u + v * v;
        } while (q >= 1.0 || q == 0.0);
        const double r = std::sqrt(-2.0 * std::log(q) / q);
        spare_ = v * r;
        have_spare_ = true;
        return u * r;
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4]{};
    double spare_ = 0.0;
    bool have_spare_ = false;
};

std::int64_t to_ns(double s) { return static_cast<std::int64_t>(std::llround(s * 1e9)); }

/// One instrument's transfer: the true one (model) and the one the rig
/// believes (calibration record). raw code = (value - true_offset) / true_scale;
/// reading = code * cal_scale + cal_offset.
struct Instrument {
    double true_scale = 1.0;
    double true_offset = 0.0;
    double cal_scale = 1.0;
    double cal_offset = 0.0;

    void calibrate(const CalibrationRecord* rec) {
        cal_scale = rec != nullptr ? rec->scale : true_scale;
        cal_offset = rec != nullptr ? rec->offset : true_offset;
    }
};

enum class FwState { off, booting, running, cut, latched };

// ---------------------------------------------------------------------------
// The model. Plain members, constants precomputed; no allocation per step.
// ---------------------------------------------------------------------------
class SimModel {
public:
    SimModel(const FixtureConfig& cfg, std::uint64_t seed, std::int64_t truth_epoch_ns)
        : p_(cfg.sim), truth_epoch_ns_(truth_epoch_ns), jitter_rng_(seed ^ 0x6a09e667f3bcc908ULL),
          noise_rng_(seed ^ 0xbb67ae8584caa73bULL), encoder_rng_(seed ^ 0x3c6ef372fe94f82bULL) {
        validate();
        dt_ns_ = std::max<std::int64_t>(1000, to_ns(p_.substep_s));
        dt_ = static_cast<double>(dt_ns_) * 1e-9;
        fw_div_ = std::max<std::int64_t>(1, std::llround(1.0 / (p_.firmware_loop_hz * dt_)));
        fw_dt_ = static_cast<double>(fw_div_) * dt_;
        el_decay_ = std::exp(-dt_ * p_.resistance_ohm / p_.inductance_h);
        lc_alpha_ = 1.0 - std::exp(-dt_ * kTwoPi * p_.load_cell_bandwidth_hz);
        cs_alpha_ = 1.0 - std::exp(-dt_ * kTwoPi * p_.current_bandwidth_hz);
        fw_filter_ = 1.0 - std::exp(-fw_dt_ / p_.speed_filter_s);
        ki_ = p_.speed_gain_v_s_per_rad / p_.integral_time_s;
        n_ = static_cast<double>(p_.strokes_per_rev);
        h_ = 0.5 * p_.stroke_m;
        period_ns_ = std::max<std::int64_t>(1, std::llround(1e9 / cfg.sample_rate_hz));
        max_depth_m_ = cfg.max_depth_mm * 1e-3;
        brake_torque_n_m_ = p_.brake_torque_n_m;
        detection_ticks_ = ticks_for(p_.stall_detection_s);
        retry_ticks_ = ticks_for(p_.retry_delay_s);
        boot_ticks_ = ticks_for(p_.boot_delay_s);

        encoder_.true_scale = p_.encoder_scale_m;
        encoder_.true_offset = p_.encoder_offset_m;
        encoder_.calibrate(cfg.calibration_for("encoder"));
        load_cell_.true_scale = p_.load_cell_scale_n;
        load_cell_.true_offset = p_.load_cell_offset_n;
        load_cell_.calibrate(cfg.calibration_for("load_cell"));
        current_.true_scale = p_.current_scale_a;
        current_.true_offset = p_.current_offset_a;
        current_.calibrate(cfg.calibration_for("current_sense"));

        truth_.strokes.reserve(1u << 17);
        truth_.stalls.reserve(256);
        truth_.channels.reserve(kTruthChannelCapacity);

        for (const auto& f : cfg.faults) apply_fault(f);

        // Needle at TDC with the dial at 0, on the cam, rotor still.
        cache_kinematics();
        y_ = cam_x();
        v_ = 0.0;
        enc_last_true_ = true_count(y_);
        enc_count_ = enc_last_true_;
        // One step so that the state ahead of `now` exists (t_prev <= now < t_state).
        step();
    }

    // --- commands (atomic: safe_state() may come from another thread) ---
    std::atomic<bool> power_cmd{false};
    std::atomic<bool> brake_cmd{false};
    std::atomic<double> rate_cmd_hz{0.0};
    std::atomic<bool> estop{false};
    std::atomic<double> static_load_n{0.0};   // reference weight on the load cell
    std::atomic<bool> needle_held{false};     // gauge block under the needle
    std::atomic<double> needle_hold_m{0.0};

    [[nodiscard]] std::int64_t now_ns() const noexcept { return now_ns_; }
    [[nodiscard]] std::int64_t period_ns() const noexcept { return period_ns_; }
    [[nodiscard]] std::uint64_t substeps() const noexcept { return steps_; }
    [[nodiscard]] const GroundTruth& truth() const noexcept { return truth_; }

    /// Advances the model so that t_prev <= t < t_state, t = model ns.
    void advance_to(std::int64_t t) noexcept {
        if (t <= now_ns_) return;
        now_ns_ = t;
        power_ = power_cmd.load(std::memory_order_relaxed);
        brake_ = brake_cmd.load(std::memory_order_relaxed);
        rate_hz_ = std::clamp(rate_cmd_hz.load(std::memory_order_relaxed), 0.0, p_.max_rate_hz);
        while (t_state_ <= t) step();
    }

    /// Wake time for a lockstep sleep: jitter and injected overruns.
    std::int64_t wake_for(std::int64_t deadline) noexcept {
        if (deadline <= now_ns_) return now_ns_;  // already late: no sleep at all
        std::int64_t wake = deadline;
        if (overrun_fraction_ > 0.0 && jitter_rng_.uniform() < overrun_fraction_) {
            // An overrun: the loop wakes 2..overrun_max_periods periods late.
            const int span = std::max(1, p_.overrun_max_periods - 1);
            const auto k = 2 + static_cast<std::int64_t>(jitter_rng_.uniform() * static_cast<double>(span));
            wake += k * period_ns_;
        }
        if (p_.loop_jitter_s > 0.0) {
            // Jitter never carries the wake across the next sub-step boundary:
            // commands issued after this wake then land on the same boundary
            // whatever the seed, so the truth does not depend on the noise.
            const std::int64_t to_boundary = dt_ns_ - 1 - ((wake % dt_ns_) + dt_ns_) % dt_ns_;
            const double j = std::abs(jitter_rng_.gauss()) * p_.loop_jitter_s * 1e9;
            wake += std::min(static_cast<std::int64_t>(j), to_boundary);
        }
        return wake;
    }

    // --- sensors at now_ns_ (linear interpolation between the bracketing sub-steps) ---
    [[nodiscard]] double frac() const noexcept {
        return static_cast<double>(now_ns_ - (t_state_ - dt_ns_)) / static_cast<double>(dt_ns_);
    }

    std::optional<double> read_encoder_mm() noexcept {
        const double f = frac();
        const double y = needle_held.load(std::memory_order_relaxed) ? needle_hold_m.load(std::memory_order_relaxed)
                                                                     : prev_y_ + f * (y_ - prev_y_);
        const std::int64_t truth_count = true_count(y);
        std::int64_t delta = truth_count - enc_last_true_;
        enc_last_true_ = truth_count;
        if (count_loss_ > 0.0 && delta != 0) {
            // Each quadrature edge is missed with probability count_loss_: the
            // counter random-walks away from the true position.
            const std::int64_t n = delta > 0 ? delta : -delta;
            std::int64_t lost = 0;
            for (std::int64_t k = 0; k < n; ++k) lost += encoder_rng_.uniform() < count_loss_ ? 1 : 0;
            delta += delta > 0 ? -lost : lost;
        }
        enc_count_ += delta;
        const double m = static_cast<double>(enc_count_) * encoder_.cal_scale + encoder_.cal_offset;
        return m * 1e3;
    }

    std::optional<double> read_force_n() noexcept {
        const double f = frac();
        double force = prev_force_lp_ + f * (force_lp_ - prev_force_lp_);
        force += drift_accum_n_ + drift_rate_n_s_ * static_cast<double>(now_ns_ - drift_t0_ns_) * 1e-9;
        force += p_.load_cell_noise_n * noise_rng_.gauss();
        const double code = std::nearbyint((force - load_cell_.true_offset) / load_cell_.true_scale);
        constexpr double kAdcFullScale = 8388607.0;  // ADS1256: 24-bit two's complement
        if (code >= kAdcFullScale || code <= -kAdcFullScale - 1.0) return std::nullopt;
        return code * load_cell_.cal_scale + load_cell_.cal_offset;
    }

    std::optional<double> read_current_a() noexcept {
        const double f = frac();
        record_true_channels(f);
        double i = prev_current_lp_ + f * (current_lp_ - prev_current_lp_);
        i += p_.current_noise_a * noise_rng_.gauss();
        const double code = std::nearbyint((i - current_.true_offset) / current_.true_scale);
        constexpr double kAdcFullScale = 8388607.0;
        if (code >= kAdcFullScale || code <= -kAdcFullScale - 1.0) return std::nullopt;
        return code * current_.cal_scale + current_.cal_offset;
    }

    // --- depth actuator ---
    bool move_dial_to(double depth_mm) noexcept {
        const double m = depth_mm * 1e-3;
        if (!std::isfinite(m) || m < 0.0 || m > max_depth_m_ + 1e-12) return false;
        dial_target_m_ = m;
        return true;
    }
    [[nodiscard]] bool dial_busy() const noexcept { return dial_m_ != dial_target_m_; }
    [[nodiscard]] double dial_mm() const noexcept { return dial_m_ * 1e3; }

    // --- faults ---
    bool apply_fault(const FaultInjection& f) noexcept {
        switch (f.kind) {
            case FaultKind::brake_torque: brake_torque_n_m_ = f.value; return true;
            case FaultKind::weak_spring: spring_ratio_ = f.value; return true;
            case FaultKind::extra_friction: extra_friction_n_m_ = f.value; return true;
            case FaultKind::depth_offset: depth_offset_m_ = f.value; return true;
            case FaultKind::stall_protection_missing: protection_ = false; return true;
            case FaultKind::stall_protection_slow: detection_ticks_ = ticks_for(f.value); return true;
            case FaultKind::encoder_count_loss: count_loss_ = f.value; return true;
            case FaultKind::load_cell_drift:
                drift_accum_n_ += drift_rate_n_s_ * static_cast<double>(now_ns_ - drift_t0_ns_) * 1e-9;
                drift_rate_n_s_ = f.value;
                drift_t0_ns_ = now_ns_;
                return true;
            case FaultKind::loop_overrun: overrun_fraction_ = f.value; return true;
        }
        return false;
    }

    [[nodiscard]] SimSnapshot snapshot() const noexcept {
        SimSnapshot s;
        s.t_ns = t_state_;
        s.rotor_speed_rad_s = w_;
        s.rotor_angle_rad = th_;
        s.current_a = i_;
        s.protrusion_m = y_;
        s.phantom_force_n = f_ph_;
        s.dial_m = dial_m_;
        s.drive_voltage_v = drive_ ? volts_ : 0.0;
        s.drive_on = drive_;
        s.needle_on_cam = on_cam_;
        s.latched = fw_ == FwState::latched;
        return s;
    }

private:
    void validate() const {
        auto positive = [](double v, const char* what) {
            if (!(v > 0.0) || !std::isfinite(v)) throw std::invalid_argument(std::string("sim: ") + what + " must be > 0");
        };
        positive(p_.supply_voltage_v, "supply voltage");
        positive(p_.resistance_ohm, "resistance");
        positive(p_.inductance_h, "inductance");
        positive(p_.back_emf_v_s_per_rad, "back-EMF constant");
        positive(p_.inertia_kg_m2, "inertia");
        positive(p_.stroke_m, "stroke");
        positive(p_.needle_mass_kg, "needle mass");
        positive(p_.firmware_loop_hz, "firmware loop rate");
        positive(p_.ramp_time_s, "ramp time");
        positive(p_.integral_time_s, "integral time");
        positive(p_.speed_filter_s, "speed filter");
        positive(p_.max_rate_hz, "max rate");
        positive(p_.encoder_scale_m, "encoder scale");
        positive(p_.load_cell_scale_n, "load cell scale");
        positive(p_.current_scale_a, "current scale");
        positive(p_.load_cell_bandwidth_hz, "load cell bandwidth");
        positive(p_.current_bandwidth_hz, "current bandwidth");
        positive(p_.substep_s, "sub-step");
        if (p_.strokes_per_rev < 1) throw std::invalid_argument("sim: strokes per revolution must be >= 1");
    }

    [[nodiscard]] std::int64_t ticks_for(double seconds) const noexcept {
        return std::max<std::int64_t>(0, static_cast<std::int64_t>(std::ceil(seconds / fw_dt_ - 1e-9)));
    }

    [[nodiscard]] std::int64_t true_count(double y) const noexcept {
        return std::llround((y - encoder_.true_offset) / encoder_.true_scale);
    }

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
        if (!p_.phantom_enabled || y <= 0.0) return 0.0;
        // Skin pushes back, never pulls: the damper cannot hold the needle.
        return std::max(0.0, p_.phantom_stiffness_n_per_m * y + p_.phantom_damping_n_s_per_m * v);
    }

    void firmware_tick(std::int64_t t) noexcept {
        switch (fw_) {
            case FwState::off: return;
            case FwState::booting:
                if (++fw_timer_ < boot_ticks_) return;
                start_drive();
                break;
            case FwState::cut:
                if (p_.after_stall != StallRecovery::retry || ++fw_timer_ < retry_ticks_) return;
                start_drive();
                if (stall_open_) {
                    truth_.stalls.back().retry_ns = t + truth_epoch_ns_;
                    stall_open_ = false;
                }
                break;
            case FwState::latched: return;
            case FwState::running: break;
        }
        if (rate_hz_ <= 0.0) {
            drive_ = false;
            ramp_ = 0.0;
            integ_ = 0.0;
            stall_ticks_ = 0;
            return;
        }
        if (!drive_) drive_since_ns_ = t;
        ramp_ = std::min(1.0, ramp_ + fw_dt_ / p_.ramp_time_s);
        const double w_cmd = kTwoPi * rate_hz_ / n_;
        const double w_sp = ramp_ * w_cmd;
        // Back-EMF speed estimate from the firmware's own V and I (no tach).
        const double v_applied = drive_ ? volts_ : 0.0;
        const double w_raw = drive_ ? (v_applied - p_.resistance_estimate_ohm * i_) / p_.back_emf_v_s_per_rad : w_;
        w_est_ += fw_filter_ * (w_raw - w_est_);
        if (p_.speed_control == SpeedControl::closed_loop) {
            const double e = w_sp - w_est_;
            const double ff = p_.back_emf_v_s_per_rad * w_sp;
            const double integ_next = integ_ + ki_ * e * fw_dt_;
            const double unsat = ff + p_.speed_gain_v_s_per_rad * e + integ_next;
            // Anti-windup: stop integrating into a saturated output.
            if (!((unsat > p_.supply_voltage_v && e > 0.0) || (unsat < 0.0 && e < 0.0))) integ_ = integ_next;
            volts_ = std::clamp(ff + p_.speed_gain_v_s_per_rad * e + integ_, 0.0, p_.supply_voltage_v);
        } else {
            volts_ = p_.supply_voltage_v * ramp_ * std::min(1.0, rate_hz_ / p_.max_rate_hz);
        }
        drive_ = true;

        const double w_stall = kTwoPi * p_.stall_rate_hz / n_;
        if (w_sp >= w_stall && w_est_ < w_stall) {
            ++stall_ticks_;
            if (protection_ && stall_ticks_ >= detection_ticks_) cut_drive(t);
        } else {
            stall_ticks_ = 0;
        }
    }

    void start_drive() noexcept {
        fw_ = FwState::running;
        fw_timer_ = 0;
        ramp_ = 0.0;
        integ_ = 0.0;
        stall_ticks_ = 0;
        w_est_ = w_;
    }

    void cut_drive(std::int64_t t) noexcept {
        drive_ = false;
        volts_ = 0.0;
        fw_ = p_.after_stall == StallRecovery::retry ? FwState::cut : FwState::latched;
        fw_timer_ = 0;
        stall_ticks_ = 0;
        if (!stall_open_) {
            // Stalled without ever turning since the drive came on (e.g. a
            // retry into a held brake): the stall began when the drive did.
            open_stall(std::max(drive_since_ns_, stopped_since_ns_));
        }
        truth_.stalls.back().cutoff_ns = t + truth_epoch_ns_;
        if (fw_ == FwState::latched) stall_open_ = false;
    }

    void open_stall(std::int64_t onset) noexcept {
        TrueStall s;
        s.onset_ns = onset + truth_epoch_ns_;
        truth_.stalls.push_back(s);
        stall_open_ = true;
    }

    void step() noexcept {
        const std::int64_t t = t_state_;
        prev_y_ = y_;
        prev_force_lp_ = force_lp_;
        prev_current_lp_ = current_lp_;

        // Power switch (hardware): off drops everything, on boots the firmware.
        if (!power_) {
            if (fw_ != FwState::off) {
                fw_ = FwState::off;
                drive_ = false;
                volts_ = 0.0;
                stall_open_ = false;
            }
        } else if (fw_ == FwState::off) {
            fw_ = FwState::booting;
            fw_timer_ = 0;
        }
        // Firmware ticks on a fixed grid (every fw_div_ sub-steps from t = 0);
        // a countdown instead of a 64-bit modulo per step.
        const bool fw_tick = fw_countdown_ == 0;
        fw_countdown_ = fw_tick ? fw_div_ - 1 : fw_countdown_ - 1;
        if (fw_tick) firmware_tick(t);
        if (stall_open_ && (!drive_ || rate_hz_ <= 0.0) && fw_ == FwState::running) stall_open_ = false;

        // Depth dial (actuator at finite speed).
        if (dial_m_ != dial_target_m_) {
            const double d = dial_target_m_ - dial_m_;
            const double maxd = p_.dial_speed_m_per_s * dt_;
            dial_m_ = std::abs(d) <= maxd ? dial_target_m_ : dial_m_ + std::copysign(maxd, d);
        }

        // Electrical: exact for w frozen over the step; open terminals when not driven.
        const double i_ss = drive_ ? (volts_ - p_.back_emf_v_s_per_rad * w_) / p_.resistance_ohm : 0.0;
        i_ = i_ss + (i_ - i_ss) * el_decay_;

        // Mechanical.
        const double m = p_.needle_mass_kg;
        const double dx = h_ * n_ * sin_;
        const double ddx = h_ * n_ * n_ * cos_;
        double j_eff = p_.inertia_kg_m2;
        double t_drive = p_.back_emf_v_s_per_rad * i_ - p_.viscous_friction_n_m_s_per_rad * w_;
        double f_ext = 0.0;  // spring + phantom on the needle (pushing it into the pen)
        if (on_cam_) {
            y_ = cam_x();
            v_ = dx * w_;
            f_ext = spring_force(y_) + phantom_force(y_, v_);
            j_eff += m * dx * dx;
            t_drive -= dx * (m * ddx * w_ * w_ + f_ext);
        }
        const double t_coulomb =
            p_.coulomb_friction_n_m + extra_friction_n_m_ + (brake_ ? brake_torque_n_m_ : 0.0);
        const double w_old = w_;
        bool stuck = false;
        if (w_ == 0.0) {
            if (std::abs(t_drive) <= t_coulomb) {
                stuck = true;
            } else {
                w_ = dt_ * (t_drive - std::copysign(t_coulomb, t_drive)) / j_eff;
            }
        } else {
            const double w_try = w_ + dt_ * (t_drive - std::copysign(t_coulomb, w_)) / j_eff;
            if ((w_try > 0.0) != (w_ > 0.0) && std::abs(t_drive) <= t_coulomb) {
                // Friction brought the rotor to rest within the step and holds it.
                stopped_at_frac_ = w_ / (w_ - w_try);
                w_ = 0.0;
                stuck = true;
            } else {
                w_ = w_try;
            }
        }
        const double alpha = (w_ - w_old) / dt_;
        if (on_cam_) {
            // Contact force the cam must supply; negative = the needle leaves the cam.
            const double contact = m * (ddx * w_old * w_old + dx * alpha) + f_ext;
            if (contact < 0.0) on_cam_ = false;
        }
        th_ += w_ * dt_;
        if (fw_tick) {
            cache_kinematics();
        } else {
            rotate_kinematics(n_ * w_ * dt_);
        }

        const double y_old = y_;
        const double v_old = v_;
        if (on_cam_) {
            y_ = cam_x();
            v_ = h_ * n_ * sin_ * w_;
        } else {
            // Velocity Verlet: second order in position, so the first step off
            // the cam does not overstate the spring's pull (semi-implicit Euler
            // would move the needle by a*dt^2 instead of a*dt^2/2 and land it
            // straight back on the cam).
            const double a0 = -(spring_force(y_) + phantom_force(y_, v_)) / m;
            y_ += v_ * dt_ + 0.5 * a0 * dt_ * dt_;
            const double a1 = -(spring_force(y_) + phantom_force(y_, v_ + a0 * dt_)) / m;
            v_ += 0.5 * (a0 + a1) * dt_;
            const double xc = cam_x();
            if (y_ <= xc) {
                // Lands on the cam: plastic impact, momentum shared through the lever.
                const double lever = h_ * n_ * sin_;
                w_ = (p_.inertia_kg_m2 * w_ + lever * m * v_) / (p_.inertia_kg_m2 + m * lever * lever);
                y_ = xc;
                v_ = lever * w_;
                on_cam_ = true;
            }
        }
        f_ph_ = phantom_force(y_, v_);

        // Sensor front ends (first-order low-pass, exact per step).
        force_lp_ += lc_alpha_ * (f_ph_ + static_load_n.load(std::memory_order_relaxed) - force_lp_);
        current_lp_ += cs_alpha_ * (i_ - current_lp_);

        record_truth(t, y_old, v_old, stuck, w_old);

        ++steps_;
        t_state_ = t + dt_ns_;
    }

    void record_truth(std::int64_t t, double y_old, double v_old, bool stuck, double w_old) noexcept {
        peak_since_tdc_ = std::max(peak_since_tdc_, f_ph_);
        if (bdc_open_ && !truth_.strokes.empty()) {
            auto& last = truth_.strokes.back();
            last.peak_force_n = std::max(last.peak_force_n, f_ph_);
        }
        if (v_old > 0.0 && v_ < 0.0) {
            const double f = v_old / (v_old - v_);
            TrueStroke s;
            s.t_bdc_ns = t + truth_epoch_ns_ + std::llround(f * static_cast<double>(dt_ns_));
            // On the cam the maximum is the cam's BDC, exactly the effective dial.
            // On the cam, turning forward through n*th = pi, the maximum is the
            // cam's BDC: exactly the effective dial. Otherwise (flight, or the
            // rotor rocking backwards) interpolate the velocity linearly.
            const bool cam_bdc = on_cam_ && was_on_cam_ && w_old > 0.0 && w_ > 0.0 && cos_ < 0.0;
            s.depth_mm = (cam_bdc ? dial_eff() : y_old + 0.5 * v_old * f * dt_) * 1e3;
            s.peak_force_n = peak_since_tdc_;
            truth_.strokes.push_back(s);
            bdc_open_ = true;
        } else if (v_old <= 0.0 && v_ > 0.0) {
            bdc_open_ = false;
            peak_since_tdc_ = f_ph_;
        }
        was_on_cam_ = on_cam_;

        // Stall truth: the rotor came to rest while the firmware was driving it.
        if (stuck && w_old != 0.0) {
            stopped_since_ns_ = t + std::llround(stopped_at_frac_ * static_cast<double>(dt_ns_));
            if (drive_ && !stall_open_) open_stall(stopped_since_ns_);
        } else if (stuck && !was_stuck_) {
            stopped_since_ns_ = t;
        }
        if (!stuck && w_ != 0.0 && stall_open_ && fw_ == FwState::running) stall_open_ = false;
        was_stuck_ = stuck;
    }

    SimParams p_;
    std::int64_t truth_epoch_ns_ = 0;
    Rng jitter_rng_;
    Rng noise_rng_;
    Rng encoder_rng_;

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
    Instrument encoder_;
    Instrument load_cell_;
    Instrument current_;

    // inputs latched for the current advance
    bool power_ = false;
    bool brake_ = false;
    double rate_hz_ = 0.0;

    // faults
    double brake_torque_n_m_ = 0.0;
    double spring_ratio_ = 1.0;
    double extra_friction_n_m_ = 0.0;
    double depth_offset_m_ = 0.0;
    bool protection_ = true;
    double count_loss_ = 0.0;
    double drift_rate_n_s_ = 0.0;
    double drift_accum_n_ = 0.0;
    std::int64_t drift_t0_ns_ = 0;
    double overrun_fraction_ = 0.0;

    // True signals around stalls (see GroundTruth::channels). The current read
    // comes last in a loop iteration, so it records the iteration's truth.
    static constexpr std::size_t kTruthChannelCapacity = 1u << 18;  // ~26 s at 10 kHz
    static constexpr std::int64_t kTruthChannelSpanNs = 3'000'000'000;
    std::int64_t truth_channels_until_ = -1;
    bool truth_prev_brake_ = false;
    void record_true_channels(double f) noexcept {
        if (brake_ && !truth_prev_brake_) truth_channels_until_ = now_ns_ + kTruthChannelSpanNs;
        truth_prev_brake_ = brake_;
        if (now_ns_ > truth_channels_until_ || truth_.channels.size() >= truth_.channels.capacity()) return;
        const double y = prev_y_ + f * (y_ - prev_y_);
        truth_.channels.push_back(TrueChannels{now_ns_ + truth_epoch_ns_, y * 1e3, i_});
    }

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

    // encoder counter
    std::int64_t enc_count_ = 0;
    std::int64_t enc_last_true_ = 0;

    // truth bookkeeping
    GroundTruth truth_;
    double peak_since_tdc_ = 0.0;
    bool bdc_open_ = false;
    bool was_on_cam_ = true;
    bool stall_open_ = false;
    bool was_stuck_ = true;
    double stopped_at_frac_ = 0.0;
    std::int64_t stopped_since_ns_ = 0;
    std::int64_t drive_since_ns_ = 0;
};

// ---------------------------------------------------------------------------
// Clocks
// ---------------------------------------------------------------------------

class LockstepClock final : public Clock {
public:
    explicit LockstepClock(SimModel& m) : m_(m) {}
    [[nodiscard]] Nanos now() const override { return Nanos(m_.now_ns()); }
    Nanos sleep_until(Nanos deadline) noexcept override {
        const std::int64_t wake = m_.wake_for(deadline.count());
        m_.advance_to(wake);
        return Nanos(wake);
    }
    [[nodiscard]] bool is_real_time() const override { return false; }

private:
    SimModel& m_;
};

class RealtimeSimClock final : public Clock {
public:
    RealtimeSimClock(SimModel& m, std::int64_t epoch_ns) : m_(m), epoch_ns_(epoch_ns) {}
    [[nodiscard]] Nanos now() const override { return mono_.now(); }
    Nanos sleep_until(Nanos deadline) noexcept override {
        const Nanos woke = mono_.sleep_until(deadline);
        m_.advance_to(woke.count() - epoch_ns_);
        return woke;
    }
    [[nodiscard]] bool is_real_time() const override { return true; }

private:
    SimModel& m_;
    std::int64_t epoch_ns_;
    MonotonicClock mono_;
};

// --- parts: thin views on the model ---
class SimPower final : public PenPower {
public:
    explicit SimPower(SimModel& m) : m_(m) {}
    bool set(bool on) noexcept override {
        m_.power_cmd.store(on, std::memory_order_relaxed);
        return true;
    }
    [[nodiscard]] bool is_on() const noexcept override { return m_.power_cmd.load(std::memory_order_relaxed); }

private:
    SimModel& m_;
};

class SimSpeed final : public SpeedCommand {
public:
    explicit SimSpeed(SimModel& m) : m_(m) {}
    bool set_rate_hz(double rate_hz) noexcept override {
        if (!std::isfinite(rate_hz) || rate_hz < 0.0) return false;
        m_.rate_cmd_hz.store(rate_hz, std::memory_order_relaxed);
        return true;
    }
    [[nodiscard]] double rate_hz() const noexcept override { return m_.rate_cmd_hz.load(std::memory_order_relaxed); }

private:
    SimModel& m_;
};

class SimDepth final : public DepthActuator {
public:
    explicit SimDepth(SimModel& m) : m_(m) {}
    bool move_to_mm(double depth_mm) noexcept override { return m_.move_dial_to(depth_mm); }
    bool busy(std::int64_t /*now_ns*/) noexcept override { return m_.dial_busy(); }
    [[nodiscard]] double position_mm() const noexcept override { return m_.dial_mm(); }

private:
    SimModel& m_;
};

class SimBrake final : public StallBrake {
public:
    explicit SimBrake(SimModel& m) : m_(m) {}
    bool set(bool engaged) noexcept override {
        m_.brake_cmd.store(engaged, std::memory_order_relaxed);
        return true;
    }
    [[nodiscard]] bool is_engaged() const noexcept override { return m_.brake_cmd.load(std::memory_order_relaxed); }

private:
    SimModel& m_;
};

class SimEncoder final : public PositionEncoder {
public:
    explicit SimEncoder(SimModel& m) : m_(m) {}
    std::optional<double> read_mm() noexcept override { return m_.read_encoder_mm(); }

private:
    SimModel& m_;
};

class SimLoadCell final : public LoadCell {
public:
    explicit SimLoadCell(SimModel& m) : m_(m) {}
    std::optional<double> read_n() noexcept override { return m_.read_force_n(); }

private:
    SimModel& m_;
};

class SimCurrent final : public CurrentSense {
public:
    explicit SimCurrent(SimModel& m) : m_(m) {}
    std::optional<double> read_a() noexcept override { return m_.read_current_a(); }

private:
    SimModel& m_;
};

class SimEStop final : public EStop {
public:
    explicit SimEStop(SimModel& m) : m_(m) {}
    [[nodiscard]] bool pressed() noexcept override { return m_.estop.load(std::memory_order_relaxed); }

private:
    SimModel& m_;
};

std::int64_t monotonic_now_ns() { return MonotonicClock{}.now().count(); }

}  // namespace

struct SimFixture::Impl {
    Impl(const FixtureConfig& c, std::uint64_t seed, SimClockMode mode)
        : config(c), epoch_ns(mode == SimClockMode::realtime ? monotonic_now_ns() : 0),
          model(c, seed, epoch_ns), power(model), speed(model), depth(model), brake(model), encoder(model),
          load_cell(model), current(model), estop(model) {
        if (mode == SimClockMode::realtime) {
            clock = std::make_unique<RealtimeSimClock>(model, epoch_ns);
        } else {
            clock = std::make_unique<LockstepClock>(model);
        }
    }
    FixtureConfig config;
    std::int64_t epoch_ns;
    SimModel model;
    std::unique_ptr<Clock> clock;
    SimPower power;
    SimSpeed speed;
    SimDepth depth;
    SimBrake brake;
    SimEncoder encoder;
    SimLoadCell load_cell;
    SimCurrent current;
    SimEStop estop;
};

SimFixture::SimFixture(const FixtureConfig& config, std::uint64_t seed, SimClockMode mode)
    : impl_(std::make_unique<Impl>(config, seed, mode)) {}
SimFixture::~SimFixture() { safe_state(); }

const FixtureConfig& SimFixture::config() const { return impl_->config; }
Clock& SimFixture::clock() { return *impl_->clock; }
PenPower& SimFixture::power() { return impl_->power; }
SpeedCommand& SimFixture::speed() { return impl_->speed; }
DepthActuator& SimFixture::depth() { return impl_->depth; }
StallBrake& SimFixture::brake() { return impl_->brake; }
PositionEncoder& SimFixture::encoder() { return impl_->encoder; }
LoadCell& SimFixture::load_cell() { return impl_->load_cell; }
CurrentSense& SimFixture::current() { return impl_->current; }
EStop& SimFixture::estop() { return impl_->estop; }

void SimFixture::safe_state() noexcept {
    if (!impl_) return;
    impl_->model.power_cmd.store(false, std::memory_order_relaxed);
    impl_->model.rate_cmd_hz.store(0.0, std::memory_order_relaxed);
    impl_->model.brake_cmd.store(false, std::memory_order_relaxed);
}

bool SimFixture::inject_fault(const FaultInjection& fault) noexcept { return impl_->model.apply_fault(fault); }
const GroundTruth* SimFixture::ground_truth() const noexcept { return &impl_->model.truth(); }
void SimFixture::apply_static_load_n(double force_n) noexcept {
    impl_->model.static_load_n.store(force_n, std::memory_order_relaxed);
}
void SimFixture::hold_needle_at_mm(double protrusion_mm) noexcept {
    impl_->model.needle_hold_m.store(protrusion_mm * 1e-3, std::memory_order_relaxed);
    impl_->model.needle_held.store(true, std::memory_order_relaxed);
}
void SimFixture::release_needle() noexcept { impl_->model.needle_held.store(false, std::memory_order_relaxed); }

void SimFixture::press_estop() noexcept { impl_->model.estop.store(true, std::memory_order_relaxed); }
void SimFixture::release_estop() noexcept { impl_->model.estop.store(false, std::memory_order_relaxed); }
SimSnapshot SimFixture::snapshot() const noexcept { return impl_->model.snapshot(); }
std::uint64_t SimFixture::substeps() const noexcept { return impl_->model.substeps(); }

std::unique_ptr<Fixture> make_sim_fixture(const FixtureConfig& config, std::uint64_t seed) {
    return make_sim_fixture(config, seed, SimClockMode::lockstep);
}
std::unique_ptr<Fixture> make_sim_fixture(const FixtureConfig& config, std::uint64_t seed, SimClockMode mode) {
    return std::make_unique<SimFixture>(config, seed, mode);
}

}  // namespace rig
