// The rig's instruments on the simulated fixture (see sensors.hpp).

#include "sensors.hpp"

#include <algorithm>
#include <cmath>

namespace rig::sim {

// --- encoder ---------------------------------------------------------------

void EncoderSensor::configure(double true_scale_m, double true_offset_m, bool zero_at_face,
                              const CalibrationRecord* cal) {
    zero_at_face_ = zero_at_face;
    tr_.true_scale = true_scale_m;
    tr_.true_offset = true_offset_m;
    tr_.calibrate(cal);
}

std::int64_t EncoderSensor::true_count(double y) const noexcept {
    return std::llround((y - tr_.true_offset) / tr_.true_scale);
}

void EncoderSensor::start_at(double y_m) noexcept {
    last_true_ = true_count(y_m);
    count_ = zero_at_face_ ? last_true_ : 0;
}

double EncoderSensor::reading_at_mm(double y_m) const noexcept {
    const auto d = static_cast<double>(true_count(y_m) - last_true_);
    const std::int64_t c = count_ + std::llround(d * (1.0 + scale_error_) + scale_carry_);
    return (static_cast<double>(c) * tr_.cal_scale + tr_.cal_offset) * 1e3;
}

void EncoderSensor::shift_zero(double m) noexcept { count_ += std::llround(m / tr_.true_scale); }

double EncoderSensor::read_mm(double y_m) noexcept {
    const std::int64_t truth_count = true_count(y_m);
    std::int64_t delta = truth_count - last_true_;
    last_true_ = truth_count;
    if (delta != 0 && (count_loss_ > 0.0 || count_gain_ > 0.0)) {
        // Each quadrature edge is missed with probability count_loss (a dirty
        // scale, a weak signal) or doubled with probability count_gain (noise
        // on the edge, a vibrating reading head): the counter random-walks
        // away from the true position, in the direction of motion.
        const std::int64_t n = delta > 0 ? delta : -delta;
        std::int64_t lost = 0;
        if (count_loss_ > 0.0) {
            for (std::int64_t k = 0; k < n; ++k) lost += rng_.uniform() < count_loss_ ? 1 : 0;
        }
        if (count_gain_ > 0.0) {
            for (std::int64_t k = 0; k < n; ++k) lost -= rng_.uniform() < count_gain_ ? 1 : 0;
        }
        delta += delta > 0 ? -lost : lost;
    }
    if (delta != 0 && scale_error_ != 0.0) {
        // A scale error: (1 + e) counts per true count, the fraction carried
        // to the next read (no rounding bias over many small moves).
        scale_carry_ += static_cast<double>(delta) * scale_error_;
        const auto whole = static_cast<std::int64_t>(std::trunc(scale_carry_));
        scale_carry_ -= static_cast<double>(whole);
        delta += whole;
    }
    count_ += delta;
    const double m = static_cast<double>(count_) * tr_.cal_scale + tr_.cal_offset;
    return m * 1e3;
}

// --- ADC channels ------------------------------------------------------------

void AdcChannel::configure(double true_scale, double true_offset, double noise_rms, const CalibrationRecord* cal) {
    tr_.true_scale = true_scale;
    tr_.true_offset = true_offset;
    tr_.calibrate(cal);
    noise_rms_ = noise_rms;
}

void AdcChannel::set_drift(double per_s, std::int64_t now_ns) noexcept {
    drift_accum_ += drift_rate_ * static_cast<double>(now_ns - drift_t0_ns_) * 1e-9;
    drift_rate_ = per_s;
    drift_t0_ns_ = now_ns;
}

std::optional<double> AdcChannel::read(double value, std::int64_t now_ns, Rng& noise) noexcept {
    double v = value;
    v += drift_accum_ + drift_rate_ * static_cast<double>(now_ns - drift_t0_ns_) * 1e-9;
    v += offset_;
    v += noise_rms_ * noise.gauss();
    double code = std::nearbyint((v - tr_.true_offset) / tr_.true_scale);
    // ADS1256 (datasheet §9.4.2, data format): 24-bit two's complement; an
    // input beyond full scale reads 0x7FFFFF / 0x800000. Those codes carry no
    // value: the rig gets no reading (a sensor-fault flag on the sample), and
    // the part says it was a clip (a clip flag on the sample).
    constexpr double kAdcFullScale = 8388607.0;
    if (full_scale_ > 0.0 && std::abs(v - tr_.true_offset) >= full_scale_) {
        code = v > tr_.true_offset ? kAdcFullScale : -kAdcFullScale - 1.0;
    }
    clipped_ = code >= kAdcFullScale || code <= -kAdcFullScale - 1.0;
    if (clipped_) return std::nullopt;
    return code * tr_.cal_scale + tr_.cal_offset;
}

// --- loop wake-up --------------------------------------------------------------

std::int64_t LoopWake::wake_for(std::int64_t deadline, std::int64_t now_ns) noexcept {
    if (deadline <= now_ns) return now_ns;  // already late: no sleep at all
    std::int64_t wake = deadline;
    if (overrun_fraction_ > 0.0 && rng_.uniform() < overrun_fraction_) {
        // An overrun: the loop wakes 2..overrun_max_periods periods late.
        const int span = std::max(1, overrun_max_periods_ - 1);
        const auto k = 2 + static_cast<std::int64_t>(rng_.uniform() * static_cast<double>(span));
        wake += k * period_ns_;
    }
    if (late_ns_ > 0) {
        // Late within the period: the sample is taken, only late (a busy core,
        // a kernel without PREEMPT_RT). Never a whole period: that would be a
        // missed sample, which is what loop_overrun models.
        const auto late = static_cast<std::int64_t>(rng_.uniform() * static_cast<double>(late_ns_));
        wake += std::min(late, period_ns_ - 1);
    }
    if (jitter_s_ > 0.0) {
        // Jitter never carries the wake across the next sub-step boundary:
        // commands issued after this wake then land on the same boundary
        // whatever the seed, so the truth does not depend on the noise.
        const std::int64_t to_boundary = dt_ns_ - 1 - ((wake % dt_ns_) + dt_ns_) % dt_ns_;
        const double j = std::abs(rng_.gauss()) * jitter_s_ * 1e9;
        wake += std::min(static_cast<std::int64_t>(j), to_boundary);
    }
    return wake;
}

}  // namespace rig::sim
