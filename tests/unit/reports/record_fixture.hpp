#pragma once
// The hand-made example run record (data/record_example.json, made by
// data/make_record_example.py) and the schema it must satisfy.
#include <nlohmann/json.hpp>

#include "rig/core/atomic_file.hpp"
#include "temp_dir.hpp"

namespace rig::test {
inline nlohmann::json example_record() {
    return nlohmann::json::parse(read_file(source_dir() / "tests/unit/reports/data/record_example.json"));
}
inline nlohmann::json run_record_schema() {
    return nlohmann::json::parse(read_file(source_dir() / "reports/schema/run-record.schema.json"));
}
}  // namespace rig::test
