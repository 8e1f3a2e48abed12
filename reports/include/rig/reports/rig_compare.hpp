#pragma once
// Rig comparison: each rig's bias against the fleet for the same golden pen
// (a reference pen measured by a short fixed protocol on every rig,
// scenarios/golden-pen.yaml). Pure: the run index and the fleet database only
// supply the points (rig/cli/cmd_compare_rigs.cpp); the rule is here.
//
// Definitions, per measurement id:
//   valid point   a value from a closed run whose verdict is PASS or FAIL (the
//                 rig measured validly); ERROR, ABORTED and INCOMPLETE runs and
//                 ERROR measurements (no value) are never used
//   rig value     the median of the rig's last N valid points (by start time)
//   reference     the median of the rig values of all rigs (the fleet), or
//                 the value of a named reference rig
//   bias          rig value - reference, in the measurement's unit
//   bias fraction bias / (high - low) of the limits of the measurement's
//                 latest point (unset when a limit is missing)
//   drift         |bias fraction| > the drift threshold (default 0.1: a tenth
//                 of the limit span); a measurement without both limits never
//                 drifts and says so (no span)
// Memory is bounded by N per (measurement, rig), not by the number of runs.
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rig {

struct RigPoint {
    std::string rig_id, measurement_id, name, unit, run_id, started_utc, verdict;
    bool complete = false;
    std::optional<double> value, low, high;
};

struct RigCompareOptions {
    std::size_t last_n = 5;
    double drift_fraction = 0.1;
    std::string reference_rig;  // "": the median of the rigs
};

struct RigBias {
    std::string rig_id;
    std::size_t n = 0;        // valid points used (<= last_n)
    double value = 0.0;       // the rig value (median)
    double bias = 0.0;
    std::optional<double> bias_fraction;
    bool drift = false;
    std::string latest_run_id, latest_utc;
};

struct MeasurementComparison {
    std::string measurement_id, name, unit;
    std::optional<double> low, high;
    double reference = 0.0;
    std::string reference_kind;  // "median of 3 rigs" or "rig pi-3"
    std::vector<RigBias> rigs;   // sorted by rig id
};

struct RigComparisonResult {
    std::vector<MeasurementComparison> measurements;  // sorted by measurement id
    std::size_t ignored_points = 0;                   // not valid (see above)
    [[nodiscard]] bool any_drift() const;
};

class RigComparison {
public:
    /// Throws std::invalid_argument for last_n == 0 or a drift_fraction <= 0.
    explicit RigComparison(RigCompareOptions opt);
    /// Points of one rig arrive in start-time order (oldest first).
    void add(const RigPoint& p);
    /// Throws std::invalid_argument when a reference rig is named and has no
    /// valid point of a measurement another rig has.
    [[nodiscard]] RigComparisonResult result() const;

private:
    struct Series {
        std::deque<RigPoint> last;  // the last N valid points
    };
    struct Measurement {
        std::string name, unit;
        std::optional<double> low, high;
        std::string latest_utc;
        std::map<std::string, Series> rigs;
    };
    RigCompareOptions opt_;
    std::map<std::string, Measurement> by_;
    std::size_t ignored_ = 0;
};

}  // namespace rig
