#pragma once
// The local run index: one SQLite file in the state folder
// (`<state>/index.sqlite`, index_file()) that answers "every run of DUT
// SN-0042", "all runs of lot 24-117", "what did rig pi-3 measure last week"
// without reading run folders. The folders stay the source of truth: the
// index holds what their records say and can always be rebuilt from them
// (reindex()), each record's hash checked against its signed manifest.
//
// Schema (version kSchemaVersion, in SQLite's user_version; older files are
// migrated in place, a newer one is refused):
//   runs(run_id PK, dir, verdict, complete, scenario_id, scenario_version,
//        scenario_sha256, spec_id, spec_version, fixture_id, fixture_backend,
//        rig_id, host, dut, lot, operator, sw_version, sw_commit, started_utc,
//        ended_utc, record_sha256, sealed, e_signatures, approved, indexed_utc)
//   measurements(run_id FK ON DELETE CASCADE, seq, id, name, kind, value,
//        unit, low, high, outcome, PK(run_id, seq))
// Times are ISO 8601 UTC text (they sort as text). rig_id is the run's host:
// one rig is one machine owning its fixture (fixture_id names the fixture
// file's `name`, fixture_backend "sim" or "hardware"). record_sha256 is the
// hash the e-signatures bind (SHA-256 of canonical record.json).
//
// Thread-safety: a RunIndex is one connection, used from one thread.
// Several processes may use the same file (WAL mode, busy timeout): `rig run`
// and the daemon index concurrently.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rig/index/sqlite.hpp"
#include "rig/record/record.hpp"

namespace rig::index {

inline constexpr int kSchemaVersion = 1;

/// `<state_dir>/index.sqlite` (state_dir from rig::resolve_state_dir()).
std::filesystem::path index_file(const std::filesystem::path& state_dir);

struct RunRow {
    std::string run_id, dir, verdict;
    bool complete = false;
    std::string scenario_id, scenario_version, scenario_sha256;
    std::string spec_id, spec_version;
    std::string fixture_id, fixture_backend;
    std::string rig_id, host;
    std::string dut, lot, operator_name;
    std::string sw_version, sw_commit;
    std::string started_utc, ended_utc;
    std::string record_sha256;
    bool sealed = false;           // manifest.json present and its record.json hash matched
    std::int64_t e_signatures = 0; // entries in signatures.json
    bool approved = false;         // an e-signature with meaning "approval" (released)
};

struct MeasurementRow {
    std::string run_id;
    std::int64_t seq = 0;  // position in the record
    std::string id, name, kind;
    std::optional<double> value;
    std::string unit;
    std::optional<double> low, high;
    std::string outcome;   // PASS, FAIL, ERROR
};

/// The rows a record gives (no file access).
RunRow run_row_of(const run_record::RunRecord& r, const std::string& dir, const std::string& record_sha256);
std::vector<MeasurementRow> measurement_rows_of(const run_record::RunRecord& r);

struct RunFilter {
    std::string dut, lot, scenario, verdict, rig, since_utc, until_utc, run_id;
    bool complete_only = false;  // only runs whose record was closed
    std::size_t limit = 0;  // 0: no limit
    bool newest_first = true;
};

/// The WHERE clause a filter gives over `runs r`, every value a parameter
/// (never spliced into the SQL). `placeholder(i)` is the dialect's text for
/// the i-th parameter, 1-based ("?" for SQLite, "$i" for PostgreSQL); `args`
/// are the values in that order. Shared by the index and the fleet database
/// so that a filter means the same on both.
struct WhereClause {
    std::string sql;  // "" or " WHERE ..."
    std::vector<std::string> args;
};
WhereClause where_clause(const RunFilter& f, const std::function<std::string(std::size_t)>& placeholder);

/// A measurement point with its run's keys, for trend and lot statistics.
struct PointRow {
    MeasurementRow m;
    std::string scenario_id, spec_version, fixture_backend, rig_id, dut, lot, verdict, started_utc, sw_commit;
    bool complete = false;
};

class RunIndex {
public:
    /// Opens or creates the index file (and its folder) and migrates it to
    /// kSchemaVersion. Throws SqliteError, or std::runtime_error for a file
    /// written by a newer penrig.
    explicit RunIndex(const std::filesystem::path& file);

    /// Inserts or replaces a run and its measurements (one transaction); the
    /// measurements are numbered by their position in `ms`.
    void put(const RunRow& run, const std::vector<MeasurementRow>& ms);
    void remove(const std::string& run_id);
    [[nodiscard]] std::vector<RunRow> runs(const RunFilter& f) const;
    [[nodiscard]] std::optional<RunRow> run(const std::string& run_id) const;
    [[nodiscard]] std::vector<MeasurementRow> measurements(const std::string& run_id) const;
    /// Every measurement of the runs `f` selects, ordered by scenario,
    /// measurement id, then start time (oldest first): one row at a time to
    /// `fn`, so a caller that keeps bounded state is bounded in the run count.
    void for_each_point(const RunFilter& f, const std::function<void(const PointRow&)>& fn) const;
    /// The latest run (by start time; an unclosed run wins a tie) of each
    /// (scenario, rig) among the runs `f` selects, sorted by scenario and rig.
    [[nodiscard]] std::vector<RunRow> latest_runs(const RunFilter& f) const;
    [[nodiscard]] int schema_version() const;
    [[nodiscard]] std::int64_t run_count() const;

    sqlite::Db& db() { return db_; }

private:
    mutable sqlite::Db db_;
};

/// What indexing one folder found.
struct IndexOutcome {
    std::string run_id;
    bool indexed = false;
    std::string problem;  // why not indexed (or a warning when indexed)
};

/// Reads `run_dir`'s record (rig::run_record), computes its hash, checks
/// record.json against manifest.json when the folder is sealed (a mismatch
/// is not indexed: the folder was changed after sealing), counts the
/// e-signatures, and puts it in the index. Never throws for a bad folder.
IndexOutcome index_run_dir(RunIndex& idx, const std::filesystem::path& run_dir);

struct ReindexReport {
    std::size_t indexed = 0, refused = 0, removed = 0;
    std::vector<IndexOutcome> problems;
};
/// Rebuilds the index from the run folders directly under `runs_dir`: every
/// folder with a record.json is (re)indexed, and runs indexed in that folder
/// whose folder is gone are removed from the index.
ReindexReport reindex(RunIndex& idx, const std::filesystem::path& runs_dir);

/// The session's hook: indexes a finished run into `<state_dir>/index.sqlite`;
/// logs and returns false on failure (an index problem never changes a verdict).
bool index_finished_run(const std::filesystem::path& state_dir, const std::filesystem::path& run_dir) noexcept;

}  // namespace rig::index
