#pragma once
// The acquisition loop and scenario sequencer: the real-time half of a run.
//
// One thread runs AcquisitionLoop::run(): every sample period it sleeps on
// the fixture's Clock until the next deadline, reads encoder, load cell and
// current, stamps the sample with the time it actually woke, pushes it into a
// preallocated SPSC ring, and every actuation period advances the scenario
// plan (power, setpoints, ramps, brake, waits). It never allocates, locks,
// logs or throws after construction: problems go into sample flags, counters
// and loop events, which the recorder (another thread) turns into the record.
//
// The run's first `power: on` step holds the pen unpowered for
// checks::kRunStartWindow before it switches the pen on: the samples of that
// wait are the run-start instrument checks' (tare, current-sense zero;
// rig/scenario/run_checks.hpp).
//
// On every exit from run() — plan done, abort request, E-stop, sensor
// timeout — the fixture is put in its safe state (pen off, speed 0, brake
// released) before run() returns.

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "rig/analysis/timing.hpp"
#include "rig/core/samples.hpp"
#include "rig/core/spsc_ring.hpp"
#include "rig/runner/bdc_tracker.hpp"
#include "rig/drivers/fixture.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig {

/// Loop-side events (plain data for the ring). The recorder converts them
/// into rig::Event and measurement triggers.
enum class LoopEventKind : std::uint8_t {
    step_started,    // value: -, step = plan index
    step_finished,   // a plan step is complete (measure steps: its window ends here)
    power_on,
    power_off,
    rate_setpoint,   // value: Hz
    depth_setpoint,  // value: mm (dial target)
    depth_reached,   // value: mm
    brake_engaged,
    brake_released,
    fault_injected,
    mark,
    index_latched,   // index reference: the encoder's reading at the mark, mm (none: no mark seen)
    prompt,          // waiting for the recorder to acknowledge (Loop::acknowledge_prompt)
    wait_timeout,    // a wait_until timed out (value: condition index)
    estop,           // E-stop pressed: run ends ABORTED
    sensor_timeout,  // a sensor failed for too long: run ends ERROR
    actuator_error,  // an output could not be driven or a move was refused: run ends ERROR
    abort_requested, // abort flag seen: run ends ABORTED
    ring_overflow,   // samples dropped because the recorder fell behind (value: count)
    finished,        // the loop has stopped; nothing follows
};
const char* to_string(LoopEventKind k);

struct LoopEvent {
    std::int64_t t_ns = 0;
    LoopEventKind kind = LoopEventKind::step_started;
    std::uint32_t step = 0;
    double value = 0.0;
};

/// Counters the loop publishes (read from other threads).
struct LoopStats {
    std::atomic<std::uint64_t> heartbeat{0};    // +1 per loop iteration: a watchdog sees it advance
    // The run's t0 on the fixture clock (ns): stored (release) before the
    // first sample or event is pushed, so a reader that has seen one
    // (acquire) reads the right t0 (the ground truth's offset).
    std::atomic<std::int64_t> t0_ns{0};
    std::atomic<std::uint64_t> samples{0};
    std::atomic<std::uint64_t> missed{0};       // sample periods skipped because the loop woke late
    std::atomic<std::uint64_t> late{0};         // samples later than the lateness budget
    std::atomic<std::uint64_t> dropped{0};      // samples lost to a full ring
    std::atomic<std::uint32_t> step{0};         // current plan step
    std::atomic<double> live_rate_hz{0.0};      // online rate estimate (progress display)
    std::atomic<double> live_depth_mm{0.0};     // last BDC protrusion (progress display)
    // Per-tick work: time from wake-up to the end of the tick's sensor and
    // actuator work (SPI/GPIO on hardware), in the lateness histogram's bins
    // (analysis::lateness_bin_edges_us). Written by the loop thread only;
    // read after it ended.
    std::array<std::uint64_t, analysis::lateness_bin_edges_us.size()> work_histogram{};
    std::int64_t work_max_ns = 0;
    // ADC values as recorded: fresh (new conversion) vs held, and the largest
    // age seen (ns), per input (0 = force, 1 = current).
    std::array<std::uint64_t, 2> adc_fresh{};
    std::array<std::uint64_t, 2> adc_held{};
    std::array<std::int64_t, 2> adc_age_max_ns{};
    std::array<long double, 2> adc_age_sum_ns{};
};

class AcquisitionLoop {
public:
    /// `sample_ring` and `event_ring` are drained by the recorder while the
    /// loop runs. `abort` may be set from any thread (or a signal handler).
    AcquisitionLoop(const Scenario& scenario, Fixture& fixture, SpscRing<Sample>& sample_ring,
                    SpscRing<LoopEvent>& event_ring, std::atomic<bool>& abort, LoopStats& stats);

    /// Runs the plan to the end (or an abort). Returns the run's t0 on the
    /// fixture clock. Sample and event times are ns since t0.
    std::int64_t run() noexcept;

    /// The recorder acknowledges an operator prompt (any thread).
    void acknowledge_prompt() noexcept { prompt_ack_.store(true, std::memory_order_release); }
    /// Lockstep clocks may wait for the recorder when the ring is full instead
    /// of dropping samples (there is no real time to miss).
    void set_backpressure(bool on) noexcept { backpressure_ = on; }

private:
    void emit(LoopEventKind k, std::uint32_t step, double value = 0.0) noexcept;
    bool start_step(std::size_t i) noexcept;  // false: the run must end (actuator error)
    bool tick_step(std::size_t i) noexcept;   // true: step done
    bool condition_met(const PlanStep& p) const noexcept;
    void record_work(std::int64_t woke_ns) noexcept;

    const Scenario& sc_;
    Fixture& fx_;
    SpscRing<Sample>& samples_;
    SpscRing<LoopEvent>& events_;
    std::atomic<bool>& abort_;
    LoopStats& stats_;
    std::atomic<bool> prompt_ack_{false};
    bool backpressure_ = false;

    // Run state (loop thread only).
    std::int64_t t0_ = 0;
    std::int64_t now_ = 0;         // ns since t0 of the current sample
    std::int64_t step_start_ = 0;
    double rate_sp_ = 0.0;         // current rate setpoint, Hz
    double ramp_from_ = 0.0;
    bool depth_moving_ = false;
    bool fatal_ = false;           // an actuator failed mid-step: end the run
    bool run_start_checked_ = false;  // the run-start check window before the first power-on is over
    // Online stroke tracking (for wait_until and progress).
    BdcTracker tracker_;
    double last_pos_ = 0.0;
    std::int64_t last_move_t_ = 0;
    std::int64_t sensor_fail_since_ = -1;
    std::optional<double> last_force_;  // the latest load-cell reading (a touch-off decides contact on it)
};

}  // namespace rig
