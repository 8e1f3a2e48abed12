#include "rig/calibration/gate.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "rig/core/utc_time.hpp"
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig {

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

std::vector<std::string> instruments_used(const Scenario& sc) {
    // What each kind depends on is in its registry entry (MeasureKind::instruments).
    std::vector<std::string> out;
    for (const auto& p : sc.plan) {
        if (p.kind != StepKind::measure || p.measure.what == nullptr) continue;
        for (const auto inst : p.measure.what->instruments) {
            if (std::find(out.begin(), out.end(), inst) == out.end()) out.emplace_back(inst);
        }
    }
    return out;
}

CalibrationState record_state(const CalibrationRecord& c, std::chrono::year_month_day today) {
    const auto due = parse_iso_date(c.due);
    if (!due) return CalibrationState::bad_date;
    return std::chrono::sys_days(today) > std::chrono::sys_days(*due) ? CalibrationState::expired : CalibrationState::valid;
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
            s.state = record_state(*rec, today);
            if (s.state == CalibrationState::bad_date) {
                s.message = inst + " " + rec->id + ": due date '" + rec->due + "' is not a calendar date (YYYY-MM-DD)";
            } else if (s.state == CalibrationState::expired) {
                s.days_overdue = static_cast<long>((today_days - std::chrono::sys_days(*parse_iso_date(rec->due))).count());
                s.message = inst + " " + rec->id + ": calibration expired on " + rec->due + " (" +
                            std::to_string(s.days_overdue) + " days overdue)";
            }
        }
        st.instruments.push_back(std::move(s));
    }
    return st;
}

bool is_certification(const Scenario& sc) { return sc.has_tag("certification"); }  // any letter case

nlohmann::json GateDecision::audit_detail() const {
    nlohmann::json which = nlohmann::json::array();
    for (const auto& s : status.past_due()) {
        which.push_back({{"instrument", s.instrument}, {"id", s.id}, {"due", s.due}, {"state", to_string(s.state)}});
    }
    return {{"reason", "calibration not valid"}, {"instruments", which}, {"today", today}};
}

GateDecision gate_run(const Scenario& sc, std::chrono::year_month_day today) {
    GateDecision g;
    g.today = format_iso_date(today);
    g.certification = is_certification(sc);
    g.status = calibration_status(sc.fixture, today, instruments_used(sc));
    const SourceLocation at{sc.fixture.source.path, 0, 0};
    for (const auto& s : g.status.past_due()) {
        if (g.certification) {
            g.diagnostics.error(at, s.message + ": a certification run cannot start until it is recalibrated");
        } else {
            g.diagnostics.warning(at, s.message + " (the record will say so)");
        }
    }
    g.may_start = !g.diagnostics.has_errors();
    return g;
}

TodayFn today_source() {
    const char* v = std::getenv("PENRIG_TODAY");
    if (v == nullptr || *v == '\0') return [] { return utc_today(); };
    const auto pinned = parse_iso_date(v);
    if (!pinned) throw std::invalid_argument(std::string("PENRIG_TODAY='") + v + "' is not a calendar date (YYYY-MM-DD)");
    const std::string text = v;
    return [d = *pinned, text] {
        spdlog::warn("calibration decisions use the date {} (PENRIG_TODAY), not the system clock", text);
        return d;
    };
}

}  // namespace rig
