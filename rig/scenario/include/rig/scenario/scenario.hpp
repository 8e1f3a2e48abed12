#pragma once
// A scenario (scenarios/*.yaml) as loaded, validated and expanded into a flat
// plan the runner executes. Schema reference: scenarios/README.md#scenario.
//
// Loading goes through one path for `rig validate`, `rig run` and daemon
// submissions: every problem of the scenario, its spec and its fixture is
// reported (file:line:col) before anything moves.

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rig/core/diagnostics.hpp"
#include "rig/core/yaml_reader.hpp"
#include "rig/drivers/fixture_config.hpp"
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/spec.hpp"

namespace rig {

/// Limits of one measured quantity, in the record's unit (Hz, mm, N, s, %).
struct Limits {
    std::optional<double> low;
    std::optional<double> high;
    std::string source;  // "spec:rate.tolerance", "inline", "rig:timing"
};

/// Where a measure step's window lies.
struct Window {
    enum class Kind {
        duration,    // hold for `duration` and measure over it
        previous,    // the previous step's time span
        since_mark,  // from a `mark:` to now
        since_event, // from the last relevant event (power-on, setpoint step, brake engage) to now
    };
    Kind kind = Kind::since_event;
    std::chrono::nanoseconds duration{0};
    std::string mark;
};

struct MeasureSpec {
    const MeasureKind* what = nullptr;  // the registered kind (measure_kind.hpp); never null once loaded
    std::string id;     // unique in the scenario ("rate_l3" or generated "m<n>")
    std::string label;
    Window window;
    /// Limits per measured quantity name ("puncture_rate", "rise_time", ...).
    std::map<std::string, Limits> limits;
    std::vector<std::string> requirements;
    /// Earlier measurements this one refers to (MeasureKind::ref_keys, e.g.
    /// speed_regulation's no_load/loaded), key -> measurement id.
    std::map<std::string, std::string> refs;
    double setpoint_hz = 0.0;           // rate setpoint in force when measured (for limits/truth)
    double dial_mm = 0.0;               // dial setting in force when measured
};

enum class StepKind {
    power, set_depth, set_rate, hold, ramp, stall, release, wait_until, measure, prompt, fault, mark, reference,
};
std::string_view to_string(StepKind k);

enum class WaitCondition { rate_stable, stopped, running, depth_reached };

/// One step of the flat plan (repeat and sweep unrolled).
struct PlanStep {
    StepKind kind = StepKind::hold;
    SourceLocation where;   // the step's line in the scenario file
    std::string label;      // human description, e.g. "set_rate 150 Hz (sweep 3/6)"
    bool on = false;                         // power
    double depth_mm = 0.0;                   // set_depth
    double rate_hz = 0.0;                    // set_rate (level resolved), ramp/step target
    bool is_step_change = false;             // set_rate from a `step:` (anchor for step response)
    std::chrono::nanoseconds duration{0};    // hold, ramp, stall, wait_until timeout
    bool release_after = true;               // stall
    WaitCondition condition = WaitCondition::rate_stable;
    MeasureSpec measure;                     // measure
    std::string text;                        // prompt text, mark name
    FaultInjection fault;                    // fault
    ReferenceMethod method = ReferenceMethod::touch_off;  // reference (duration: its time bound)
};

struct Scenario {
    YamlFile source;
    std::string id, title, version;
    std::vector<std::string> requirements;
    std::vector<std::string> tags;
    std::uint64_t seed = 1;
    PenSpec spec;
    FixtureConfig fixture;
    std::vector<PlanStep> plan;
    std::chrono::nanoseconds expected_duration{0};  // upper bound (wait_until counted at its timeout)
    /// What the scenario's author intends (`expect:`), for scenarios that are
    /// regression tests of the rig itself, including ones that must FAIL.
    std::optional<std::string> expect_verdict;
    std::map<std::string, std::string> expect_outcomes;  // measurement id -> PASS/FAIL/ERROR

    [[nodiscard]] bool has_tag(std::string_view t) const;
};

/// Limits of a scenario, checked in validation (file:line:col) before the
/// plan is expanded: the expanded plan's size and the total run time (the
/// recording of a run is held for analysis; 8 h at 10 kHz is its bound).
inline constexpr std::size_t kMaxPlanSteps = 100'000;
inline constexpr std::chrono::hours kMaxScenarioDuration{8};

struct LoadOptions {
    /// Fixture file overriding the scenario's (`rig run --fixture`).
    std::optional<std::filesystem::path> fixture_override;
    /// Spec file overriding the scenario's (re-analysis from a record's texts).
    std::optional<std::filesystem::path> spec_override;
    /// A file given as text rather than read from disk (`rig analyze`
    /// rebuilds a run's scenario from the texts in its record): its name (as
    /// the record gives its path, used in messages) and its content.
    struct Text {
        std::string name, text;
    };
    /// Spec and fixture texts overriding the scenario's (and the *_override paths).
    std::optional<Text> spec_text;
    std::optional<Text> fixture_text;
    /// Used when neither the option nor the scenario names a fixture.
    std::filesystem::path default_fixture = "fixtures/sim.yaml";
    /// When set, an included spec is read through this instead of from disk:
    /// (name as written in the scenario, path it resolves to) -> text, or
    /// nullopt when it is not available. The daemon sets it so that it never
    /// opens a client-named path with its own rights.
    std::function<std::optional<std::string>(const std::string& as_written, const std::filesystem::path& resolved)>
        read_include;
};

/// Loads a scenario with its spec and fixture and validates all three.
/// Returns std::nullopt if there is any error; every problem is in `diags`.
std::optional<Scenario> load_scenario(const std::filesystem::path& path, Diagnostics& diags,
                                      const LoadOptions& opts = {});
/// Same for text that did not come from disk (a daemon submission). Relative
/// spec/fixture paths resolve against `base_dir`.
std::optional<Scenario> load_scenario_text(std::string name, std::string text, const std::filesystem::path& base_dir,
                                           Diagnostics& diags, const LoadOptions& opts = {});

/// What kind of penrig file this is, from its top-level keys: "scenario",
/// "spec", "fixture", or "" when it cannot tell.
std::string detect_file_kind(const YamlFile& file);

/// Validates any penrig file (`rig validate`): scenarios with their spec and
/// fixture, specs alone, fixtures alone.
bool validate_file(const std::filesystem::path& path, Diagnostics& diags, const LoadOptions& opts = {});

}  // namespace rig
