#include "rig/daemon/watchdog.hpp"

namespace rig::daemon {

void HeartbeatWatchdog::start(Clock::time_point now) {
    seen_ = true;
    beaten_ = false;
    last_ = 0;
    since_ = now;
}

HeartbeatWatchdog::Status HeartbeatWatchdog::observe(std::uint64_t heartbeat, Clock::time_point now) {
    if (heartbeat == 0) {
        // Runner::heartbeat() reads 0 outside the loop's lifetime. Before the
        // first iteration of a started run the clock runs from the start (a
        // loop that hangs before it beats is stuck too); after the loop has
        // beaten, 0 means it ended and the record is being closed.
        if (!seen_ || beaten_) {
            seen_ = false;
            return Status::idle;
        }
        return now - since_ >= timeout_ ? Status::stuck : Status::alive;
    }
    if (!seen_ || heartbeat != last_) {
        seen_ = true;
        beaten_ = true;
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
