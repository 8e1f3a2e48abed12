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

const char* to_string(CalibrationState s) {
    switch (s) {
        case CalibrationState::valid: return "valid";
        case CalibrationState::expired: return "expired";
        case CalibrationState::missing: return "missing";
        case CalibrationState::bad_date: return "bad_date";
    }
    return "?";
}

bool CalibrationStatus::all_valid() const {
    return std::all_of(instruments.begin(), instruments.end(),
                       [](const InstrumentStatus& s) { return s.state == CalibrationState::valid; });
}

std::vector<InstrumentStatus> CalibrationStatus::past_due() const {
    std::vector<InstrumentStatus> out;
    for (const auto& s : instruments)
        if (s.state != CalibrationState::valid) out.push_back(s);
    return out;
}

std::string CalibrationStatus::message() const {
    std::string m;
    for (const auto& s : past_due()) m += s.message + "\n";
    return m;
}

const std::vector<std::string>& all_instruments() {
    static const std::vector<std::string> all = {"load_cell", "encoder", "current_sense"};
    return all;
}

std::optional<std::chrono::year_month_day> parse_iso_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    int y = 0;
    unsigned m = 0, d = 0;
    auto ok = [](std::string_view part, auto& out) {
        auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
        return ec == std::errc() && p == part.data() + part.size();
    };
    if (!ok(s.substr(0, 4), y) || !ok(s.substr(5, 2), m) || !ok(s.substr(8, 2), d)) return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
    if (!ymd.ok()) return std::nullopt;
    return ymd;
}

std::string format_iso_date(std::chrono::year_month_day d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

std::chrono::year_month_day utc_today() {
    return std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()));
}

CalibrationStatus calibration_status(const FixtureConfig& fixture, std::chrono::year_month_day today,
                                     const std::vector<std::string>& used) {
    CalibrationStatus st;
    const auto today_days = std::chrono::sys_days(today);
    for (const auto& inst : used) {
        InstrumentStatus s;
        s.instrument = inst;
        const CalibrationRecord* rec = nullptr;
        for (const auto& c : fixture.calibration)
            if (c.instrument == inst) rec = &c;
        if (rec == nullptr) {
            s.state = CalibrationState::missing;
            s.message = inst + ": no calibration record in fixture " + fixture.name;
        } else {
            s.id = rec->id;
            s.due = rec->due;
            const auto due = parse_iso_date(rec->due);
            if (!due) {
                s.state = CalibrationState::bad_date;
                s.message = inst + " " + rec->id + ": due date '" + rec->due + "' is not a date (YYYY-MM-DD)";
            } else if (today_days > std::chrono::sys_days(*due)) {
                s.state = CalibrationState::expired;
                s.days_overdue = static_cast<long>((today_days - std::chrono::sys_days(*due)).count());
                s.message = inst + " " + rec->id + ": calibration expired on " + rec->due + " (" +
                            std::to_string(s.days_overdue) + " days overdue)";
            } else {
                s.state = CalibrationState::valid;
            }
        }
        st.instruments.push_back(std::move(s));
    }
    return st;
}

CalibrationGate gate_run(const FixtureConfig& fixture, std::chrono::year_month_day today, bool certification,
                         const std::vector<std::string>& used, AuditLog* audit, std::string_view actor,
                         std::string_view subject) {
    CalibrationGate g;
    const auto st = calibration_status(fixture, today, used);
    g.record_calibration = json::array();
    for (const auto& c : fixture.calibration) {
        json j = to_json(c);
        bool valid = false;
        for (const auto& s : st.instruments)
            if (s.instrument == c.instrument && s.id == c.id) valid = s.state == CalibrationState::valid;
        if (std::find(used.begin(), used.end(), c.instrument) == used.end()) {
            // Not used by this run: its own status still goes into the record.
            const auto one = calibration_status(fixture, today, {c.instrument});
            valid = one.all_valid();
        }
        j["status"] = valid ? "valid" : "expired";
        g.record_calibration.push_back(j);
    }
    if (st.all_valid()) return g;
    const std::string list = st.message();
    if (certification) {
        g.may_start = false;
        g.message = "certification run refused: calibration not valid for instruments it uses:\n" + list;
        if (audit != nullptr) {
            json which = json::array();
            for (const auto& s : st.past_due())
                which.push_back({{"instrument", s.instrument}, {"id", s.id}, {"due", s.due}, {"state", to_string(s.state)}});
            audit->append(actor, "run.refused", subject, nullptr, {{"reason", "calibration not valid"}, {"instruments", which}});
        }
    } else {
        g.message = "warning: calibration not valid (the record marks these instruments expired):\n" + list;
    }
    return g;
}

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

json to_json(const CalibrationRecord& r) {
    return {{"instrument", r.instrument}, {"id", r.id},     {"scale", r.scale},         {"offset", r.offset},
            {"unit", r.unit},             {"date", r.date}, {"due", r.due},             {"reference", r.reference},
            {"result", r.result},         {"performed_by", r.performed_by}};
}

CalibrationRecord calibration_record_from_json(const json& j) {
    CalibrationRecord r;
    r.instrument = j.value("instrument", "");
    r.id = j.value("id", "");
    r.scale = j.value("scale", 1.0);
    r.offset = j.value("offset", 0.0);
    r.unit = j.value("unit", "");
    r.date = j.value("date", "");
    r.due = j.value("due", "");
    r.reference = j.value("reference", "");
    r.result = j.value("result", "");
    r.performed_by = j.value("performed_by", "");
    return r;
}

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
