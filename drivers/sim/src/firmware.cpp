// The pen's firmware, the device under test: boot delay, start-up ramp, PI
// speed regulation on a back-EMF speed estimate (no tachometer), stall
// detection, drive cut-off and retry or latch. It runs on its own fixed tick
// (firmware_loop_hz) and sees only what a real pen's firmware sees: its own
// drive voltage and motor current.

#include <algorithm>
#include <cmath>

#include "model.hpp"

namespace rig::sim {

void SimModel::firmware_tick(std::int64_t t) noexcept {
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
                truth_.stalls.set_retry(t + truth_epoch_ns_);
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
    const double w_cmd = kTwoPi * rate_hz_ * (1.0 + rate_error_) / n_;
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

void SimModel::start_drive() noexcept {
    fw_ = FwState::running;
    fw_timer_ = 0;
    ramp_ = 0.0;
    integ_ = 0.0;
    stall_ticks_ = 0;
    w_est_ = w_;
}

void SimModel::cut_drive(std::int64_t t) noexcept {
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
    truth_.stalls.set_cutoff(t + truth_epoch_ns_);
    if (fw_ == FwState::latched) stall_open_ = false;
}

}  // namespace rig::sim
