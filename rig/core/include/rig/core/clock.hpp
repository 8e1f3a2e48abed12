#pragma once
// Time is passed in: the runner and the drivers only know a Clock.
//
//  - MonotonicClock: CLOCK_MONOTONIC and clock_nanosleep(TIMER_ABSTIME); for
//    hardware, and for the sim with --realtime.
//  - The simulated clock lives with the sim fixture (drivers/sim): sleeping on
//    it advances the physics model in lockstep, so a 60 s scenario runs in a
//    fraction of a second and is bit-for-bit deterministic.
//
// Times are nanoseconds on the clock's own epoch (for MonotonicClock, the
// kernel's monotonic epoch; for the sim, the model's t = 0).
//
// Thread-safety: a Clock is used by one thread (the acquisition loop) at a
// time; now() on MonotonicClock may be called from any thread.

#include <chrono>
#include <cstdint>

namespace rig {

using Nanos = std::chrono::nanoseconds;

class Clock {
public:
    virtual ~Clock() = default;
    /// Current time on this clock.
    [[nodiscard]] virtual Nanos now() const = 0;
    /// Blocks (or, for the sim, advances the model) until `deadline`; returns
    /// the time actually woken at (>= deadline; later on a loaded machine or
    /// with injected loop jitter). Never throws.
    virtual Nanos sleep_until(Nanos deadline) noexcept = 0;
    /// True when time is real (a person or the hardware waits with it).
    [[nodiscard]] virtual bool is_real_time() const = 0;
};

class MonotonicClock final : public Clock {
public:
    [[nodiscard]] Nanos now() const override;
    Nanos sleep_until(Nanos deadline) noexcept override;
    [[nodiscard]] bool is_real_time() const override { return true; }
};

}  // namespace rig
