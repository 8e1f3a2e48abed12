// The daemon's supervision of a run: a timer reads the acquisition loop's
// heartbeat; a loop that stops beating is tripped from here (fixture safe,
// run aborted, ERROR). It also feeds systemd's watchdog.
#include <spdlog/spdlog.h>

#include "daemon_impl.hpp"

namespace rig::daemon {

void Daemon::Impl::schedule_tick() {
    if (finished) return;
    std::chrono::nanoseconds period;
    if (active) {
        period = cfg.heartbeat_period;
    } else if (sd_watchdog.count() > 0) {
        period = sd_watchdog / 2;
    } else {
        tick.cancel();  // idle without systemd's watchdog: no timer, no wake-ups
        return;
    }
    // A tick already due sooner stays: re-arming on every event would starve it.
    if (tick.expiry() > SteadyClock::now() && tick.expiry() <= SteadyClock::now() + period) return;
    tick.expires_after(period);
    tick.async_wait([this](const asio::error_code& ec) {
        if (!ec) on_tick();
    });
}

void Daemon::Impl::on_tick() {
    const auto now = SteadyClock::now();
    bool healthy = true;
    if (active && active->session) {
        if (active->stuck.load()) {
            healthy = false;
        } else if (active->watchdog.observe(active->session->heartbeat(), now) == HeartbeatWatchdog::Status::stuck) {
            trip(active);
            healthy = false;
        }
    }
    // systemd restarts a daemon whose loop hangs: it is fed only while the
    // heartbeat advances (or no run is active).
    if (healthy && sd_watchdog.count() > 0) notify("WATCHDOG=1");
    tick.expires_at(SteadyClock::time_point{});  // let schedule_tick() arm it afresh
    schedule_tick();
}

void Daemon::Impl::trip(const std::shared_ptr<ActiveRun>& job) {
    // The loop will not make the pen safe: do it from here, then ask it to stop.
    job->session->fixture().safe_state();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(job->watchdog.stalled_for(SteadyClock::now()));
    job->stuck_reason = job->watchdog.loop_started()
                            ? "acquisition loop stuck: its heartbeat did not advance for " + std::to_string(ms.count()) +
                                  " ms; the daemon put the fixture in its safe state"
                            : "acquisition loop stuck: it made no first iteration within " +
                                  std::to_string(ms.count()) +
                                  " ms of the run's start; the daemon put the fixture in its safe state";
    job->stuck.store(true, std::memory_order_release);
    job->abort.store(true);
    spdlog::critical("run {}: {}", job->run_id, job->stuck_reason);
    if (RunEntry* e = find(job->run_id); e != nullptr && e->state == RunState::running) {
        finish_entry(*e, RunState::done, "ERROR", job->stuck_reason);
        broadcast_verdict(*e);
        persist();
    }
    audit("daemon", "run.stuck", job->run_id, {{"reason", job->stuck_reason}});
    notify("STATUS=ERROR: acquisition loop stuck in run " + job->run_id);
}

}  // namespace rig::daemon
