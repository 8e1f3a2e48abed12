#pragma once
// Records for the report tests: written at test time by the real runner
// (tests/common/real_run.hpp), and the schema they must satisfy.
#include <nlohmann/json.hpp>

#include "real_run.hpp"
#include "rig/core/atomic_file.hpp"

namespace rig::test {
/// The record `rig run` writes for a shipped scenario (run in `tmp`).
inline nlohmann::json real_record(const TempDir& tmp, const std::string& scenario_rel) {
    return real_run(tmp, scenario_rel).record;
}
inline nlohmann::json run_record_schema() {
    return nlohmann::json::parse(read_file(source_dir() / "reports/schema/run-record.schema.json"));
}
}  // namespace rig::test
