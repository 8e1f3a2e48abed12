#include "rig/fleet/fleet_query.hpp"

#include <cstdlib>

#include "rig/index/rows.hpp"

namespace rig::fleet {

namespace {

using Row = std::vector<std::optional<std::string>>;

// Times as the index stores them (rig::utc_timestamp: milliseconds, 'Z').
#define PENRIG_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

// The columns rig/index/rows.hpp reads, spelled for PostgreSQL (no folder: a
// published run is not on this machine).
constexpr const char* kRunColumns =
    "r.run_id, '' AS dir, r.verdict, r.complete, r.scenario_id, r.scenario_version, r.scenario_sha256, r.spec_id, "
    "r.spec_version, r.fixture_id, r.fixture_backend, r.rig_id, r.host, r.dut, r.lot, r.operator, r.sw_version, "
    "r.sw_commit, " PENRIG_UTC("r.started_utc") ", coalesce(" PENRIG_UTC("r.ended_utc") ", ''), r.record_sha256";

/// A libpq result row as a column cursor (rig/index/rows.hpp).
class Cols {
public:
    explicit Cols(const Row& r) : r_(r) {}
    std::string text() { return r_.at(c_++).value_or(""); }
    bool flag() { return text() == "t"; }
    std::int64_t int64() { return std::strtoll(text().c_str(), nullptr, 10); }
    std::optional<double> real() {
        const auto& v = r_.at(c_++);
        if (!v) return std::nullopt;
        return std::strtod(v->c_str(), nullptr);
    }

private:
    const Row& r_;
    std::size_t c_ = 0;
};

index::WhereClause where_of(const index::RunFilter& f) {
    return index::where_clause(f, [](std::size_t i) { return "$" + std::to_string(i); });
}

std::vector<std::optional<std::string>> params_of(const index::WhereClause& w) {
    return {w.args.begin(), w.args.end()};
}

}  // namespace

std::vector<index::RunRow> runs(Db& db, const index::RunFilter& f) {
    const auto w = where_of(f);
    std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs r" + w.sql + " ORDER BY r.started_utc " +
                      (f.newest_first ? "DESC" : "ASC") + ", r.run_id";
    if (f.limit > 0) sql += " LIMIT " + std::to_string(f.limit);
    std::vector<index::RunRow> out;
    for (const auto& row : db.exec(sql, params_of(w))) {
        Cols c(row);
        auto& r = out.emplace_back();
        index::read_run_columns(c, r);
        r.sealed = true;
    }
    return out;
}

std::vector<index::MeasurementRow> measurements(Db& db, const std::string& run_id) {
    std::vector<index::MeasurementRow> out;
    for (const auto& row : db.exec(std::string("SELECT ") + index::kMeasurementColumns +
                                       " FROM measurements m WHERE m.run_id = $1 ORDER BY m.seq",
                                   {run_id})) {
        Cols c(row);
        out.push_back(index::read_measurement(c));
    }
    return out;
}

void for_each_point(Db& db, const index::RunFilter& f, const std::function<void(const index::PointRow&)>& fn) {
    const auto w = where_of(f);
    // A cursor, fetched in batches: memory is bounded by the batch, not the run count.
    const std::string sql = std::string("DECLARE penrig_points NO SCROLL CURSOR FOR SELECT ") + index::kMeasurementColumns +
                            ", r.scenario_id, r.spec_version, r.fixture_backend, r.rig_id, r.dut, r.lot, r.verdict, " +
                            PENRIG_UTC("r.started_utc") + ", r.sw_commit, r.complete " +
                            "FROM measurements m JOIN runs r ON r.run_id = m.run_id" + w.sql +
                            " ORDER BY r.scenario_id, m.id, r.started_utc, r.run_id";
    db.exec("BEGIN READ ONLY");
    try {
        db.exec(sql, params_of(w));
        index::PointRow p;
        for (;;) {
            const auto batch = db.exec("FETCH 1000 FROM penrig_points");
            for (const auto& row : batch) {
                Cols c(row);
                index::read_point(c, p);
                fn(p);
            }
            if (batch.size() < 1000) break;
        }
        db.exec("COMMIT");
    } catch (...) {
        try {
            db.exec("ROLLBACK");
        } catch (...) {  // the connection is gone: the server rolled back
        }
        throw;
    }
}

}  // namespace rig::fleet
