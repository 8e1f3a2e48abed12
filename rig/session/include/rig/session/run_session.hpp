#pragma once
// One run, as `rig run` and the daemon both start it: the fixture lock, the
// fixture, the calibration gate, the evidence hooks (audit trail, HTML report,
// signed manifest) and the run itself. What differs between the two callers
// (identity, progress output, prompts) comes in through RunOptions and the
// observer; what differs between fixtures is asked of the fixture
// (capabilities_of(), rig/drivers/fixture.hpp), never tested by backend.
//
// Lifecycle: construct (lock + fixture; nothing moves) -> preflight() (the
// gate; a refusal is audited and thrown) -> run() once. Destroying the session
// drops the fixture (safe state) and then the lock.
//
// Threads: construct and preflight() on any one thread; run() on one thread;
// heartbeat() and fixture().safe_state() from any thread (watchdogs).
#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "rig/calibration/gate.hpp"
#include "rig/drivers/fixture.hpp"
#include "rig/runner/runner.hpp"
#include "rig/session/fixture_lock.hpp"

namespace rig {

/// --state-dir if given, else $PENRIG_STATE_DIR, else `fallback`
/// (./.penrig for the CLI, /var/lib/penrig for the daemon).
std::filesystem::path resolve_state_dir(const std::string& option, const std::filesystem::path& fallback = ".penrig");

struct SessionOptions {
    std::filesystem::path state_dir = ".penrig";   // keys/rig.key, audit.jsonl
    std::filesystem::path lock_dir = "/run/lock";  // where exclusive fixtures are locked
    bool sign = true;                              // seal the run folder when a rig key exists
    /// The acquisition thread gets SCHED_FIFO, locked memory and the fixture's
    /// CPU; a fixture that does not need it (a model) then also runs on the
    /// monotonic clock. Fixtures that need it always get it.
    bool realtime = false;
    /// Today's date for the calibration gate; default today_source().
    TodayFn today;
    /// A fixture built and locked by the caller for its own lifetime (the
    /// daemon's hardware fixture). Default: the session builds (and, for an
    /// exclusive fixture, locks) one.
    Fixture* shared_fixture = nullptr;
    /// Builds the fixture; default make_fixture(cfg, seed, wall_clock).
    std::function<std::unique_ptr<Fixture>(const FixtureConfig&, std::uint64_t seed)> make_fixture;
    /// Who the audit entries name as the actor; default the run's operator.
    /// The daemon names the connected peer (login and uid from SO_PEERCRED).
    std::string actor;
    /// Called once the record is closed, before the report is rendered and the
    /// folder sealed (the daemon's watchdog fixes a stuck run's verdict here).
    std::function<void(const std::filesystem::path& run_dir)> before_evidence;
    /// Index the finished run in `<state_dir>/index.sqlite` (rig/index); a
    /// failure to index is logged and never changes the run's verdict.
    bool index = true;
    /// Called last, once the folder is sealed and indexed (the daemon queues
    /// the run for publishing to the fleet database here). Must not throw.
    std::function<void(const std::filesystem::path& run_dir)> after_evidence;
};

class RunSession {
public:
    /// Takes the fixture lock when the fixture is exclusive (throws
    /// FixtureBusy) and builds the fixture (throws what make_fixture throws).
    /// RunOptions::prompt is replaced by nullptr when the fixture answers its
    /// prompts itself; RunOptions::today defaults to SessionOptions::today.
    RunSession(const Scenario& sc, RunOptions ro, SessionOptions so, std::atomic<bool>& abort,
               RunObserver* observer = nullptr);
    ~RunSession();
    RunSession(const RunSession&) = delete;
    RunSession& operator=(const RunSession&) = delete;

    /// The calibration gate. A refusal is written to the audit trail
    /// ("run.refused", with the instruments and the date) and thrown as
    /// CalibrationRefused; warnings are logged and returned.
    GateDecision preflight();

    /// Runs the scenario (Runner::run): the run folder, the record, and at
    /// the end the HTML report, the signed manifest and the audit entry.
    RunResult run();

    [[nodiscard]] std::uint64_t heartbeat() const { return runner_->heartbeat(); }
    [[nodiscard]] Fixture& fixture() { return *fixture_; }
    [[nodiscard]] const RunOptions& options() const { return ro_; }

private:
    const Scenario& sc_;
    SessionOptions so_;
    RunOptions ro_;
    std::optional<FixtureLock> lock_;
    std::unique_ptr<Fixture> own_fixture_;
    Fixture* fixture_ = nullptr;
    std::unique_ptr<Runner> runner_;
};

/// Appends a "run.refused" entry (reason and detail) to `<state_dir>/audit.jsonl`;
/// a failure to append is logged, never thrown (the refusal stands anyway).
void audit_refusal(const std::filesystem::path& state_dir, const std::string& actor, const std::string& subject,
                   const nlohmann::json& detail);

}  // namespace rig
