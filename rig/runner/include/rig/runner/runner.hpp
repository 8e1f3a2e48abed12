#pragma once
// The runner: replays a validated scenario on a Fixture, records every
// sample, takes the measurements, judges them and writes the run folder.
//
// Threads: run() starts the acquisition loop (loop.hpp) on its own thread and
// records on the calling thread. The observer is called on the calling thread.
// abort (an atomic flag owned by the caller) may be set from anywhere,
// including a signal handler.
//
// Safety: whatever happens — plan done, abort, E-stop, sensor timeout, an
// exception while recording — the fixture is left in its safe state (pen off,
// speed 0, brake released) before run() returns, and the record is closed as
// PASS/FAIL/ERROR/ABORTED with its reason. A record is written at the start
// with "complete": false, so a run killed outright leaves an incomplete
// record, never a truncated file and never a PASS.
//
// Files in the run folder (all written atomically: temp + rename):
//   record.json   the run record (reports/schema/run-record.schema.json)
//   samples.bin   every sample, binary "penrig-samples/3" (see samples_file.hpp)
//   junit.xml     one testcase per measurement
// plus whatever the finish hook adds (HTML report, signed manifest).

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rig/calibration/gate.hpp"
#include "rig/drivers/fixture.hpp"
#include "rig/record/record.hpp"
#include "rig/runner/measure.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig {

enum class Verdict { pass, fail, error, aborted };
const char* to_string(Verdict v);
/// Process exit code for a verdict: 0 pass, 1 fail, 2 error, 3 aborted.
int exit_code(Verdict v);
/// The same for a verdict as the record writes it ("INCOMPLETE" and
/// anything unknown: 2).
int exit_code_of(std::string_view verdict);

/// A new run id: UTC time, the scenario id (characters outside
/// [A-Za-z0-9_.-] replaced by '_') and 4 random hex digits, e.g.
/// "20261125T150102Z-SMOKE-01-3f2a".
std::string new_run_id(std::string_view scenario_id);

struct Identity {
    std::string name;    // operator or CI identity
    std::string source;  // "--operator", "env:GITHUB_ACTOR", "env:USER", "daemon:<client>"
};

struct RunOptions {
    std::filesystem::path runs_root = "runs";     // run folder = runs_root/<run-id>
    std::optional<std::filesystem::path> out_dir; // exact run folder (overrides runs_root)
    std::optional<std::string> run_id;            // default: generated
    Identity operator_id;
    std::string dut_serial;
    std::string lot;
    std::vector<std::string> extra_tags;
    std::uint64_t seed = 1;
    /// UTC date of the calibration decisions; default: the system clock's (utc_today()).
    std::optional<std::chrono::year_month_day> today;
    /// Called on the acquisition thread before the loop starts (real-time
    /// setup: SCHED_FIFO, affinity, mlockall). Its JSON goes into the record.
    std::function<nlohmann::json()> realtime_setup;
    /// Called once the run folder and its incomplete record exist (audit trail).
    std::function<void(const std::string& run_id, const std::filesystem::path& run_dir)> on_started;
    /// Called after the record is complete (HTML report, signed manifest).
    std::function<void(const std::filesystem::path& run_dir)> on_finished;
    /// Operator prompts: return when acknowledged; false = cannot be
    /// acknowledged (the run ends ERROR). Default: acknowledge at once (sim).
    std::function<bool(const std::string& text)> prompt;
};

/// What a client sees while a run goes on (called on the recording thread).
class RunObserver {
public:
    virtual ~RunObserver() = default;
    virtual void on_started(const std::string& /*run_id*/, const std::filesystem::path& /*dir*/) {}
    virtual void on_step(std::size_t /*index*/, const PlanStep& /*step*/, double /*t_s*/) {}
    virtual void on_progress(double /*t_s*/, double /*expected_s*/, double /*rate_hz*/, double /*depth_mm*/) {}
    virtual void on_measurement(const Measurement& /*m*/) {}
    /// A measurement judged on a cartridge-face reference whose closing check
    /// (a later `reference:` step, face_reference.hpp) is still to come: that
    /// check may still turn it into ERROR, so a live client must not take its
    /// outcome as final. `awaiting`: the closing reference's id. Default: as
    /// on_measurement (an observer that keeps only the record's final state).
    virtual void on_provisional_measurement(const Measurement& m, const std::string& /*awaiting*/) {
        on_measurement(m);
    }
    /// The final outcome of a measurement announced as provisional: after its
    /// closing check, or at the end of a run that never reached it.
    virtual void on_final_measurement(const Measurement& /*m*/) {}
    virtual void on_finished(Verdict /*v*/, const std::string& /*reason*/) {}
};

struct RunResult {
    std::string run_id;
    std::filesystem::path dir;
    Verdict verdict = Verdict::error;
    std::string reason;
    std::vector<Measurement> measurements;
    run_record::RunRecord run_record;  // the record as written (or as last written when closing failed)
    nlohmann::json record;         // the same, in its JSON form
};

/// A run the calibration gate refused (rig/calibration/gate.hpp): an
/// InputError with the gate's diagnostics, and the decision for the audit entry.
class CalibrationRefused : public InputError {
public:
    explicit CalibrationRefused(GateDecision g) : InputError(g.diagnostics), decision_(std::move(g)) {}
    [[nodiscard]] const GateDecision& decision() const { return decision_; }

private:
    GateDecision decision_;
};

class Runner {
public:
    Runner(const Scenario& scenario, Fixture& fixture, RunOptions options, std::atomic<bool>& abort,
           RunObserver* observer = nullptr);

    /// The calibration gate on RunOptions::today: throws CalibrationRefused
    /// (nothing moved, no folder made) when a `certification` scenario uses an
    /// instrument that is not valid; otherwise logs its warnings and returns it.
    GateDecision preflight() const;

    /// Runs the scenario. Never throws for run-time problems: they become the
    /// verdict. Throws only if the run folder cannot be created.
    RunResult run();

    /// Heartbeat of the acquisition loop (watchdogs read it from any thread).
    [[nodiscard]] std::uint64_t heartbeat() const;

private:
    const Scenario& sc_;
    Fixture& fx_;
    RunOptions opts_;
    std::atomic<bool>& abort_;
    RunObserver* obs_;
    std::atomic<const void*> stats_{nullptr};
};

/// What a re-analysis read and held.
struct ReanalysisStats {
    std::uint64_t samples = 0;            // samples read from the samples file
    std::size_t peak_retained_samples = 0;  // most samples held in memory at once
};

/// Recomputes every measurement of a run folder from its raw samples and the
/// scenario, spec and fixture texts stored in its record (`rig analyze`), in
/// the record's order. Streams samples.bin (or the `.part` prefix the record
/// names) in chunks through the runner's own recording path (retention plan,
/// trim, take_measurement): memory is that of the longest measurement window,
/// not of the run, and the measurements are the runner's bit for bit.
/// Throws InputError (scenario texts) or std::runtime_error (record, samples file).
std::vector<Measurement> reanalyze(const std::filesystem::path& run_dir, ReanalysisStats* stats = nullptr);

}  // namespace rig
