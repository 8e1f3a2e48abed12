// The simulated fixture's model: construction, commands, faults and the
// lockstep advance. The model's equations are described in model.hpp.

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "model.hpp"

namespace rig::sim {
namespace {
std::int64_t to_ns(double s) { return static_cast<std::int64_t>(std::llround(s * 1e9)); }
}  // namespace

SimModel::SimModel(const FixtureConfig& cfg, std::uint64_t seed, std::int64_t truth_epoch_ns)
    : p_(cfg.sim), truth_epoch_ns_(truth_epoch_ns), noise_rng_(seed ^ 0xbb67ae8584caa73bULL),
      encoder_(seed ^ 0x3c6ef372fe94f82bULL),
      wake_(seed ^ 0x6a09e667f3bcc908ULL, cfg.sim.loop_jitter_s, cfg.sim.overrun_max_periods,
            std::max<std::int64_t>(1, std::llround(1e9 / cfg.sample_rate_hz)),
            std::max<std::int64_t>(1000, to_ns(cfg.sim.substep_s))) {
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
    phantom_face_m_ = p_.phantom_seating_offset_m;
    if (p_.phantom_seating_sd_m > 0.0) {
        // Its own stream: a seating draw does not shift the sensors' noise.
        Rng seating(seed ^ 0xa54ff53a5f1d36f1ULL);
        phantom_face_m_ += p_.phantom_seating_sd_m * seating.gauss();
    }
    detection_ticks_ = ticks_for(p_.stall_detection_s);
    retry_ticks_ = ticks_for(p_.retry_delay_s);
    boot_ticks_ = ticks_for(p_.boot_delay_s);

    encoder_.configure(p_.encoder_scale_m, p_.encoder_offset_m, p_.encoder_zero_at_face, cfg.calibration_for("encoder"));
    load_cell_.configure(p_.load_cell_scale_n, p_.load_cell_offset_n, p_.load_cell_noise_n,
                         cfg.calibration_for("load_cell"));
    current_.configure(p_.current_scale_a, p_.current_offset_a, p_.current_noise_a,
                       cfg.calibration_for("current_sense"));

    truth_.strokes.reset(kDefaultTrueStrokes);
    truth_.channels.reset(kTruthChannelCapacity);
    truth_.faces.reset(kTruthFaceCapacity);
    truth_.rates.reset(kTrueRateCapacity);

    for (const auto& f : cfg.faults) apply_fault(f);

    // Needle at TDC with the dial at 0, on the cam, rotor still.
    cache_kinematics();
    y_ = cam_x();
    v_ = 0.0;
    encoder_.start_at(y_);
    // One step so that the state ahead of `now` exists (t_prev <= now < t_state).
    step();
}

void SimModel::prepare_truth(std::chrono::nanoseconds expected) {
    const double seconds = std::chrono::duration<double>(expected).count() + 60.0;
    const double wanted = std::min(seconds * kTrueStrokeRateBoundHz, static_cast<double>(kMaxTrueStrokes));
    const auto n = std::max(kDefaultTrueStrokes, static_cast<std::size_t>(wanted));
    if (n != truth_.strokes.capacity() && truth_.strokes.empty()) truth_.strokes.reset(n);
}

void SimModel::validate() const {
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

void SimModel::advance_to(std::int64_t t) noexcept {
    if (t <= now_ns_) return;
    now_ns_ = t;
    power_ = power_cmd.load(std::memory_order_relaxed);
    brake_ = brake_cmd.load(std::memory_order_relaxed);
    rate_hz_ = std::clamp(rate_cmd_hz.load(std::memory_order_relaxed), 0.0, p_.max_rate_hz);
    touch_cmd_ = touch_engaged.load(std::memory_order_relaxed);
    touch_v_ = touch_velocity_m_s.load(std::memory_order_relaxed);
    while (t_state_ <= t) step();
}

std::optional<double> SimModel::read_encoder_mm() noexcept {
    const double f = frac();
    const double y = needle_held.load(std::memory_order_relaxed) ? needle_hold_m.load(std::memory_order_relaxed)
                                                                 : prev_y_ + f * (y_ - prev_y_);
    return encoder_.read_mm(y);
}

std::optional<double> SimModel::read_force_n() noexcept {
    const double f = frac();
    return load_cell_.read(prev_force_lp_ + f * (force_lp_ - prev_force_lp_), now_ns_, noise_rng_);
}

std::optional<double> SimModel::read_current_a() noexcept {
    const double f = frac();
    record_true_channels(f);
    return current_.read(prev_current_lp_ + f * (current_lp_ - prev_current_lp_), now_ns_, noise_rng_);
}

bool SimModel::move_dial_to(double depth_mm) noexcept {
    const double m = depth_mm * 1e-3;
    if (!std::isfinite(m) || m < 0.0 || m > max_depth_m_ + 1e-12) return false;
    dial_target_m_ = m;
    return true;
}

bool SimModel::apply_fault(const FaultInjection& f) noexcept {
    switch (f.kind) {
        case FaultKind::brake_torque: brake_torque_n_m_ = f.value; return true;
        case FaultKind::weak_spring: spring_ratio_ = f.value; return true;
        case FaultKind::extra_friction: extra_friction_n_m_ = f.value; return true;
        case FaultKind::depth_offset: depth_offset_m_ = f.value; return true;
        case FaultKind::stall_protection_missing: protection_ = false; return true;
        case FaultKind::stall_protection_slow: detection_ticks_ = ticks_for(f.value); return true;
        case FaultKind::encoder_count_loss: encoder_.set_count_loss(f.value); return true;
        case FaultKind::load_cell_drift: load_cell_.set_drift(f.value, now_ns_); return true;
        case FaultKind::loop_overrun: wake_.set_overrun_fraction(f.value); return true;
        case FaultKind::rate_error: rate_error_ = f.value; return true;
        case FaultKind::winding_resistance:
            if (!(f.value > 0.0)) return false;
            set_winding_resistance(f.value);
            return true;
        case FaultKind::encoder_count_gain: encoder_.set_count_gain(f.value); return true;
        case FaultKind::encoder_zero_error: encoder_.shift_zero(f.value); return true;
        case FaultKind::load_cell_offset: load_cell_.set_offset(f.value); return true;
        case FaultKind::current_offset: current_.set_offset(f.value); return true;
        case FaultKind::current_noise: current_.set_noise(f.value); return true;
        case FaultKind::loop_lateness: wake_.set_lateness(std::llround(f.value * 1e9)); return true;
        case FaultKind::load_cell_full_scale: load_cell_.set_full_scale(f.value); return true;
        case FaultKind::current_full_scale: current_.set_full_scale(f.value); return true;
        case FaultKind::encoder_scale_error: encoder_.set_scale_error(f.value); return true;
    }
    return false;
}

SimSnapshot SimModel::snapshot() const noexcept {
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

}  // namespace rig::sim
