#pragma once
// The short human summary printed at the end of `rig run`: verdict, run
// folder, one line per measurement (value, limits, outcome), and for the sim
// the error against ground truth.
#include <nlohmann/json.hpp>

#include <ostream>

#include "rig/record/record.hpp"

namespace rig {
void print_summary(std::ostream& out, const run_record::RunRecord& record, bool color);
/// The same from the record's JSON form (read through run_record::RunRecord).
void print_summary(std::ostream& out, const nlohmann::json& record, bool color);
}  // namespace rig
