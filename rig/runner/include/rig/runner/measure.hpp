#pragma once
// Turning a scenario's measure steps into judged measurements. Pure: the same
// inputs give the same measurements, so the runner (while the run goes on)
// and `rig analyze` (from the raw samples afterwards) agree exactly.
//
// Judgement rules (README "Verdicts"):
//  - ERROR when the analysis cannot give a valid value: too few strokes or
//    samples, a gap or flagged samples in the window, the loop's timing budget
//    broken inside the window, an event the measurement needs is missing.
//  - FAIL when the value lies outside its limits (the pen is out of spec).
//  - PASS otherwise. Rate, depth and force are judged on their window mean;
//    SD, min and max are recorded beside it.

#include <nlohmann/json.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rig/analysis/analysis.hpp"
#include "rig/core/samples.hpp"
#include "rig/drivers/ground_truth.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig {

enum class Outcome { pass, fail, error };
const char* to_string(Outcome o);

struct Measurement {
    std::string id;
    std::string name;            // puncture_rate, protrusion_depth, rise_time, stall_latency, ...
    std::string label;
    std::uint32_t step = 0;      // plan step index
    int line = 0;                // scenario line of the measure step
    std::optional<double> value; // unset when ERROR without a value
    std::string unit;
    std::optional<double> low, high;
    std::string limits_source;
    Outcome outcome = Outcome::error;
    std::string message;         // why ERROR / FAIL, or a short note
    double window_start_s = 0.0, window_end_s = 0.0;
    std::size_t samples = 0, strokes = 0;
    std::vector<std::string> requirements;
    nlohmann::json stats = nlohmann::json::object();
    std::optional<double> truth; // sim ground truth, in `unit`
    nlohmann::json truth_detail = nlohmann::json::object();  // sim: how the truth was found

    [[nodiscard]] nlohmann::json to_json() const;
};

/// Start and end time (ns since t0) of each plan step as it ran.
struct StepSpan {
    std::int64_t start_ns = -1;
    std::int64_t end_ns = -1;
};

/// Everything recorded up to the moment a measurement is taken.
struct RunData {
    analysis::TraceView trace;
    std::span<const Event> events;
    std::span<const StepSpan> spans;
    const GroundTruth* truth = nullptr;  // model clock; subtract truth_offset_ns
    std::int64_t truth_offset_ns = 0;    // run t0 on the model clock
};

/// The fixture's loop timing budget, as the analysis takes it.
analysis::TimingBudgetParams timing_budget(const FixtureConfig& fx);

/// Computes the measurements of plan step `index` (a measure step) taken at
/// `at_ns` (the step's end). `earlier` holds the measurements already taken
/// (speed regulation refers to them).
std::vector<Measurement> take_measurement(const Scenario& sc, std::size_t index, std::int64_t at_ns,
                                          const RunData& data, std::span<const Measurement> earlier);

/// A wait_until that timed out: FAIL when the pen did not reach the condition,
/// ERROR when the rig did not (depth actuator).
Measurement wait_timeout_measurement(const Scenario& sc, std::size_t index, std::int64_t at_ns);

}  // namespace rig
