#pragma once
// The rig daemon (`rig serve`): one long-lived process that owns one fixture,
// runs submitted scenarios one at a time (FIFO), serves the local JSON-lines
// API (protocol.hpp, README.md) on a Unix socket and keeps the pen safe.
//
// Threads:
//  - the I/O thread (the one calling run()): an asio::io_context with the
//    socket, SIGTERM/SIGINT (asio::signal_set), the heartbeat timer and all of
//    the daemon's state (queue, runs, subscribers); nothing else touches it;
//  - one worker thread that calls Runner::run() for the run it is handed; the
//    runner's observer callbacks are posted to the I/O thread;
//  - the acquisition loop, the runner's own thread.
//
// Safety: SIGTERM/SIGINT abort the current run and wait for run() to return
// (fixture safe, record closed ABORTED), persist the state, exit 0. A client
// that disconnects never stops a run. A loop whose heartbeat stalls for
// `heartbeat_timeout` is treated as stuck: the I/O thread calls
// Fixture::safe_state() itself, aborts the run and marks it ERROR. systemd
// (Type=notify): READY=1 once the socket listens, STATUS= on every change,
// WATCHDOG=1 only while the loop's heartbeat advances or no run is active.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "rig/daemon/fixture_lock.hpp"
#include "rig/drivers/fixture.hpp"
#include "rig/runner/runner.hpp"

namespace rig::daemon {

struct DaemonConfig {
    std::filesystem::path socket_path = "/run/penrig/rig.sock";  // created 0660
    std::filesystem::path state_dir = "/var/lib/penrig";         // daemon-state.json, runs/<run-id>/
    std::filesystem::path fixture_file;                          // every run uses this fixture
    std::filesystem::path lock_dir = "/run/lock";                // penrig-<fixture>.lock
    /// Builds a fixture. Simulated fixtures are built per run with the run's
    /// seed (the model starts from rest); hardware once for the daemon's life.
    /// Default: rig::make_fixture.
    std::function<std::unique_ptr<Fixture>(const FixtureConfig&, std::uint64_t seed)> make_fixture;
    /// Completes each run's options (report, signing, audit hooks; real-time
    /// setup), called on the I/O thread after identity and folders are set.
    std::function<void(RunOptions&, const FixtureConfig&)> prepare_run;
    std::chrono::milliseconds heartbeat_timeout{1000};
    std::chrono::milliseconds heartbeat_period{250};
    std::size_t keep_finished = 200;  // finished runs remembered in the state file
};

class Daemon {
public:
    /// Loads the fixture file (throws InputError with every diagnostic), takes
    /// the fixture lock (throws FixtureBusy), loads the state file and marks
    /// interrupted runs incomplete, builds a hardware fixture. Nothing listens yet.
    explicit Daemon(DaemonConfig config);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    /// Listens and serves until SIGTERM/SIGINT or a `shutdown` request.
    /// Returns 0 after a clean stop, 2 when it had to leave a stuck run behind.
    /// Throws std::system_error when the socket cannot be set up.
    int run();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace rig::daemon
