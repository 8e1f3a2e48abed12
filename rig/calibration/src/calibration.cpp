#include "rig/calibration/calibration.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "rig/core/atomic_file.hpp"
#include "rig/reports/json_schema.hpp"

namespace rig {
namespace fs = std::filesystem;
using nlohmann::json;

double mean_of(std::span<const double> values) {
    if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
    double s = 0.0;
    for (double v : values) s += v;
    return s / static_cast<double>(values.size());
}

double reference_force_n(double mass_kg, double g_m_s2) { return mass_kg * g_m_s2; }

SpanFit fit_span(double tare_reading, std::span<const SpanPoint> points) {
    if (points.empty()) throw std::invalid_argument("span calibration needs at least one reference weight");
    double sxy = 0.0, sxx = 0.0, fmax = 0.0;
    for (const auto& p : points) {
        const double x = p.reading - tare_reading;
        sxy += x * p.reference_n;
        sxx += x * x;
        fmax = std::max(fmax, std::abs(p.reference_n));
    }
    if (!(sxx > 0.0)) throw std::invalid_argument("the readings with reference weights do not differ from the tare");
    SpanFit f;
    f.gain = sxy / sxx;
    f.offset_n = -f.gain * tare_reading;
    for (const auto& p : points) {
        const double x = p.reading - tare_reading;
        f.max_residual_n = std::max(f.max_residual_n, std::abs(p.reference_n - f.gain * x));
        f.as_found_max_error_n = std::max(f.as_found_max_error_n, std::abs(p.reference_n - x));
    }
    if (fmax > 0.0) {
        f.max_residual_pct = f.max_residual_n / fmax * 100.0;
        f.as_found_max_error_pct = f.as_found_max_error_n / fmax * 100.0;
    }
    return f;
}

CalibrationRecord compose_adjustment(const CalibrationRecord& in_force, double gain, double offset_si) {
    CalibrationRecord r = in_force;
    r.scale = gain * in_force.scale;
    r.offset = gain * in_force.offset + offset_si;
    return r;
}

EncoderCheck check_encoder_scale(double zero_reading_mm, double gauge_reading_mm, double gauge_mm, double tolerance_mm,
                                 double scale_in_force) {
    if (!(gauge_mm > 0.0)) throw std::invalid_argument("gauge block thickness must be positive");
    EncoderCheck c;
    c.gauge_mm = gauge_mm;
    c.measured_mm = gauge_reading_mm - zero_reading_mm;
    c.error_mm = c.measured_mm - gauge_mm;
    c.error_pct = c.error_mm / gauge_mm * 100.0;
    c.pass = std::abs(c.error_mm) <= tolerance_mm;
    c.corrected_scale = c.measured_mm != 0.0 ? scale_in_force * gauge_mm / c.measured_mm : 0.0;
    return c;
}

// A missing key reads as the member's default (scale 1, offset 0).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CalibrationRecord, instrument, id, scale, offset, unit, date, due,
                                                reference, result, performed_by)

json to_json(const CalibrationRecord& r) { return r; }

CalibrationRecord calibration_record_from_json(const json& j) { return j.get<CalibrationRecord>(); }

CalibrationHistory::CalibrationHistory(fs::path path) : path_(std::move(path)) {}

void CalibrationHistory::append(const CalibrationEntry& e) {
    if (path_.has_parent_path()) fs::create_directories(path_.parent_path());
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    if (!out) throw std::system_error(errno, std::generic_category(), "cannot open " + path_.string());
    out << canonical_json(json{{"utc", e.utc}, {"record", to_json(e.record)}, {"data", e.data}}) << '\n';
    out.flush();
    if (!out) throw std::system_error(errno, std::generic_category(), "cannot append to " + path_.string());
}

std::vector<CalibrationEntry> CalibrationHistory::read() const {
    std::vector<CalibrationEntry> out;
    if (!fs::exists(path_)) return out;
    std::istringstream in(read_file(path_));
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
        ++n;
        if (line.empty()) continue;
        try {
            const auto j = json::parse(line);
            out.push_back({j.value("utc", ""), calibration_record_from_json(j.at("record")), j.value("data", json())});
        } catch (const std::exception& ex) {
            throw std::runtime_error(path_.string() + ":" + std::to_string(n) + ": " + ex.what());
        }
    }
    return out;
}

std::optional<CalibrationEntry> CalibrationHistory::latest(std::string_view instrument_id) const {
    std::optional<CalibrationEntry> best;
    for (auto& e : read())
        if (e.record.id == instrument_id) best = std::move(e);
    return best;
}

}  // namespace rig
