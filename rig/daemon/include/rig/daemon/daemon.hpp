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
//  - the acquisition loop, the runner's own thread;
//  - when the dashboard is on (DaemonConfig::http), one HTTP thread that reads
//    what the I/O thread publishes (rig/daemon/src/dashboard_feed.hpp) and
//    hands writes to the I/O thread; it never touches the runner or the loop.
//
// Safety: SIGTERM/SIGINT/SIGQUIT abort the current run and wait for run() to return
// (fixture safe, record closed ABORTED), persist the state, exit 0. A client
// that disconnects never stops a run. A loop whose heartbeat stalls for
// `heartbeat_timeout`, or that makes no first iteration within it of the
// run's start, is treated as stuck: the I/O thread calls
// Fixture::safe_state() itself, aborts the run and marks it ERROR. systemd
// (Type=notify): READY=1 once the socket listens, STATUS= on every change,
// WATCHDOG=1 only while the loop's heartbeat advances or no run is active.
// SIGHUP is logged and otherwise ignored (there is nothing to reload);
// SIGPIPE is ignored (a client that left is seen as a write error).
//
// Files: the daemon opens no path a client names. Clients send the scenario
// text and the texts of the files it includes (`rig submit` reads them with
// the caller's rights); a `spec:` not sent is looked up by file name in
// `library_dir`. Every run uses the daemon's own fixture file.
//
// Authorisation (peer credentials from SO_PEERCRED, checked per operation):
// anyone who can connect (the socket is 0660: owner and group) may submit,
// read and watch; a run may be aborted or removed from the queue by its
// submitter, the daemon's own user and root; `shutdown` by the daemon's own
// user and root. Every state change goes to the audit trail with the peer as
// the actor.

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "rig/calibration/gate.hpp"
#include "rig/daemon/http.hpp"
#include "rig/session/fixture_lock.hpp"
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
    /// Seal run folders when `<state_dir>/keys/rig.key` exists.
    bool sign = true;
    /// Fleet database URL (PostgreSQL): every finished, sealed run is queued in
    /// `<state_dir>/outbox` and published (rig/fleet); "" = do not publish.
    std::string publish_db;
    /// Real-time acquisition thread for fixtures that do not need it anyway
    /// (a model then runs on the monotonic clock).
    bool realtime = false;
    /// Today's date for the calibration gate; default rig::today_source().
    TodayFn today;
    /// The rig's read-only library of shipped specs (e.g. /usr/share/penrig):
    /// a submitted scenario's `spec:` that the client did not send is looked
    /// up here by file name, never at the client's path.
    std::filesystem::path library_dir;
    /// Limits (each refusal names its limit).
    std::size_t max_queue = 64;           // queued runs in all
    std::size_t max_queue_per_user = 16;  // queued runs of one uid
    /// A loop is stuck after this long without a heartbeat (or without its
    /// first iteration from the run's start): watchdog.hpp says why 5 s.
    std::chrono::milliseconds heartbeat_timeout{5000};
    std::chrono::milliseconds heartbeat_period{250};
    std::size_t keep_finished = 200;  // finished runs remembered in the state file
    /// The web dashboard and /metrics (http.hpp); off while `http.listen` is empty.
    HttpConfig http;
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
