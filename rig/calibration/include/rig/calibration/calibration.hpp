#pragma once
// Calibration control (ISO 13485 §7.6): the tare/span and gauge-block arithmetic, and the calibration history.
//
// Units: forces in N, masses in kg, lengths in mm unless the name says
// otherwise; CalibrationRecord scale/offset in SI per raw count (see
// drivers/include/rig/drivers/fixture_config.hpp).
//
// Thread-safety: the arithmetic and status functions are pure.
// CalibrationHistory appends under the caller's serialisation (one CLI at a
// time; the daemon does not calibrate).

#include <chrono>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/drivers/fixture_config.hpp"
#include "rig/calibration/gate.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/reports/audit_log.hpp"

namespace rig {

inline constexpr double standard_gravity_m_s2 = 9.80665;  // CGPM 1901; use local g when known

// The status of instruments on a date and the gate before a run:
// rig/calibration/gate.hpp. Dates: rig/core/utc_time.hpp.

// ---- arithmetic ----------------------------------------------------------------

double mean_of(std::span<const double> values);
/// Force of a reference mass under gravity `g_m_s2`, N.
double reference_force_n(double mass_kg, double g_m_s2 = standard_gravity_m_s2);

struct SpanPoint {
    double reference_n;  // applied reference force, N
    double reading;      // mean instrument reading with it applied (instrument units)
};

/// Least-squares line through the tare point: true_n = gain * (reading - tare_reading).
/// offset_n = -gain * tare_reading, so true_n = gain * reading + offset_n.
struct SpanFit {
    double gain = 1.0;
    double offset_n = 0.0;
    double max_residual_n = 0.0;          // as left: worst |reference - corrected reading|
    double max_residual_pct = 0.0;        // of the largest reference force
    double as_found_max_error_n = 0.0;    // before adjustment: worst |reference - (reading - tare)|
    double as_found_max_error_pct = 0.0;
};
/// Throws std::invalid_argument with no point, or readings that do not move off the tare.
SpanFit fit_span(double tare_reading, std::span<const SpanPoint> points);

/// Composes an adjustment true = gain * reading + offset_si with the record in
/// force (reading = scale * counts + offset), giving the new record's scale and
/// offset in SI per raw count.
CalibrationRecord compose_adjustment(const CalibrationRecord& in_force, double gain, double offset_si);

struct EncoderCheck {
    double measured_mm = 0.0;  // reading on the gauge minus reading at the reference surface
    double gauge_mm = 0.0;     // certified gauge-block thickness
    double error_mm = 0.0;     // measured - gauge
    double error_pct = 0.0;    // of the gauge thickness
    bool pass = false;         // |error_mm| <= tolerance_mm
    double corrected_scale = 0.0;  // scale that would make measured == gauge (SI per count)
};
EncoderCheck check_encoder_scale(double zero_reading_mm, double gauge_reading_mm, double gauge_mm, double tolerance_mm,
                                 double scale_in_force);

// ---- history ------------------------------------------------------------------

/// One calibration event: the resulting record, when, and the raw data behind it.
struct CalibrationEntry {
    std::string utc;
    CalibrationRecord record;
    nlohmann::json data;  // tare, points, fit, as-found / as-left
};
nlohmann::json to_json(const CalibrationRecord& r);
CalibrationRecord calibration_record_from_json(const nlohmann::json& j);

/// <state>/calibration/history.jsonl: one JSON object per line, append-only.
class CalibrationHistory {
public:
    explicit CalibrationHistory(std::filesystem::path path);
    void append(const CalibrationEntry& e);
    [[nodiscard]] std::vector<CalibrationEntry> read() const;
    /// The most recent entry for an instrument asset id, if any.
    [[nodiscard]] std::optional<CalibrationEntry> latest(std::string_view instrument_id) const;
    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace rig
