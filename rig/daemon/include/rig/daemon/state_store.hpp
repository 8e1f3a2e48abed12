#pragma once
// The daemon's persistent state: the queue and the state of every recent run,
// one small JSON file (`<state-dir>/daemon-state.json`), rewritten atomically
// (temp + fsync + rename, rig::write_file_atomic) on every state change.
//
// Why a JSON file and not SQLite: a handful of entries, one writer (the
// daemon's I/O thread), and an atomic rename is crash-safe by itself; a reader
// sees the previous state or the new one, never half of one. No extra
// dependency, and an operator can read it with `jq`.
//
// Queued runs keep their submission (scenario text, base folder, identity),
// so they run after a restart. Finished runs keep only their summary; the run
// folder has the rest. Thread-safety: none (one owner).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rig::daemon {

enum class RunState {
    queued,      // waiting for the fixture
    running,     // the runner has it
    done,        // finished: verdict is PASS, FAIL, ERROR or ABORTED
    incomplete,  // the daemon stopped during the run (crash, kill): never PASS
};
const char* to_string(RunState s);
std::optional<RunState> run_state_from_string(std::string_view s);

/// What a client submitted.
struct Submission {
    std::string scenario_name;    // file name shown in diagnostics and the record
    std::string scenario_text;    // the scenario YAML (kept only while queued)
    std::string base_dir;         // the client's folder of the scenario (names only: the daemon reads nothing there)
    /// Files the scenario includes (`spec:`), read by the client with its own
    /// rights: name as written in the scenario -> text.
    std::map<std::string, std::string> includes;
    std::string dut, lot;
    std::string operator_name, operator_source;
    std::vector<std::string> tags;
    std::optional<std::uint64_t> seed;  // default: the scenario's
    /// Who submitted it, from SO_PEERCRED: may abort or remove it.
    std::uint32_t submitter_uid = 0;
    std::string submitter;        // "login (uid N)"
};

struct RunEntry {
    std::string run_id;
    RunState state = RunState::queued;
    std::string scenario_id;
    Submission submission;
    std::uint64_t seed = 1;
    std::string verdict;          // "" while queued/running; PASS/FAIL/ERROR/ABORTED/INCOMPLETE
    std::string reason;
    std::string dir;              // run folder (exists once the run started)
    std::string submitted_utc, started_utc, ended_utc;

    [[nodiscard]] nlohmann::json to_json() const;
    /// Throws std::runtime_error (nlohmann::json::exception) on a malformed entry.
    static RunEntry from_json(const nlohmann::json& j);
};

class StateFile {
public:
    explicit StateFile(std::filesystem::path path) : path_(std::move(path)) {}
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

    /// The entries in submission order; none when the file does not exist.
    /// Throws std::runtime_error naming the file when it cannot be parsed.
    [[nodiscard]] std::vector<RunEntry> load() const;
    /// Writes atomically. Throws std::system_error.
    void save(const std::vector<RunEntry>& runs, const std::string& fixture_name) const;

private:
    std::filesystem::path path_;
};

/// Why a run found "running" at start is incomplete (also its record's reason).
inline constexpr const char* kInterruptedReason = "the daemon stopped during the run (crash or kill)";

/// Start-up recovery: every entry still `running` was interrupted. If its
/// record was closed before the daemon died, the record's verdict stands;
/// otherwise the entry becomes `incomplete` and its record.json (left by the
/// runner with complete=false) gets verdict INCOMPLETE and the reason.
/// Returns the ids of the entries changed.
std::vector<std::string> recover_interrupted(std::vector<RunEntry>& runs, const std::string& now_utc);

/// Sets a record's verdict and reason in place (atomic rewrite). Returns false
/// when the record does not exist or cannot be parsed.
bool rewrite_record_verdict(const std::filesystem::path& record_json, const std::string& verdict,
                            const std::string& reason);

/// Drops the oldest finished entries beyond `keep_finished` (queued and running entries always stay).
void prune_finished(std::vector<RunEntry>& runs, std::size_t keep_finished);

}  // namespace rig::daemon
