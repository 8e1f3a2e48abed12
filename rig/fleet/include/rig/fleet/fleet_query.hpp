#pragma once
// Reading the fleet database in the run index's row types (rig/index), so
// that everything computed from rows (the lot's unit rule and statistics, the
// rig comparison) is one code path for both sources. A filter means the same
// here as on the index (index::where_clause). Times come back as ISO 8601 UTC
// text with milliseconds, as the index stores them.
//
// Thread-safety: as fleet::Db (one connection, one thread).
#include <functional>
#include <string>
#include <vector>

#include "rig/fleet/fleet_db.hpp"
#include "rig/index/run_index.hpp"

namespace rig::fleet {

/// The runs `f` selects (ordered by start time as f.newest_first says, then
/// run id). dir is empty; sealed is true (only sealed runs are published).
std::vector<index::RunRow> runs(Db& db, const index::RunFilter& f);

/// One run's measurements in record order.
std::vector<index::MeasurementRow> measurements(Db& db, const std::string& run_id);

/// Every measurement of the runs `f` selects, ordered as
/// index::RunIndex::for_each_point orders them (scenario, measurement id,
/// start time), one row at a time to `fn`.
void for_each_point(Db& db, const index::RunFilter& f, const std::function<void(const index::PointRow&)>& fn);

}  // namespace rig::fleet
