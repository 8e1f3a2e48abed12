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
    /// Expanded uncertainty (k = 2) of `scale` as the certificate states it,
    /// relative (0.0005 = 0.05 %); 0 when the record states none. The
    /// measurements' uncertainty budgets take it (README "How good is the rig?").
    double scale_uncertainty = 0.0;
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
    /// Half-width of the sample clock's frequency error (ratio; a Pi's
    /// unsynchronised crystal: tens of ppm): the uncertainty budgets' time
    /// base. 0 for the sim, whose clock is the model's.
    double clock_tolerance = 0.0;
};

/// How a fixture finds the cartridge face in encoder counts for `reference:`
/// steps (scenarios/README.md#fixture-file, `reference:`). An incremental
/// encoder only knows positions relative to where its counter started; the
/// face must be found on the fixture before depth means anything.
enum class ReferenceMethod {
    touch_off,  // the needle is moved slowly onto the face gauge (the phantom) until the load cell sees contact
    index,      // the pen runs slowly across an index mark on the encoder scale, calibrated against the face;
                // the LS7366R latches the count at the mark (hardware fixture; drivers/hw/README.md)
};
std::string_view to_string(ReferenceMethod m);
std::optional<ReferenceMethod> reference_method_from_string(std::string_view s);

/// The touch-off sequence (drivers/include/rig/drivers/touch_off.hpp): a fast
/// approach until first contact, a back-off, a slow probe through contact up
/// to the stop force (the samples the face is fitted on), a retract to the
/// rest position; a dwell at rest before (load-cell baseline) and after
/// (encoder return check).
struct TouchOffParams {
    double approach_speed_m_s = 5e-3;     // fast approach and retract
    double probe_speed_m_s = 0.25e-3;     // slow probe (the fit's samples; lag and damping bias ~ speed)
    double contact_force_n = 0.05;        // above the rest baseline: the approach has found the face
    double back_off_m = 50e-6;            // back from first contact before the probe
    double stop_force_n = 0.15;           // above the rest baseline: the probe ends
    double max_travel_m = 4e-3;           // no contact within this from rest: no reference (rig fault)
    std::chrono::nanoseconds dwell{std::chrono::milliseconds(100)};
    /// The longest a sequence can take (for the plan's duration and the loop's timeout).
    [[nodiscard]] std::chrono::nanoseconds time_bound() const;
};

/// The index-mark reference (drivers/hw/README.md "Cartridge-face
/// reference"): the pen runs at `pass_rate` with the counter set to latch
/// its count into OTR at the INDEX edge; face = the reading at the latch -
/// `protrusion`. The mark's position relative to the face is a fixture
/// calibration (`calibration` names its record), never a value the rig finds.
struct IndexReferenceParams {
    double protrusion_m = 0.0;   // needle tip beyond the face (+ = out of the pen) when the latch fires
    double uncertainty_m = 0.0;  // U (k = 2) of protrusion_m, from the calibration
    std::string calibration;     // the mark's calibration record (id, who, when)
    double pass_rate_hz = 5.0;   // the pen's rate while it crosses the mark
    std::chrono::nanoseconds pass_time{std::chrono::seconds(2)};  // no latch within this: no reference
    std::chrono::nanoseconds spin_down{std::chrono::milliseconds(500)};  // pen off, cam coming to rest
    /// The longest the step can take (the plan's duration, the loop's timeout).
    [[nodiscard]] std::chrono::nanoseconds time_bound() const;
};

struct ReferenceConfig {
    std::vector<ReferenceMethod> methods;  // what this fixture can do (empty: none)
    TouchOffParams touch_off;
    IndexReferenceParams index;            // methods lists index
    /// The step's time bound for method `m`.
    [[nodiscard]] std::chrono::nanoseconds time_bound(ReferenceMethod m) const;
    [[nodiscard]] bool supports(ReferenceMethod m) const;
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
    ReferenceConfig reference;           // `reference:` (how the cartridge face is found)
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
