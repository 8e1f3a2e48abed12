#pragma once
// Reading the run index's rows from a result row, one definition for both
// databases: the local index (SQLite, sqlite::Cursor) and the fleet database
// (PostgreSQL, rig/fleet). `C` is a column cursor: text(), flag(), int64() and
// real() (std::optional<double>, unset for NULL) each read the next column.
// The SELECT lists below give the columns in the order these functions read
// them; a database states how it spells each (times as ISO 8601 UTC text).
#include "rig/index/run_index.hpp"

namespace rig::index {

/// Columns (of `runs r`) read by read_run_columns, in order: run_id, dir,
/// verdict, complete, scenario_id, scenario_version, scenario_sha256,
/// spec_id, spec_version, fixture_id, fixture_backend, rig_id, host, dut, lot,
/// operator, sw_version, sw_commit, started_utc, ended_utc, record_sha256.
template <typename C>
void read_run_columns(C& c, RunRow& r) {
    r.run_id = c.text();
    r.dir = c.text();
    r.verdict = c.text();
    r.complete = c.flag();
    for (auto* v : {&r.scenario_id, &r.scenario_version, &r.scenario_sha256, &r.spec_id, &r.spec_version,
                    &r.fixture_id, &r.fixture_backend, &r.rig_id, &r.host, &r.dut, &r.lot, &r.operator_name,
                    &r.sw_version, &r.sw_commit, &r.started_utc, &r.ended_utc, &r.record_sha256}) {
        *v = c.text();
    }
}

/// The measurement columns, in the order read_measurement reads them.
inline constexpr const char* kMeasurementColumns =
    "m.run_id, m.seq, m.id, m.name, m.kind, m.value, m.unit, m.low, m.high, m.outcome";

template <typename C>
MeasurementRow read_measurement(C& c) {
    MeasurementRow m;
    m.run_id = c.text();
    m.seq = c.int64();
    m.id = c.text();
    m.name = c.text();
    m.kind = c.text();
    m.value = c.real();
    m.unit = c.text();
    m.low = c.real();
    m.high = c.real();
    m.outcome = c.text();
    return m;
}

/// A point: kMeasurementColumns, then (of `runs r`) scenario_id, spec_version,
/// fixture_backend, rig_id, dut, lot, verdict, started_utc, sw_commit, complete.
template <typename C>
void read_point(C& c, PointRow& p) {
    p.m = read_measurement(c);
    for (auto* v : {&p.scenario_id, &p.spec_version, &p.fixture_backend, &p.rig_id, &p.dut, &p.lot, &p.verdict,
                    &p.started_utc, &p.sw_commit}) {
        *v = c.text();
    }
    p.complete = c.flag();
}

}  // namespace rig::index
