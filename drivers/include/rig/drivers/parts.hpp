#pragma once
// One interface per fixture part. A simulated and a real implementation of
// each live side by side (drivers/sim, drivers/hw); the backend is chosen by
// the fixture file at run time, never by #if.
//
// Common contract for every part:
//  - Lifecycle: created by the fixture factory, owned by the Fixture, which
//    outlives every use. Hardware handles are RAII and move-only; destroying a
//    part leaves its output in the safe state (pen unpowered, brake released).
//  - Thread-safety: a part is used by one thread at a time: the acquisition /
//    actuation loop during a run. safe_state() on the Fixture may be called
//    from another thread (signal path) and is lock-free.
//  - Real-time path: read and set calls do not allocate, lock or throw. A
//    failed read returns std::nullopt / false and the loop flags the sample;
//    setup failures (missing chip, bad wiring) throw at construction.

#include <cstdint>
#include <optional>

namespace rig {

/// Pen power switch. Hardware: GPIO output, active-high, pull-down (released = off).
class PenPower {
public:
    virtual ~PenPower() = default;
    /// Returns false if the output could not be driven.
    virtual bool set(bool on) noexcept = 0;
    [[nodiscard]] virtual bool is_on() const noexcept = 0;
};

/// Pen speed command. The pen's firmware regulates its motor to the commanded
/// puncture rate. Hardware: PWM duty proportional to rate (fixture mapping).
class SpeedCommand {
public:
    virtual ~SpeedCommand() = default;
    /// Commanded puncture rate, Hz; 0 = stop. Returns false on a driver error.
    virtual bool set_rate_hz(double rate_hz) noexcept = 0;
    [[nodiscard]] virtual double rate_hz() const noexcept = 0;
};

/// Turns the pen's depth dial. Hardware: stepper STEP/DIR with a home switch,
/// or an operator prompt. Moves are slow (mechanical); the loop polls busy().
class DepthActuator {
public:
    virtual ~DepthActuator() = default;
    /// Starts a move of the dial to `depth_mm` (0..max). Returns false if refused
    /// (out of range, not homed, driver error).
    virtual bool move_to_mm(double depth_mm) noexcept = 0;
    /// Advances an ongoing move (called every actuation tick with the time);
    /// returns true while still moving.
    virtual bool busy(std::int64_t now_ns) noexcept = 0;
    /// The dial setting reached so far, mm.
    [[nodiscard]] virtual double position_mm() const noexcept = 0;
};

/// Solenoid brake that stops the needle to provoke a stall.
class StallBrake {
public:
    virtual ~StallBrake() = default;
    virtual bool set(bool engaged) noexcept = 0;
    [[nodiscard]] virtual bool is_engaged() const noexcept = 0;
};

/// Needle position (linear encoder on a quadrature counter).
class PositionEncoder {
public:
    virtual ~PositionEncoder() = default;
    /// Needle protrusion beyond the cartridge face, mm (counts x calibrated
    /// scale, zero at the face); std::nullopt on a read error.
    virtual std::optional<double> read_mm() noexcept = 0;
};

/// When the value a sensor read returned was taken: `age_ns` = read time -
/// the instant the value stands for; `fresh` = false for a value already
/// returned by an earlier read (held, not a new measurement). A sensor that
/// measures at every read (the sim) keeps the default. `clipped`: the last
/// read returned no value because the converter was at a full-scale code
/// (ADS1256 0x7FFFFF / 0x800000): the input is beyond the ADC's range, which
/// the loop flags apart from a failed read (sample_force_clipped...).
struct ReadingTiming {
    std::int64_t age_ns = 0;
    bool fresh = true;
    bool clipped = false;
};

/// Load cell under the skin phantom.
class LoadCell {
public:
    virtual ~LoadCell() = default;
    /// Force, N, tare removed; std::nullopt on a read error or saturation.
    virtual std::optional<double> read_n() noexcept = 0;
    /// Timing of the value the last read_n() returned.
    [[nodiscard]] virtual ReadingTiming last_timing() const noexcept { return {}; }
};

/// Pen motor current (shunt amplifier into an ADC channel).
class CurrentSense {
public:
    virtual ~CurrentSense() = default;
    virtual std::optional<double> read_a() noexcept = 0;
    /// Timing of the value the last read_a() returned.
    [[nodiscard]] virtual ReadingTiming last_timing() const noexcept { return {}; }
};

/// Moves the needle tip onto the cartridge-face gauge (the skin phantom on the
/// load cell, whose surface is flush with the cartridge face) and back, so
/// that a `reference:` step can find the face in encoder counts (touch-off;
/// drivers/include/rig/drivers/touch_off.hpp has the sequence, the analysis
/// rig/analysis/touch_off.hpp the fit). The pen is unpowered throughout.
/// The loop starts it, then calls busy() every actuation tick with the latest
/// load-cell reading (the drive decides contact on it) until it returns false.
class FaceReferenceDrive {
public:
    virtual ~FaceReferenceDrive() = default;
    /// Starts a touch-off at `now_ns`. Returns false if refused (the fixture
    /// has no such drive, the pen is powered, a driver error).
    virtual bool start_touch_off(std::int64_t now_ns) noexcept = 0;
    /// Starts an index reference at `now_ns` (drivers/hw/README.md
    /// "Cartridge-face reference"): the pen runs slowly across the encoder's
    /// index mark with the counter latching its count at the mark, then is
    /// switched off. Returns false if refused (no index on this fixture, the
    /// pen powered, a driver error); the default refuses.
    virtual bool start_index(std::int64_t /*now_ns*/) noexcept { return false; }
    /// True while the encoder must not be read: a counter read would destroy
    /// the latch (LS7366R: RD CNTR transfers CNTR to OTR, datasheet Table 1).
    /// The loop then takes no position; those samples are invalid.
    [[nodiscard]] virtual bool encoder_suspended() const noexcept { return false; }
    /// After an index reference: the encoder's reading (counts x scale +
    /// offset, mm, on the same count as read_mm()) at the mark, or nullopt
    /// when no mark was latched within the pass.
    [[nodiscard]] virtual std::optional<double> index_latched_mm() const noexcept { return std::nullopt; }
    /// Advances it; true while the sequence is still running. `force_n`:
    /// the latest load-cell reading (std::nullopt: no valid reading).
    virtual bool busy(std::int64_t now_ns, std::optional<double> force_n) noexcept = 0;
    /// Whether the last sequence saw contact before its travel limit.
    [[nodiscard]] virtual bool contact_found() const noexcept = 0;
    /// Leaves the needle to the cam (part of the fixture's safe state).
    virtual void stop() noexcept = 0;
};

/// Operator emergency stop. Hardware: GPIO input, active-low, edge events.
class EStop {
public:
    virtual ~EStop() = default;
    /// True while the E-stop is pressed (or was pressed and not yet polled).
    [[nodiscard]] virtual bool pressed() noexcept = 0;
};

}  // namespace rig
