#pragma once
// The measurement registry: one descriptor per measurement kind (`measure:
// what: <name>` in a scenario), registered in ONE table (measure_kinds()).
// A descriptor says everything the rig knows about a kind: its name and
// description, the quantities it records (unit, dimension), where its window
// lies by default, what must have happened before it in the plan, how its
// limits come from the pen spec, the analysis that takes it, how the truth is
// found on the sim, and which plot the report draws for it.
//
// Adding a kind: one file under rig/scenario/src/measurements/ with a struct
// whose static members carry this descriptor's field names (its quantities,
// measure, budget, description and what else differs from the defaults) and
// `extern const MeasureKind kX = kind_parts::describe<X>();`
// (measurements/kind_parts.hpp), one line in the table
// (rig/scenario/src/measure_kinds.cpp), and tests (README "How to add a
// measurement").
//
// Thread-safety: descriptors are immutable; every function is pure.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rig/analysis/analysis.hpp"
#include "rig/core/samples.hpp"
#include "rig/core/units.hpp"
#include "rig/drivers/fixture_config.hpp"
#include "rig/drivers/ground_truth.hpp"
#include "rig/record/measurement.hpp"
#include "rig/record/reference.hpp"
#include "rig/scenario/reference_top.hpp"
#include "rig/scenario/spec.hpp"
#include "rig/scenario/uncertainty.hpp"

namespace rig {

struct Scenario;
namespace checks {
struct RunStartChecks;
}
struct PlanStep;
struct MeasureSpec;
struct Limits;

/// One recorded quantity of a kind (a kind may record several: step_response
/// records rise_time, overshoot and settling_time).
struct Quantity {
    std::string_view name;         // the measurement's `name` in the record; key of its limits
    Dimension dim;                 // of inline limits in a scenario ("low: 120 ms")
    std::string_view unit;         // the record's unit for value, limits and truth
    std::string_view description;  // what the number is (report, schema text)
    bool inline_limits = true;     // may a scenario give its limits inline?
};

/// The rig's state at a point of the plan, as the scenario builder tracks it
/// (what has happened before a measure step).
struct PlanState {
    double rate_hz = 0.0;
    double depth_mm = 0.0;
    bool depth_set = false;
    bool power = false;
    bool brake = false;
    bool powered_ever = false;
    bool step_change_seen = false;
    bool stall_seen = false;
    bool referenced = false;  // a `reference:` step (the cartridge face) came before
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
    /// Cartridge-face references found so far, in run order (face_reference.hpp).
    std::span<const FaceReference> references;
    /// The run-start instrument checks (run_checks.hpp), once the run's first
    /// power-on has happened; null before (or when the caller leaves them to
    /// take_measurement, which then takes them from `trace`).
    const checks::RunStartChecks* run_start = nullptr;
    /// The reference-top searches of the run, one per anchor (reference_top.hpp),
    /// kept by the recording; empty: protrusion_depth runs the search over `trace`.
    std::span<const ReferenceTopSearch> reference_tops;
};

/// What a kind's analysis gets: the scenario, its measure step, the resolved
/// window and the data recorded so far, with the helpers every kind shares.
struct MeasureContext {
    const Scenario& sc;
    const PlanStep& step;
    const MeasureSpec& m;
    std::size_t index;        // plan step index of the measure step
    const RunData& data;
    analysis::TimeWindow window;
    std::span<const Measurement> earlier;  // measurements already taken (speed regulation refers to them)
    /// The last rate setpoint before the window's anchor (step response's "from").
    double setpoint_before_hz = 0.0;

    /// A measurement of quantity `name` of this step, with its limits, window
    /// and sample count filled in; outcome ERROR until judged. The unit is the
    /// quantity's (Quantity::unit of this kind).
    [[nodiscard]] Measurement base(std::string_view name) const;
    /// The same with an explicit unit (a measurement of no quantity of the kind).
    [[nodiscard]] Measurement base(std::string_view name, std::string_view unit) const;
    /// The fixture's timing rule broken inside the window (an ERROR reason), if so.
    [[nodiscard]] std::optional<std::string> timing_problem() const;
    /// Stroke detection with the fixture's gap rule.
    [[nodiscard]] analysis::StrokeOptions stroke_options() const;
    /// The gap rule: the longest interval that is still "no sample missing".
    [[nodiscard]] std::chrono::nanoseconds max_sample_interval() const;
    /// The fixture's timing budget as the analysis takes it.
    [[nodiscard]] analysis::TimingBudgetParams timing_budget() const;
    /// Ground-truth strokes in the run's time base from 1 s before the window to its end (empty off the sim).
    [[nodiscard]] std::vector<analysis::Stroke> truth_strokes() const;
    /// The true value of a per-stroke statistic: `stat` over the ground-truth
    /// strokes inside the window; nullopt off the sim or when `stat` has none.
    [[nodiscard]] std::optional<double> window_truth(
        const std::function<std::optional<double>(std::span<const analysis::Stroke>)>& stat) const;
    /// Strokes and their statistics over the window, with the fixture's gap
    /// rule and the kinds' statistics options (window_stats_options()).
    [[nodiscard]] analysis::WindowMeasurement window_strokes() const;
    /// One encoder count, mm (the fixture's encoder calibration; 1 um without one).
    [[nodiscard]] double encoder_count_mm() const;
};

/// Judges a value against the measurement's limits; an invalid reason (or no
/// finite value) makes it ERROR with no value (never a guess).
void judge(Measurement& r, std::optional<double> value, const std::optional<std::string>& invalid);
/// FAIL with no value: the data are valid and the pen never did what is
/// measured (never settled, never cut off); `why` says what it did not do and
/// the bound the window gives.
void fail_without_value(Measurement& r, std::string why);
/// The first of `problems` that is set (the reasons a value is invalid, in the
/// order they are reported), or nullopt.
std::optional<std::string> first_problem(std::initializer_list<std::optional<std::string>> problems);
/// Window statistics options shared by the kinds (at least 5 strokes).
analysis::StatsOptions window_stats_options();
/// `v` times `factor` (a spec value in the record's unit: s -> ms, ratio -> %), if set.
std::optional<double> scaled(std::optional<double> v, double factor);

/// Adds the limits of `quantity` taken from the spec, unless the scenario gave
/// them inline or the spec has none. `clause` names the spec key.
void limits_from_spec(MeasureSpec& m, std::string_view quantity, std::optional<double> low,
                      std::optional<double> high, std::string_view clause);

struct MeasureKind {
    std::string_view name{};        // `what:` in a scenario, `kind` in the record
    std::string_view description{}; // one sentence: the definition (schema text, report)
    std::span<const Quantity> quantities{};
    /// Default window: from the last event this predicate accepts up to the
    /// measure step (event-based kinds); null: the previous step's span.
    bool (*anchor)(const Scenario& sc, const Event& e) = nullptr;
    /// Keys naming earlier measurements (speed_regulation: no_load, loaded),
    /// which must be of kind `refs_kind`; stored in MeasureSpec::refs.
    std::span<const std::string_view> ref_keys{};
    std::string_view refs_kind{};
    /// Errors when the plan up to here cannot give this measurement.
    void (*preconditions)(const MeasureSpec& m, const PlanState& st, std::vector<std::string>& errors) = nullptr;
    /// Limits from the spec (and fixture) for what the scenario did not give inline.
    void (*spec_limits)(MeasureSpec& m, const PenSpec& spec, const FixtureConfig& fx, const PlanState& st) = nullptr;
    /// The analysis: judged measurements of this step, with the truth on the sim.
    std::vector<Measurement> (*measure)(const MeasureContext& c) = nullptr;
    /// The report's plot for this kind: "rate_band", "startup", "step_response",
    /// "per_stroke_depth", "per_stroke_force", "stall_trace", "" (none).
    std::string_view plot{};
    /// The calibrated instruments its value depends on ("encoder",
    /// "load_cell", "current_sense"): the calibration gate counts only these.
    std::span<const std::string_view> instruments{};
    /// Its value is a position relative to the cartridge face: it needs a
    /// `reference:` step before it in the run (validation warns without one;
    /// the run gives ERROR).
    bool face_referenced = false;
    /// The uncertainty budget of a measurement of this kind with a value
    /// (uncertainty.hpp): its inputs, each with its figure, distribution and
    /// sensitivity (r.name tells the quantity of a kind of several).
    Uncertainty (*budget)(const BudgetInput& in) = nullptr;

    [[nodiscard]] const Quantity* quantity(std::string_view q) const;
    /// A kind of several quantities takes its inline limits per quantity
    /// (`limits: {rise_time: {high: 80 ms}}`); one of one quantity, as one
    /// `limits: {low, high}`.
    [[nodiscard]] bool grouped_limits() const { return quantities.size() > 1; }
};

/// Every registered kind, in registration order.
std::span<const MeasureKind* const> measure_kinds();
/// The kind called `name`, or nullptr.
const MeasureKind* find_measure_kind(std::string_view name);
/// Any registered quantity called `name` (over all kinds), or nullptr.
const Quantity* find_quantity(std::string_view name);

}  // namespace rig

namespace rig {
/// The fixture's loop timing budget, as the analysis takes it (its rule():
/// the one timing rule).
analysis::TimingBudgetParams timing_budget(const FixtureConfig& fx);
/// One encoder count, mm, from the encoder's calibration record (1 um without one).
double encoder_count_mm(const FixtureConfig& fx);
}  // namespace rig
