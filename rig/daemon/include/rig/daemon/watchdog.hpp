#pragma once
// Heartbeat watchdog of the acquisition loop.
//
// The daemon samples Runner::heartbeat() (a counter the loop advances once
// per iteration) every 250 ms. The watch begins when the run starts (start()):
// a loop that has not made its first iteration within `timeout` of the run's
// start, or whose counter has not advanced for `timeout` since, is stuck: the
// daemon puts the fixture in its safe state itself, aborts the run and
// reports it ERROR. Once the loop has beaten and the heartbeat reads 0 again,
// the loop has ended (the record is being closed): nothing to supervise.
// systemd's watchdog is fed only while this says the loop is alive (or no
// loop runs), so a daemon whose loop hangs is also restarted by systemd.
//
// `timeout` is DaemonConfig::heartbeat_timeout (`rig serve
// --heartbeat-timeout`, default 5 s): long enough for a loop at wall-clock
// pace on a heavily loaded machine and for the run's set-up before the first
// iteration, short against a pen left running unsupervised.
//
// Pure logic, time passed in. Not thread-safe: one owner (the I/O thread).

#include <chrono>
#include <cstdint>

namespace rig::daemon {

class HeartbeatWatchdog {
public:
    using Clock = std::chrono::steady_clock;
    enum class Status {
        idle,   // no loop to supervise (not started with start(), or the loop has ended)
        alive,  // the heartbeat advanced less than `timeout` ago (or the run started less than `timeout` ago)
        stuck,  // no first iteration within `timeout` of the start, or no advance for `timeout`
    };

    explicit HeartbeatWatchdog(std::chrono::nanoseconds timeout) : timeout_(timeout) {}

    /// The run started at `now`: from here its loop must make its first
    /// iteration within `timeout`.
    void start(Clock::time_point now);

    /// One observation of the heartbeat counter at `now`.
    Status observe(std::uint64_t heartbeat, Clock::time_point now);

    /// Time since the heartbeat last advanced, or since the start while the
    /// loop has not beaten (0 when idle).
    [[nodiscard]] std::chrono::nanoseconds stalled_for(Clock::time_point now) const;
    /// True once the loop has made an iteration.
    [[nodiscard]] bool loop_started() const { return beaten_; }
    [[nodiscard]] std::chrono::nanoseconds timeout() const { return timeout_; }

private:
    std::chrono::nanoseconds timeout_;
    std::uint64_t last_ = 0;
    Clock::time_point since_{};
    bool seen_ = false;     // watching: started, or a heartbeat seen
    bool beaten_ = false;   // the loop has made an iteration
};

}  // namespace rig::daemon
