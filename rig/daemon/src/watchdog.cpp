#include "rig/daemon/watchdog.hpp"

namespace rig::daemon {

HeartbeatWatchdog::Status HeartbeatWatchdog::observe(std::uint64_t heartbeat, Clock::time_point now) {
    if (heartbeat == 0) {
        // Runner::heartbeat() reads 0 outside the loop's lifetime (the record
        // is being opened or closed): nothing to supervise.
        seen_ = false;
        return Status::idle;
    }
    if (!seen_ || heartbeat != last_) {
        seen_ = true;
        last_ = heartbeat;
        since_ = now;
        return Status::alive;
    }
    return now - since_ >= timeout_ ? Status::stuck : Status::alive;
}

std::chrono::nanoseconds HeartbeatWatchdog::stalled_for(Clock::time_point now) const {
    if (!seen_) return std::chrono::nanoseconds{0};
    return now - since_;
}

}  // namespace rig::daemon
