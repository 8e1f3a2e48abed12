#pragma once
// Trends across runs (nightly CI): every measurement id of a scenario as a
// series over the run records of a runs folder, oldest first, with its
// statistics and a drift flag. Reads records only, never the rig.
//
// Drift: the latest value lies further from the mean of the earlier values
// than `drift_fraction` of its limit band (high - low). Only measurements
// with both limits and at least `min_history` earlier values are judged;
// the rest are "not judged".

#include <nlohmann/json.hpp>

#include "rig/record/record.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rig {

struct TrendPoint {
    std::string run_id;
    std::string started_utc;
    std::string commit;
    std::string dut;
    std::optional<double> value;  // unset for an ERROR without a value
    std::string outcome;
};

struct TrendSeries {
    std::string scenario_id;
    std::string measurement_id;
    std::string name;
    std::string unit;
    std::optional<double> low, high;  // limits of the latest run
    std::vector<TrendPoint> points;   // oldest first
    std::size_t valued = 0;           // points with a value
    double mean = 0.0, min = 0.0, max = 0.0;
    std::optional<bool> drift;        // unset: not judged
    double drift_band_fraction = 0.0; // |latest - earlier mean| / (high - low)
};

struct TrendOptions {
    double drift_fraction = 0.25;
    std::size_t min_history = 3;
};

/// Builds the series from run records (any order; incomplete records are
/// skipped). Series are sorted by scenario id, then measurement id.
std::vector<TrendSeries> build_trends(std::span<const run_record::RunRecord> records, const TrendOptions& opt = {});
/// The same from records' JSON forms (read through run_record::RunRecord).
std::vector<TrendSeries> build_trends(const std::vector<nlohmann::json>& records, const TrendOptions& opt = {});

/// The latest run of a scenario, complete or not (a run killed outright, an
/// aborted or errored run is the latest news of its scenario: a nightly that
/// died must not hide behind the PASS of the night before).
struct LatestRun {
    std::string scenario_id;
    std::string run_id;
    std::string started_utc;
    std::string verdict;  // PASS, FAIL, ERROR, ABORTED, INCOMPLETE
    /// INCOMPLETE, ABORTED or ERROR: the series' latest points are not this run's.
    [[nodiscard]] bool needs_attention() const { return verdict != "PASS" && verdict != "FAIL"; }
};
/// One per scenario id, sorted by it.
std::vector<LatestRun> latest_runs(std::span<const run_record::RunRecord> records);

/// One row per (series, run): scenario_id, measurement_id, run_id,
/// started_utc, commit, dut, value, unit, outcome.
std::string trends_csv(const std::vector<TrendSeries>& series);

}  // namespace rig
