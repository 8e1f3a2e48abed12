#pragma once
// Synthetic index rows for the filter and retention tests.
#include "rig/index/run_index.hpp"

namespace rig::test {
inline index::RunRow index_row(const std::string& id, const std::string& started, const std::string& dut,
                               const std::string& lot = "L1", const std::string& rig = "rig-a",
                               const std::string& verdict = "PASS") {
    index::RunRow r;
    r.run_id = id;
    r.dir = "/nonexistent/runs/" + id;
    r.verdict = verdict;
    r.complete = verdict != "INCOMPLETE";
    r.scenario_id = "SMOKE-01";
    r.spec_version = "1.0";
    r.fixture_id = "sim-01";
    r.fixture_backend = "sim";
    r.rig_id = rig;
    r.host = rig;
    r.dut = dut;
    r.lot = lot;
    r.started_utc = started;
    r.ended_utc = started;
    r.record_sha256 = "h-" + id;
    r.sealed = true;
    return r;
}
inline index::MeasurementRow index_measurement(const std::string& id, std::optional<double> v, const char* outcome = "PASS") {
    index::MeasurementRow m;
    m.id = id;
    m.name = id;
    m.kind = "rate";
    m.value = v;
    m.unit = "Hz";
    m.low = 100.0;
    m.high = 120.0;
    m.outcome = outcome;
    return m;
}
}  // namespace rig::test
