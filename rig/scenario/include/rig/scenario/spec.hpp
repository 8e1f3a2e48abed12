#pragma once
// A pen specification (scenarios/specs/*.yaml): what the pen must do. Schema
// reference: scenarios/README.md#pen-specification. Limits derived from a spec
// name their clause ("spec:rate.tolerance") in every measurement.

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "rig/core/diagnostics.hpp"
#include "rig/core/yaml_reader.hpp"
#include "rig/record/measurement.hpp"

namespace rig {

enum class AfterStall { retry, latch };

struct PenSpec {
    YamlFile source;
    std::string model;
    std::string version;
    std::string manufacturer;
    std::map<int, double> levels_hz;            // speed level -> nominal puncture rate, Hz
    double rate_tolerance = 0.05;               // ratio: level rate +/- this
    double startup_band = 0.02;                 // ratio: start-up "inside the band" (DESIGN: +/-2 %)
    double depth_min_mm = 0.0;
    double depth_max_mm = 2.5;
    double dial_step_mm = 0.25;
    double depth_tolerance_mm = 0.15;
    std::optional<double> force_min_n;          // strike force range
    std::optional<double> force_max_n;
    std::optional<double> startup_max_s;        // start-up time limit
    std::optional<double> rise_max_s;           // step response limits
    std::optional<double> overshoot_max;        // ratio
    std::optional<double> settling_max_s;
    std::optional<double> regulation_max;       // speed regulation limit, ratio
    std::optional<double> stall_latency_max_s;  // stall protection latency limit
    double stall_cutoff_current_a = 0.05;       // current below which the drive counts as cut
    AfterStall after_stall = AfterStall::retry;
    double retry_delay_s = 0.5;                 // expected delay from cut-off to retry
    double retry_tolerance_s = 0.1;
    /// `decision_rule: simple | guarded` (ISO 14253-1 / ILAC-G8): simple (the
    /// default) judges the value alone; guarded passes only a value at least
    /// its U inside the limits and judges one within U of a limit FAIL
    /// (conditional: conformance not proven).
    DecisionRule decision_rule = DecisionRule::simple;

    /// The dial settings from depth_min to depth_max in dial steps.
    [[nodiscard]] std::vector<double> dial_settings_mm() const;
};

std::optional<PenSpec> load_spec(const std::filesystem::path& path, Diagnostics& diags);
std::optional<PenSpec> parse_spec(YamlFile file, Diagnostics& diags);

}  // namespace rig
