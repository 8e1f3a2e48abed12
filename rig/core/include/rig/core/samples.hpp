#pragma once
// One acquisition-loop sample and the event log of what the rig did.
//
// Every sample carries the time it was actually taken (never the nominal
// period): analysis uses these timestamps. Samples are plain data, trivially
// copyable, so the real-time loop can put them in a preallocated ring.

#include <cstdint>
#include <string>
#include <type_traits>

namespace rig {

/// Bit flags on a sample: problems the acquisition loop counted instead of
/// throwing (the real-time path never throws).
enum SampleFlag : std::uint32_t {
    sample_ok = 0,
    sample_late = 1u << 0,          // woken later than the loop's lateness budget
    sample_after_gap = 1u << 1,     // one or more samples before this one were missed
    sample_encoder_fault = 1u << 2, // encoder read failed / count lost
    sample_force_fault = 1u << 3,   // load-cell read failed or saturated
    sample_current_fault = 1u << 4, // current-sense read failed
    sample_estop = 1u << 5,         // E-stop input active
    sample_force_held = 1u << 6,    // force is a value already recorded (no new ADC conversion): not fresh
    sample_current_held = 1u << 7,  // current likewise
    // The ADC returned a full-scale code (ADS1256: 0x7FFFFF / 0x800000): the
    // input is beyond the converter's range, the reading carries no value
    // (the force / current fault flag is set too).
    sample_force_clipped = 1u << 8,
    sample_current_clipped = 1u << 9,
    // The encoder was deliberately not read (an index reference's pass: a
    // counter read would destroy the LS7366R's latch); the sample has no
    // position and sample_encoder_fault is set too, so no analysis uses it.
    sample_encoder_suspended = 1u << 10,
    // Bits 11-31 are free for further per-sample conditions (samples.bin
    // stores all 32 bits).
};

struct Sample {
    std::int64_t t_ns = 0;          // timestamp, ns since the run's start (clock time - t0)
    std::int64_t lateness_ns = 0;   // woken at minus scheduled wake time (>= 0)
    double position_mm = 0.0;       // needle tip protrusion beyond the cartridge face, mm
                                    // (encoder counts x calibrated scale; + = out of the pen)
    double force_n = 0.0;           // load-cell force, N, tare removed (calibrated)
    double current_a = 0.0;         // pen motor current, A (calibrated)
    double setpoint_hz = 0.0;       // commanded puncture rate at this sample, Hz (0 = off)
    std::uint32_t flags = sample_ok;
    std::uint32_t step_index = 0;   // index of the scenario step being executed
    // ADC values are conversions, not readings at t_ns: each was completed
    // (DRDY) this long before t_ns, so it belongs at t_ns - age on the time
    // base (analysis uses that instant for force and current). 0 when the
    // input delivers a value at the read itself (or a file that did not
    // record it, samples format 1 and 2). Saturates at INT32_MAX (2.1 s:
    // far beyond the loop's 100 ms sensor timeout).
    std::int32_t force_age_ns = 0;
    std::int32_t current_age_ns = 0;

    [[nodiscard]] std::int64_t force_t_ns() const { return t_ns - force_age_ns; }
    [[nodiscard]] std::int64_t current_t_ns() const { return t_ns - current_age_ns; }
};
static_assert(std::is_trivially_copyable_v<Sample>);

/// Things the rig did or saw, in time order. Analysis finds its anchors here
/// (power-on for start-up time, setpoint change for step response, brake
/// engage for stall protection).
enum class EventKind : std::uint8_t {
    step_started,
    power_on,
    power_off,
    rate_setpoint,   // value = new setpoint, Hz
    depth_setpoint,  // value = new dial setting, mm
    brake_engaged,
    brake_released,
    fault_injected,
    mark,            // a scenario `mark:` (text = its name)
    prompt,          // operator prompt shown (text = the prompt)
    estop,
    index_latched,   // an index reference's latch: the encoder's reading at the mark, mm
};

struct Event {
    std::int64_t t_ns = 0;
    EventKind kind = EventKind::mark;
    double value = 0.0;
    std::uint32_t step_index = 0;
    std::string text;
};

const char* to_string(EventKind k);

}  // namespace rig
