#pragma once
// Which runs of a lot count, and the lot's statistics from the run index.
//
// Unit-count rule (kLotUnitRule): a unit is a DUT serial. It counts once per
// scenario: its latest valid certification run of that scenario in the lot —
// a complete run with verdict PASS or FAIL (the rig measured validly). ERROR,
// ABORTED and INCOMPLETE runs did not measure the unit and are never counted;
// a retest replaces the earlier run; a run without a DUT serial is no unit.
// Every run not counted is listed with the reason.
#include <functional>
#include <string>
#include <vector>

#include "rig/index/run_index.hpp"
#include "rig/reports/lot_stats.hpp"

namespace rig::index {

inline constexpr const char* kLotUnitRule =
    "A unit (DUT serial) counts once per scenario: its latest valid certification run of that scenario in the lot "
    "(complete, verdict PASS or FAIL). ERROR, ABORTED and INCOMPLETE runs are never counted; a retest replaces the "
    "earlier run; a run without a DUT serial is not a unit.";

struct LotSelection {
    std::vector<RunRow> counted;          // in certification order (start time)
    std::vector<std::string> excluded;    // "<run id> <dut> <verdict>: why"
};

/// The unit-count rule itself, on the runs of one lot (any source), newest
/// first. The index and the fleet database (rig/fleet) both only supply rows.
LotSelection select_units(std::vector<RunRow> runs_newest_first);

/// Statistics per (scenario, measurement id) over the counted units;
/// `measurements_of` supplies each counted run's measurements.
using MeasurementSource = std::function<std::vector<MeasurementRow>(const RunRow&)>;
std::vector<LotStatistics> lot_statistics(const LotSelection& sel, const MeasurementSource& measurements_of);

/// The rule applied to the runs of `lot` in the index (optionally one scenario).
LotSelection select_lot_units(const RunIndex& idx, const std::string& lot, const std::string& scenario = {});

/// Statistics from the index.
std::vector<LotStatistics> lot_statistics(const RunIndex& idx, const LotSelection& sel);

}  // namespace rig::index
