#pragma once
// Heartbeat watchdog of the acquisition loop.
//
// The daemon samples Runner::heartbeat() (a counter the loop advances once
// per iteration) every 250 ms. If a running loop's counter has not advanced
// for `timeout` (1 s), the loop is stuck: the daemon puts the fixture in its
// safe state itself, aborts the run and reports it ERROR. systemd's watchdog
// is fed only while this says the loop is alive (or no loop runs), so a daemon
// whose loop hangs is also restarted by systemd.
//
// Pure logic, time passed in. Not thread-safe: one owner (the I/O thread).

#include <chrono>
#include <cstdint>

namespace rig::daemon {

class HeartbeatWatchdog {
public:
    using Clock = std::chrono::steady_clock;
    enum class Status {
        idle,   // no loop runs (heartbeat 0: before the loop started or after it ended)
        alive,  // the heartbeat advanced less than `timeout` ago
        stuck,  // the heartbeat has not advanced for `timeout` or longer
    };

    explicit HeartbeatWatchdog(std::chrono::nanoseconds timeout) : timeout_(timeout) {}

    /// One observation of the heartbeat counter at `now`.
    Status observe(std::uint64_t heartbeat, Clock::time_point now);

    /// Time since the heartbeat last advanced (0 when idle).
    [[nodiscard]] std::chrono::nanoseconds stalled_for(Clock::time_point now) const;
    [[nodiscard]] std::chrono::nanoseconds timeout() const { return timeout_; }

private:
    std::chrono::nanoseconds timeout_;
    std::uint64_t last_ = 0;
    Clock::time_point since_{};
    bool seen_ = false;
};

}  // namespace rig::daemon
