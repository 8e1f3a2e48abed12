#pragma once
// Trends across runs (nightly CI): each measurement as a series over runs,
// oldest first, with its statistics, a robust baseline and a drift flag.
// Reads records (or the run index's rows), never the rig.
//
// Series key: scenario id, measurement id, spec version, fixture backend and
// rig id — a sim run and a hardware run, two spec versions or two rigs are
// different series unless TrendOptions widens the key (the widened part reads
// "*").
//
// Each point carries the limits of its own record. Baseline: the median of
// the last `baseline_runs` good points before the latest (good: outcome PASS
// with a value) — one bad night or an outlier does not move it. Drift:
// |latest value - baseline| / (latest high - latest low) > drift_fraction,
// judged only when the latest point has a value and both limits and the
// baseline has at least `min_history` good points; otherwise "not judged".
//
// Memory: a series keeps its running count/min/max/mean, the last
// `baseline_runs` good values and the last `keep_points` points; the rest of
// the points go to `on_point` (e.g. a CSV writer) as they arrive. Bounded in
// the number of runs.

#include <nlohmann/json.hpp>

#include "rig/record/record.hpp"

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace rig {

struct TrendKey {
    std::string scenario_id, measurement_id, spec_version, fixture_backend, rig_id;
    auto operator<=>(const TrendKey&) const = default;
};

struct TrendPoint {
    std::string run_id;
    std::string started_utc;
    std::string commit;
    std::string dut;
    std::optional<double> value;  // unset for an ERROR without a value
    std::optional<double> low, high;  // this run's limits
    std::string outcome;
};

struct TrendSeries {
    TrendKey key;
    std::string scenario_id;       // = key.scenario_id
    std::string measurement_id;    // = key.measurement_id
    std::string name;
    std::string unit;
    std::optional<double> low, high;  // limits of the latest point
    std::vector<TrendPoint> points;   // the last keep_points points, oldest first
    std::size_t runs = 0;             // every point seen
    std::size_t valued = 0;           // points with a value
    double mean = 0.0, min = 0.0, max = 0.0;
    std::optional<double> baseline;   // median of the last baseline_runs good points before the latest
    std::size_t baseline_n = 0;
    std::optional<bool> drift;        // unset: not judged
    double drift_band_fraction = 0.0; // |latest - baseline| / (high - low) of the latest point
};

struct TrendOptions {
    double drift_fraction = 0.25;
    std::size_t min_history = 3;
    std::size_t baseline_runs = 10;
    std::size_t keep_points = 50;
    bool across_rigs = false, across_backends = false, across_spec_versions = false;
    /// Every point as it is added (oldest first within a series).
    std::function<void(const TrendKey&, const std::string& unit, const TrendPoint&)> on_point;
};

/// Builds series from points fed in time order per series (any interleaving
/// of series). The index feeds it straight from SQL; build_trends() from records.
class TrendBuilder {
public:
    explicit TrendBuilder(TrendOptions opt) : opt_(std::move(opt)) {}
    /// `key` as the run has it (widened here by the options).
    void add(TrendKey key, const std::string& name, const std::string& unit, TrendPoint p);
    /// Series sorted by key.
    std::vector<TrendSeries> finish();

private:
    struct State {
        TrendSeries s;
        std::deque<double> good;  // last baseline_runs + 1 good values (the newest may be the latest point's)
        double sum = 0.0;
    };
    TrendOptions opt_;
    std::map<TrendKey, State> series_;
};

/// Builds the series from run records (any order; incomplete records are
/// skipped).
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
    std::string rig_id;
    /// INCOMPLETE, ABORTED or ERROR: the series' latest points are not this run's.
    [[nodiscard]] bool needs_attention() const { return verdict != "PASS" && verdict != "FAIL"; }
};
/// One per scenario id, sorted by it.
std::vector<LatestRun> latest_runs(std::span<const run_record::RunRecord> records);

/// CSV: the header, and one row per (series, point): scenario_id,
/// measurement_id, spec_version, fixture_backend, rig_id, run_id,
/// started_utc, commit, dut, value, unit, low, high, outcome.
std::string trend_csv_header();
std::string trend_csv_row(const TrendKey& key, const std::string& unit, const TrendPoint& p);
/// Header + the kept points of every series.
std::string trends_csv(const std::vector<TrendSeries>& series);

}  // namespace rig
