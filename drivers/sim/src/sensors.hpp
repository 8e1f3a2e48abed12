#pragma once
// The rig's instruments as the simulated fixture presents them (DESIGN.md §4,
// "sensors as the rig sees them"): each turns a true quantity of the model
// into the reading the rig gets, with the instrument's own transfer, noise and
// faults. The rig only ever sees these readings; the model's true state goes
// to the ground truth (truth.cpp).
//
// Transfer of every instrument: the true one (model) and the one the rig
// believes (calibration record): raw code = (value - true_offset) / true_scale;
// reading = code * cal_scale + cal_offset. A fault changes the true transfer,
// never the calibration record: that is what a real instrument going wrong
// looks like to the rig.
//
// Thread-safety: the acquisition loop's thread only. No allocation.

#include <cstdint>
#include <optional>

#include "rig/drivers/fixture_config.hpp"
#include "rng.hpp"

namespace rig::sim {

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

/// Linear optical encoder on the needle carrier, counted by a quadrature
/// counter (LS7366R on the hardware fixture). The counter counts edges: it
/// knows positions only relative to where it started, so its zero is wherever
/// the fixture put it (power-up, or the zero_error fault) until a reference
/// step finds the cartridge face.
class EncoderSensor {
public:
    explicit EncoderSensor(std::uint64_t seed) : rng_(seed) {}
    void configure(double true_scale_m, double true_offset_m, bool zero_at_face, const CalibrationRecord* cal);
    /// The counter starts with the needle at protrusion y: at 0 (zero where
    /// the needle rests at start, as a quadrature counter after power-up), or
    /// with zero_at_face at the true count of y (zero at protrusion offset).
    void start_at(double y_m) noexcept;
    /// What a read would return with the needle at protrusion y now (no edge
    /// lost on the way there): the ground truth of a face reference.
    [[nodiscard]] double reading_at_mm(double y_m) const noexcept;
    /// Reading at true protrusion y, mm. Counts the edges since the last read.
    double read_mm(double y_m) noexcept;

    // Faults (FaultKind encoder_*).
    void set_count_loss(double p) noexcept { count_loss_ = p; }
    void set_count_gain(double p) noexcept { count_gain_ = p; }
    void set_scale_error(double e) noexcept { scale_error_ = e; }
    /// The counter's zero moves by `m` (a reference that is not at the face):
    /// every later reading is `m` too deep.
    void shift_zero(double m) noexcept;

private:
    [[nodiscard]] std::int64_t true_count(double y) const noexcept;
    Rng rng_;
    Instrument tr_;
    double count_loss_ = 0.0;
    double count_gain_ = 0.0;
    double scale_error_ = 0.0;
    double scale_carry_ = 0.0;  // the fraction of a count the scale error has not yet added
    bool zero_at_face_ = false;
    std::int64_t count_ = 0;
    std::int64_t last_true_ = 0;
};

/// One channel of a 24-bit delta-sigma ADC (ADS1256) behind an analogue front
/// end: the load cell's bridge amplifier or the motor's shunt amplifier. The
/// front end's low-pass is part of the model's state (it has memory); this is
/// what comes after it: zero offset and drift, noise, quantisation and the
/// converter's clip codes (a clipped reading is no reading: the sample is
/// flagged as a sensor fault).
class AdcChannel {
public:
    void configure(double true_scale, double true_offset, double noise_rms, const CalibrationRecord* cal);
    /// Reading of `value` (after the front end) at model time now_ns. `noise`
    /// is shared by the channels (one generator, drawn in read order).
    std::optional<double> read(double value, std::int64_t now_ns, Rng& noise) noexcept;

    // Faults.
    /// Zero drift: from now on the zero moves at `per_s` (either sign).
    void set_drift(double per_s, std::int64_t now_ns) noexcept;
    /// Zero offset: the zero is `offset` away from its calibration (replaces
    /// an earlier offset fault).
    void set_offset(double offset) noexcept { offset_ = offset; }
    void set_noise(double rms) noexcept { noise_rms_ = rms; }
    /// The converter's full-scale code is reached at |input| = `value` (a
    /// front-end gain too high for the load) instead of at the 24-bit range.
    void set_full_scale(double value) noexcept { full_scale_ = value; }
    /// The last read() returned no value because the code was full scale.
    [[nodiscard]] bool clipped() const noexcept { return clipped_; }

private:
    Instrument tr_;
    double full_scale_ = 0.0;  // 0: the 24-bit range only
    bool clipped_ = false;
    double noise_rms_ = 0.0;
    double offset_ = 0.0;
    double drift_rate_ = 0.0;
    double drift_accum_ = 0.0;
    std::int64_t drift_t0_ns_ = 0;
};

/// When the acquisition loop really wakes: the loop's seeded jitter, and
/// under faults, overruns (whole periods missed) and lateness (late within
/// the period: no sample missed, but later than the rig's budget).
class LoopWake {
public:
    LoopWake(std::uint64_t seed, double jitter_s, int overrun_max_periods, std::int64_t period_ns,
             std::int64_t substep_ns)
        : rng_(seed), jitter_s_(jitter_s), overrun_max_periods_(overrun_max_periods), period_ns_(period_ns),
          dt_ns_(substep_ns) {}
    /// Wake time for a lockstep sleep to `deadline`, the model being at now_ns.
    std::int64_t wake_for(std::int64_t deadline, std::int64_t now_ns) noexcept;

    void set_overrun_fraction(double f) noexcept { overrun_fraction_ = f; }
    /// Every wake is late by up to `late_ns` (uniform), never a whole period.
    void set_lateness(std::int64_t late_ns) noexcept { late_ns_ = late_ns; }

private:
    Rng rng_;
    double jitter_s_;
    int overrun_max_periods_;
    std::int64_t period_ns_;
    std::int64_t dt_ns_;
    double overrun_fraction_ = 0.0;
    std::int64_t late_ns_ = 0;
};

}  // namespace rig::sim
