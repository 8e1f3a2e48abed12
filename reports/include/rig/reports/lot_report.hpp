#pragma once
// The HTML lot report: one self-contained file (inline CSS and SVG, no
// external assets; prints to A4 like the run report) with the lot's release
// statistics per measurement (rig/reports/lot_stats.hpp), a histogram of the
// units' values against the limits, the units counted and the rule that chose
// them.
#include <string>
#include <vector>

#include "rig/reports/lot_stats.hpp"

namespace rig {

struct LotReportInput {
    std::string lot;
    std::string source;        // where the data came from (index file, database)
    std::string unit_rule;     // the unit-count rule, as text
    std::string generated_utc;
    std::vector<LotStatistics> stats;
    std::vector<std::string> units;      // "DUT  run id  verdict" lines of the counted runs
    std::vector<std::string> excluded;   // runs not counted, with why
};

std::string lot_report_html(const LotReportInput& in);

}  // namespace rig
