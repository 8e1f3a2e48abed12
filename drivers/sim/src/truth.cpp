// Ground truth: what really happened in the model, recorded from its own
// state as it happens (true BDC times and depths, per-strike peak force,
// stall onset, drive cut, retry), never by running the rig's analysis.

#include <algorithm>
#include <cmath>

#include "model.hpp"

namespace rig::sim {

void SimModel::record_truth(std::int64_t t, double y_old, double v_old, bool stuck, double w_old) noexcept {
    // The peak phantom force of a stroke is reached on its descent: after
    // BDC the needle retracts (y falls, the damper term is negative), so the
    // force only falls until the next descent. A stroke is therefore final
    // at its BDC and published then (GroundTruth: readers on another thread
    // see only final entries).
    peak_since_tdc_ = std::max(peak_since_tdc_, f_ph_);
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
        truth_.strokes.push(s);
    } else if (v_old <= 0.0 && v_ > 0.0) {
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

void SimModel::open_stall(std::int64_t onset) noexcept {
    truth_.stalls.open(onset + truth_epoch_ns_);
    stall_open_ = true;
}

void SimModel::record_true_channels(double f) noexcept {
    if (brake_ && !truth_prev_brake_) truth_channels_until_ = now_ns_ + kTruthChannelSpanNs;
    truth_prev_brake_ = brake_;
    if (now_ns_ > truth_channels_until_) return;
    const double y = prev_y_ + f * (y_ - prev_y_);
    truth_.channels.push(TrueChannels{now_ns_ + truth_epoch_ns_, y * 1e3, i_});  // full: not kept
}

void SimModel::record_true_rate(std::int64_t t) noexcept {
    // A span opens (or is extended) at power-on and at every change of the
    // commanded rate: the transients start-up and step-response truths need.
    if ((power_ && !rate_prev_power_) || (power_ && rate_hz_ != rate_prev_cmd_hz_)) {
        rate_span_until_ = t + kTrueRateSpanNs;
    }
    rate_prev_power_ = power_;
    rate_prev_cmd_hz_ = rate_hz_;
    const TrueRate s{t + truth_epoch_ns_, n_ * th_ / kTwoPi};
    if (t <= rate_span_until_) {
        // First the history the ring holds (the levels before the change).
        const std::size_t first = (rate_ring_next_ + kTrueRateRing - rate_ring_count_) % kTrueRateRing;
        for (std::size_t k = 0; k < rate_ring_count_; ++k) truth_.rates.push(rate_ring_[(first + k) % kTrueRateRing]);
        rate_ring_count_ = 0;
        truth_.rates.push(s);  // full: not kept (overflowed())
        return;
    }
    rate_ring_[rate_ring_next_] = s;
    rate_ring_next_ = (rate_ring_next_ + 1) % kTrueRateRing;
    rate_ring_count_ = std::min(rate_ring_count_ + 1, kTrueRateRing);
}

}  // namespace rig::sim
