#include "rig/index/run_index.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "rig/core/atomic_file.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/index/rows.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/reports/signatures.hpp"

namespace rig::index {

namespace fs = std::filesystem;

fs::path index_file(const fs::path& state_dir) { return state_dir / "index.sqlite"; }

namespace {

// Migrations, in order: migration i brings user_version from i to i + 1.
// A released migration is never edited; a change is a new one.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE runs (
  run_id TEXT PRIMARY KEY,
  dir TEXT NOT NULL,
  verdict TEXT NOT NULL,
  complete INTEGER NOT NULL,
  scenario_id TEXT NOT NULL, scenario_version TEXT NOT NULL, scenario_sha256 TEXT NOT NULL,
  spec_id TEXT NOT NULL, spec_version TEXT NOT NULL,
  fixture_id TEXT NOT NULL, fixture_backend TEXT NOT NULL,
  rig_id TEXT NOT NULL, host TEXT NOT NULL,
  dut TEXT NOT NULL, lot TEXT NOT NULL, operator TEXT NOT NULL,
  sw_version TEXT NOT NULL, sw_commit TEXT NOT NULL,
  started_utc TEXT NOT NULL, ended_utc TEXT NOT NULL,
  record_sha256 TEXT NOT NULL,
  sealed INTEGER NOT NULL, e_signatures INTEGER NOT NULL, approved INTEGER NOT NULL,
  indexed_utc TEXT NOT NULL
);
CREATE INDEX runs_dut ON runs(dut, started_utc);
CREATE INDEX runs_lot ON runs(lot, started_utc);
CREATE INDEX runs_scenario ON runs(scenario_id, started_utc);
CREATE INDEX runs_rig ON runs(rig_id, started_utc);
CREATE INDEX runs_started ON runs(started_utc);
CREATE TABLE measurements (
  run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
  value REAL, unit TEXT NOT NULL, low REAL, high REAL,
  outcome TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE INDEX measurements_id ON measurements(id);
)sql",
};
constexpr int kMigrationCount = static_cast<int>(std::size(kMigrations));
static_assert(kMigrationCount == kSchemaVersion);

constexpr const char* kRunColumns =
    "r.run_id, r.dir, r.verdict, r.complete, r.scenario_id, r.scenario_version, r.scenario_sha256, r.spec_id, "
    "r.spec_version, r.fixture_id, r.fixture_backend, r.rig_id, r.host, r.dut, r.lot, r.operator, r.sw_version, "
    "r.sw_commit, r.started_utc, r.ended_utc, r.record_sha256, r.sealed, r.e_signatures, r.approved";

RunRow read_run(const sqlite::Stmt& s) {
    RunRow r;
    sqlite::Cursor c(s);
    read_run_columns(c, r);
    r.sealed = c.flag();
    r.e_signatures = c.int64();
    r.approved = c.flag();
    return r;
}

WhereClause where_of(const RunFilter& f) {
    return where_clause(f, [](std::size_t) { return std::string("?"); });
}
void bind_where(sqlite::Stmt& s, const WhereClause& w) {
    for (std::size_t i = 0; i < w.args.size(); ++i) s.bind(static_cast<int>(i + 1), w.args[i]);
}

}  // namespace

WhereClause where_clause(const RunFilter& f, const std::function<std::string(std::size_t)>& placeholder) {
    WhereClause w;
    auto add = [&](const std::string& v, const char* column, const char* op) {
        if (v.empty()) return;
        w.sql += w.sql.empty() ? " WHERE " : " AND ";
        w.args.push_back(v);
        w.sql += std::string(column) + " " + op + " " + placeholder(w.args.size());
    };
    add(f.run_id, "r.run_id", "=");
    add(f.dut, "r.dut", "=");
    add(f.lot, "r.lot", "=");
    add(f.scenario, "r.scenario_id", "=");
    add(f.verdict, "r.verdict", "=");
    add(f.rig, "r.rig_id", "=");
    add(f.since_utc, "r.started_utc", ">=");
    add(f.until_utc, "r.started_utc", "<");
    if (f.complete_only) w.sql += w.sql.empty() ? " WHERE r.complete" : " AND r.complete";
    return w;
}

RunRow run_row_of(const run_record::RunRecord& r, const std::string& dir, const std::string& record_sha256) {
    RunRow o;
    o.run_id = r.run_id;
    o.dir = dir;
    o.verdict = r.complete ? r.verdict : std::string("INCOMPLETE");
    o.complete = r.complete;
    o.scenario_id = r.scenario.id;
    o.scenario_version = r.scenario.version;
    o.scenario_sha256 = r.scenario.sha256;
    o.spec_id = r.spec.id;
    o.spec_version = r.spec.version;
    o.fixture_id = r.fixture.name;
    o.fixture_backend = r.fixture.backend;
    o.rig_id = r.host;
    o.host = r.host;
    o.dut = r.dut.serial;
    o.lot = r.dut.lot;
    o.operator_name = r.operator_id.name;
    o.sw_version = r.software.version;
    o.sw_commit = r.software.commit;
    o.started_utc = r.started_utc;
    o.ended_utc = r.ended_utc.value_or("");
    o.record_sha256 = record_sha256;
    return o;
}

std::vector<MeasurementRow> measurement_rows_of(const run_record::RunRecord& r) {
    std::vector<MeasurementRow> out;
    out.reserve(r.measurements.size());
    std::int64_t seq = 0;
    for (const auto& m : r.measurements) {
        MeasurementRow row;
        row.run_id = r.run_id;
        row.seq = seq++;
        row.id = m.id;
        row.name = m.name;
        row.kind = m.kind;
        row.value = m.value;
        row.unit = m.unit;
        row.low = m.low;
        row.high = m.high;
        row.outcome = to_string(m.outcome);
        out.push_back(std::move(row));
    }
    return out;
}

RunIndex::RunIndex(const fs::path& file) : db_([&file] {
    if (file.has_parent_path()) fs::create_directories(file.parent_path());
    return sqlite::Db(file);
}()) {
    db_.exec("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;");
    sqlite::Transaction tx(db_);
    int v = schema_version();
    if (v > kSchemaVersion) {
        throw std::runtime_error(file.string() + ": index schema version " + std::to_string(v) +
                                 " is newer than this penrig's (" + std::to_string(kSchemaVersion) + ")");
    }
    for (; v < kSchemaVersion; ++v) {
        db_.exec(kMigrations[v]);
        db_.exec("PRAGMA user_version = " + std::to_string(v + 1));
    }
    tx.commit();
}

int RunIndex::schema_version() const {
    auto s = db_.prepare("PRAGMA user_version");
    s.step();
    return static_cast<int>(s.int64(0));
}

std::int64_t RunIndex::run_count() const {
    auto s = db_.prepare("SELECT count(*) FROM runs");
    s.step();
    return s.int64(0);
}

void RunIndex::put(const RunRow& r, const std::vector<MeasurementRow>& ms) {
    sqlite::Transaction tx(db_);
    db_.prepare("DELETE FROM runs WHERE run_id = ?").bind(1, r.run_id).run();
    auto s = db_.prepare(
        "INSERT INTO runs (run_id, dir, verdict, complete, scenario_id, scenario_version, scenario_sha256, spec_id, "
        "spec_version, fixture_id, fixture_backend, rig_id, host, dut, lot, operator, sw_version, sw_commit, "
        "started_utc, ended_utc, record_sha256, sealed, e_signatures, approved, indexed_utc) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    int c = 0;
    auto text = [&s, &c](const std::string& v) { s.bind(++c, v); };
    auto flag = [&s, &c](bool v) { s.bind(++c, std::int64_t{v}); };
    text(r.run_id);
    text(r.dir);
    text(r.verdict);
    flag(r.complete);
    for (const auto* v : {&r.scenario_id, &r.scenario_version, &r.scenario_sha256, &r.spec_id, &r.spec_version,
                          &r.fixture_id, &r.fixture_backend, &r.rig_id, &r.host, &r.dut, &r.lot, &r.operator_name,
                          &r.sw_version, &r.sw_commit, &r.started_utc, &r.ended_utc, &r.record_sha256}) {
        text(*v);
    }
    flag(r.sealed);
    s.bind(++c, r.e_signatures);
    flag(r.approved);
    text(utc_now());
    s.run();
    auto m = db_.prepare(
        "INSERT INTO measurements (run_id, seq, id, name, kind, value, unit, low, high, outcome) "
        "VALUES (?,?,?,?,?,?,?,?,?,?)");
    std::int64_t seq = 0;  // position in the record (the caller's seq is not trusted to be unique)
    for (const auto& x : ms) {
        m.bind(1, r.run_id).bind(2, seq++).bind(3, x.id).bind(4, x.name).bind(5, x.kind).bind(6, x.value);
        m.bind(7, x.unit).bind(8, x.low).bind(9, x.high).bind(10, x.outcome);
        m.run();
    }
    tx.commit();
}

void RunIndex::remove(const std::string& run_id) {
    db_.prepare("DELETE FROM runs WHERE run_id = ?").bind(1, run_id).run();
}

std::vector<RunRow> RunIndex::runs(const RunFilter& f) const {
    const auto w = where_of(f);
    std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs r" + w.sql + " ORDER BY r.started_utc " +
                      (f.newest_first ? "DESC" : "ASC") + ", r.run_id";
    if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
    auto s = db_.prepare(sql);
    bind_where(s, w);
    std::vector<RunRow> out;
    while (s.step()) out.push_back(read_run(s));
    return out;
}

std::optional<RunRow> RunIndex::run(const std::string& run_id) const {
    RunFilter f;
    f.run_id = run_id;
    auto v = runs(f);
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
}

std::vector<MeasurementRow> RunIndex::measurements(const std::string& run_id) const {
    auto s = db_.prepare(
        std::string("SELECT ") + kMeasurementColumns + " FROM measurements m WHERE m.run_id = ? ORDER BY m.seq");
    s.bind(1, run_id);
    std::vector<MeasurementRow> out;
    while (s.step()) {
        sqlite::Cursor c(s);
        out.push_back(read_measurement(c));
    }
    return out;
}

std::vector<RunRow> RunIndex::latest_runs(const RunFilter& f) const {
    const auto w = where_of(f);
    // Newest first per (scenario, rig); the first row of each group is its latest.
    const std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs r" + w.sql +
                            " ORDER BY r.scenario_id, r.rig_id, r.started_utc DESC, r.complete ASC, r.run_id";
    auto s = db_.prepare(sql);
    bind_where(s, w);
    std::vector<RunRow> out;
    while (s.step()) {
        const auto scenario = s.text(4);
        const auto rig = s.text(11);
        if (!out.empty() && out.back().scenario_id == scenario && out.back().rig_id == rig) continue;
        out.push_back(read_run(s));
    }
    return out;
}

void RunIndex::for_each_point(const RunFilter& f, const std::function<void(const PointRow&)>& fn) const {
    const auto w = where_of(f);
    const std::string sql =
        std::string("SELECT ") + kMeasurementColumns +
        ", r.scenario_id, r.spec_version, r.fixture_backend, r.rig_id, r.dut, r.lot, r.verdict, r.started_utc, "
        "r.sw_commit, r.complete FROM measurements m JOIN runs r ON r.run_id = m.run_id" +
        w.sql + " ORDER BY r.scenario_id, m.id, r.started_utc, r.run_id";
    auto s = db_.prepare(sql);
    bind_where(s, w);
    PointRow p;
    while (s.step()) {
        sqlite::Cursor c(s);
        read_point(c, p);
        fn(p);
    }
}

IndexOutcome index_run_dir(RunIndex& idx, const fs::path& run_dir) {
    IndexOutcome out;
    try {
        const auto rec = run_record::read_record((run_dir / "record.json").string());
        out.run_id = rec.run_id;
        auto row = run_row_of(rec, fs::absolute(run_dir).lexically_normal().string(), record_sha256(run_dir));
        std::error_code ec;
        if (fs::exists(run_dir / "manifest.json", ec)) {
            // The folder is sealed: its record must be the one sealed.
            const auto manifest = nlohmann::json::parse(read_file(run_dir / "manifest.json"));
            const auto listed = manifest.at("files").at("record.json").at("sha256").get<std::string>();
            if (listed != file_sha256(run_dir / "record.json")) {
                out.problem = "record.json differs from the hash in manifest.json (changed after sealing): not indexed";
                return out;
            }
            row.sealed = true;
        }
        for (const auto& s : read_signatures(run_dir)) {
            ++row.e_signatures;
            if (s.meaning == "approval") row.approved = true;
        }
        idx.put(row, measurement_rows_of(rec));
        out.indexed = true;
    } catch (const std::exception& e) {
        out.problem = e.what();
    }
    return out;
}

ReindexReport reindex(RunIndex& idx, const fs::path& runs_dir) {
    ReindexReport rep;
    const auto base = fs::absolute(runs_dir).lexically_normal();
    std::vector<std::string> present;
    for (const auto& e : fs::directory_iterator(runs_dir)) {
        std::error_code ec;
        if (!e.is_directory(ec) || !fs::exists(e.path() / "record.json", ec)) continue;
        auto o = index_run_dir(idx, e.path());
        if (o.indexed) {
            ++rep.indexed;
        } else {
            ++rep.refused;
            if (o.run_id.empty()) o.run_id = e.path().filename().string();
            rep.problems.push_back(std::move(o));
        }
    }
    // Runs indexed under this folder whose folder is gone (or no longer a run).
    std::vector<std::string> stale;
    {
        auto s = idx.db().prepare("SELECT run_id, dir FROM runs");
        while (s.step()) {
            const fs::path dir = s.text(1);
            std::error_code ec;
            if (dir.parent_path() == base && !fs::exists(dir / "record.json", ec)) stale.push_back(s.text(0));
        }
    }
    for (const auto& id : stale) {
        idx.remove(id);
        ++rep.removed;
    }
    return rep;
}

bool index_finished_run(const fs::path& state_dir, const fs::path& run_dir) noexcept {
    try {
        RunIndex idx(index_file(state_dir));
        const auto o = index_run_dir(idx, run_dir);
        if (!o.indexed) spdlog::warn("run index: {} not indexed: {}", run_dir.string(), o.problem);
        return o.indexed;
    } catch (const std::exception& e) {
        spdlog::warn("run index: {}: {}", index_file(state_dir).string(), e.what());
        return false;
    }
}

}  // namespace rig::index
