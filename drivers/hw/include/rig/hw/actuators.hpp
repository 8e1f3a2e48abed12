#pragma once
// Fixture parts on GPIO and PWM: pen power, stall brake, speed command,
// E-stop, and the two depth actuators (stepper with home switch; operator
// prompt).
//
// Ownership: each part owns its line / channel (RAII, move-only) and drives it
// to the safe level in its destructor, before the line is released: the
// kernel does not promise what a released line does.
// Thread-safety: one thread at a time, except safe() / set(false), which the
// fixture's safe-state path may call from another thread (one ioctl/pwrite).
// Real-time path: nothing here allocates, locks or throws after construction.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "rig/core/clock.hpp"
#include "rig/drivers/hw_config.hpp"
#include "rig/drivers/parts.hpp"
#include "rig/hw/gpio.hpp"
#include "rig/hw/pwm.hpp"

namespace rig::hw {

/// Set by the safe-state path (E-stop watcher, signal, exit) before it drives
/// the outputs safe; outputs that can hurt refuse to turn on while it is set.
/// Ordering (sequentially consistent): an output's set(on) writes, then
/// re-reads the inhibit and writes off if it was set meanwhile; the safe path
/// sets the inhibit, then writes off. Whatever the interleaving, the last
/// write is "off".
using SafeInhibit = std::atomic<bool>;

/// Pen power: active-high output, requested low (off).
class GpioPenPower final : public PenPower {
public:
    explicit GpioPenPower(std::unique_ptr<GpioOutput> line, const SafeInhibit* inhibit = nullptr);
    ~GpioPenPower() override;
    GpioPenPower(const GpioPenPower&) = delete;
    GpioPenPower& operator=(const GpioPenPower&) = delete;
    bool set(bool on) noexcept override;
    [[nodiscard]] bool is_on() const noexcept override;

private:
    std::unique_ptr<GpioOutput> line_;
    const SafeInhibit* inhibit_;
};

/// Stall brake solenoid: active-high output, requested low (released).
class GpioBrake final : public StallBrake {
public:
    explicit GpioBrake(std::unique_ptr<GpioOutput> line);
    ~GpioBrake() override;
    GpioBrake(const GpioBrake&) = delete;
    GpioBrake& operator=(const GpioBrake&) = delete;
    bool set(bool engaged) noexcept override;
    [[nodiscard]] bool is_engaged() const noexcept override;

private:
    std::unique_ptr<GpioOutput> line_;
};

/// Speed command as PWM duty: duty = rate / max_rate, clamped to 0..1.
class PwmSpeed final : public SpeedCommand {
public:
    PwmSpeed(std::unique_ptr<PwmChannel> pwm, double max_rate_hz);
    ~PwmSpeed() override;
    PwmSpeed(const PwmSpeed&) = delete;
    PwmSpeed& operator=(const PwmSpeed&) = delete;
    bool set_rate_hz(double rate_hz) noexcept override;
    [[nodiscard]] double rate_hz() const noexcept override { return rate_hz_; }
    /// The duty cycle for a rate (0..1), as set_rate_hz() applies it.
    [[nodiscard]] double duty_for(double rate_hz) const noexcept;

private:
    std::unique_ptr<PwmChannel> pwm_;
    double max_rate_hz_;
    double rate_hz_ = 0.0;
};

/// E-stop input with its contact wiring (hw_config.hpp, EStopContact):
/// normally closed (fail-safe: press, cut cable or lost connector read
/// high = stop) or normally open (pressed = low; a cut cable is not seen).
/// The line is requested with a pull-up and both edges.
///
/// A dedicated watcher thread owns the line from construction to destruction:
/// it blocks on the line's edge events (and re-reads the level at least every
/// `poll_fallback`), and on a stop it calls `on_stop` itself (the fixture's
/// safe state), at SCHED_FIFO `priority` when permitted. pressed() (any
/// thread) is true while the stop is active, and once for a stop that came and
/// went since the previous call. A read error counts as a stop.
class GpioEStop final : public EStop {
public:
    struct Options {
        EStopContact contact = EStopContact::normally_closed;
        std::function<void()> on_stop;             // called on the watcher thread
        std::optional<int> priority;               // SCHED_FIFO for the watcher
        std::chrono::milliseconds poll_fallback{20};
    };
    GpioEStop(std::unique_ptr<GpioInput> line, Options options);
    ~GpioEStop() override;
    GpioEStop(const GpioEStop&) = delete;
    GpioEStop& operator=(const GpioEStop&) = delete;
    [[nodiscard]] bool pressed() noexcept override;
    /// True while the input says stop (does not consume a latched stop).
    [[nodiscard]] bool active() const noexcept { return active_.load(); }
    /// Stops seen by the watcher since construction.
    [[nodiscard]] std::uint64_t stops() const noexcept { return stops_.load(); }
    /// What applying the watcher's priority said (empty when applied or not asked).
    [[nodiscard]] const std::string& priority_note() const noexcept { return priority_note_; }

private:
    bool read_stop() noexcept;  // watcher thread only
    void watch(const std::stop_token& st) noexcept;
    std::unique_ptr<GpioInput> line_;
    Options opt_;
    std::atomic<bool> active_{true};  // a stop until the first read says otherwise
    std::atomic<bool> seen_{false};
    std::atomic<std::uint64_t> stops_{0};
    std::string priority_note_;
    std::jthread thread_;
};

struct StepperSettings {
    double steps_per_mm = 1600.0;         // dial steps per mm of depth
    double max_depth_mm = 2.5;            // soft limit (0 .. max)
    double max_step_rate_hz = 2000.0;     // moves
    double homing_step_rate_hz = 500.0;   // homing (slower: switch overtravel)
    std::int64_t homing_limit_steps = 6000;  // give up homing after this many steps
    bool home_switch_active_low = true;   // switch closes to ground (pull-up)
    std::chrono::nanoseconds step_pulse{std::chrono::microseconds(5)};  // STEP high time
    std::chrono::nanoseconds dir_setup{std::chrono::microseconds(5)};   // DIR change -> next STEP edge
};

/// Stepper depth actuator: STEP/DIR outputs and a home switch input. DIR low
/// moves toward home (depth 0). home() must succeed before move_to_mm()
/// accepts a target; moves step at most at max_step_rate, advanced by busy().
/// A STEP pulse is high for `step_pulse`, timed by a busy wait on the
/// monotonic clock (not left to the gap between two ioctls, which is anything
/// from under 1 µs to a preemption); after a DIR change the next STEP edge
/// waits `dir_setup`.
class StepperDepth final : public DepthActuator {
public:
    StepperDepth(std::unique_ptr<GpioOutput> step, std::unique_ptr<GpioOutput> dir, std::unique_ptr<GpioInput> home,
                 const StepperSettings& settings);
    ~StepperDepth() override;
    StepperDepth(const StepperDepth&) = delete;
    StepperDepth& operator=(const StepperDepth&) = delete;

    /// Steps toward home at the homing rate until the switch closes; position
    /// 0 there. Blocks on `clock`. Throws std::runtime_error if the switch
    /// never closes within homing_limit_steps, or a line fails.
    void home(Clock& clock);
    [[nodiscard]] bool homed() const noexcept { return homed_; }

    bool move_to_mm(double depth_mm) noexcept override;
    bool busy(std::int64_t now_ns) noexcept override;
    [[nodiscard]] double position_mm() const noexcept override;
    [[nodiscard]] std::int64_t position_steps() const noexcept { return position_steps_; }
    /// Abandons a move (safe-state path; may be called from another thread).
    void stop() noexcept { stop_.store(true, std::memory_order_relaxed); }

private:
    bool pulse() noexcept;
    bool set_dir(bool away) noexcept;
    std::unique_ptr<GpioOutput> step_;
    std::unique_ptr<GpioOutput> dir_;
    std::unique_ptr<GpioInput> home_;
    StepperSettings s_;
    bool homed_ = false;
    std::int64_t position_steps_ = 0;
    std::int64_t target_steps_ = 0;
    std::int64_t next_step_ns_ = 0;
    std::int64_t step_period_ns_;
    std::atomic<bool> stop_{false};
    std::int64_t dir_changed_ns_ = 0;  // steady clock, for dir_setup
};

/// Depth set by an operator: move_to_mm() prints a prompt; busy() stays true
/// until the operator confirms with Enter on `input_fd` (polled without
/// blocking). For rigs without a stepper on the dial.
class PromptDepth final : public DepthActuator {
public:
    PromptDepth(int input_fd, std::ostream& out, double max_depth_mm);
    bool move_to_mm(double depth_mm) noexcept override;
    bool busy(std::int64_t now_ns) noexcept override;
    [[nodiscard]] double position_mm() const noexcept override { return position_mm_; }

private:
    int fd_;
    std::ostream* out_;
    double max_depth_mm_;
    double position_mm_ = 0.0;
    double target_mm_ = 0.0;
    bool waiting_ = false;
};

}  // namespace rig::hw
