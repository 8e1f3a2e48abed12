#pragma once
// A fixture file (fixtures/*.yaml) as loaded and validated. Schema reference:
// scenarios/README.md#fixture-file.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rig/core/diagnostics.hpp"
#include "rig/core/yaml_reader.hpp"
#include "rig/drivers/faults.hpp"
#include "rig/drivers/hw_config.hpp"
#include "rig/drivers/sim_params.hpp"

namespace rig {

enum class Backend { sim, hardware };

/// One instrument's calibration in force (ISO 13485 §7.6): traceable to a
/// reference standard, with a due date after which a certification run refuses
/// to start.
struct CalibrationRecord {
    std::string instrument;      // "load_cell", "encoder" or "current_sense"
    std::string id;              // asset id of the instrument, e.g. "LC-0042"
    double scale = 1.0;          // SI units per raw count (N/count, m/count, A/count)
    double offset = 0.0;         // SI units added after scaling (N, m, A)
    std::string unit;            // SI unit of the instrument: "N", "m", "A"
    std::string date;            // calibration date, ISO 8601 (YYYY-MM-DD)
    std::string due;             // due date, ISO 8601
    std::string reference;       // reference standard used (e.g. "M1 weights set W-7, cert 2291")
    std::string result;          // "pass" / "adjusted" / ...
    std::string performed_by;
};

/// Limits and budgets of the acquisition loop; breaking them makes the
/// affected measurements ERROR.
struct TimingBudget {
    std::chrono::nanoseconds lateness{std::chrono::microseconds(200)};  // per sample
    double max_late_fraction = 0.001;   // ratio of late samples tolerated in a window
    std::uint32_t max_missed_samples = 0;  // missed samples tolerated in a window
};

struct FixtureConfig {
    YamlFile source;                     // the file (text kept for the record)
    std::string name;                    // rig id, e.g. "sim-01", "pi4-bench-2"
    std::string description;
    Backend backend = Backend::sim;
    double sample_rate_hz = 10000.0;     // acquisition loop rate
    double actuation_rate_hz = 1000.0;   // scenario schedule update rate (<= sample rate)
    double max_depth_mm = 2.5;           // mechanical limits of the rig
    double max_rate_hz = 200.0;
    TimingBudget timing;
    std::vector<CalibrationRecord> calibration;
    SimParams sim;                       // backend == sim
    std::vector<FaultInjection> faults;  // sim only: active from t = 0
    HwConfig hardware;                   // backend == hardware

    [[nodiscard]] const CalibrationRecord* calibration_for(std::string_view instrument) const;
};

/// Loads and validates a fixture file. Adds every problem to `diags`;
/// returns std::nullopt if any is an error.
std::optional<FixtureConfig> load_fixture(const std::filesystem::path& path, Diagnostics& diags);
std::optional<FixtureConfig> parse_fixture(YamlFile file, Diagnostics& diags);

/// Sections parsed by the backends' own code (drivers/src/sim_section.cpp,
/// drivers/src/hw_section.cpp).
void parse_sim_section(MapReader& sim, SimParams& out, std::vector<FaultInjection>& faults);
void parse_hw_section(MapReader& hw, HwConfig& out);

/// Parses one fault entry value (`weak_spring: 50 %`) for fixture files and
/// scenario steps alike.
std::optional<FaultInjection> parse_fault(std::string_view name, const YAML::Node& value,
                                          const std::string& file, Diagnostics& diags);

}  // namespace rig
