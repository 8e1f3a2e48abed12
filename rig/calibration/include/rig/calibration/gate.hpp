#pragma once
// The calibration gate (ISO 13485 §7.6): may this run start with the
// instruments in force? One decision for `rig run` and the daemon.
//
// Rules:
//  - only the instruments the run uses count (instruments_used(): what the
//    registry says each measured kind depends on, MeasureKind::instruments —
//    the encoder for strokes, the load cell for strike force, current sense
//    for stall protection); the others are reported, never blocking;
//  - an instrument is valid through its due date inclusive (a real calendar
//    date: 2026-02-31 is not a date and is not valid); a used instrument
//    without a record, or with a due date that is not YYYY-MM-DD, is not valid;
//  - a run tagged `certification` (any letter case) does not start while any
//    instrument it uses is not valid; other runs start and their record marks
//    the instruments expired (a warning says so).
// "Today" is a parameter: callers take it from TodaySource, tests choose it.
// The caller writes the audit entry of a refusal (rig::session does, for the
// CLI and the daemon alike) from GateDecision::audit_detail().
//
// Thread-safety: pure functions.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/core/diagnostics.hpp"
#include "rig/drivers/fixture_config.hpp"

namespace rig {

struct Scenario;

enum class CalibrationState { valid, expired, missing, bad_date };
const char* to_string(CalibrationState s);

struct InstrumentStatus {
    std::string instrument;  // "load_cell", "encoder", "current_sense"
    std::string id;          // asset id ("" when missing)
    std::string due;         // ISO date as recorded
    CalibrationState state = CalibrationState::missing;
    long days_overdue = 0;   // > 0 when expired
    std::string message;     // one line, e.g. "load_cell LC-0042: calibration expired on 2025-01-31 (30 days overdue)"
};

struct CalibrationStatus {
    std::vector<InstrumentStatus> instruments;
    [[nodiscard]] bool all_valid() const;
    [[nodiscard]] std::vector<InstrumentStatus> past_due() const;  // every state but valid
    /// "" when all valid, else one line per instrument not valid.
    [[nodiscard]] std::string message() const;
};

/// Every instrument a fixture has: load_cell, encoder, current_sense.
const std::vector<std::string>& all_instruments();

/// The instruments whose readings the run's measurements depend on.
std::vector<std::string> instruments_used(const Scenario& sc);

/// Status of each instrument in `used` on `today` (UTC date).
CalibrationStatus calibration_status(const FixtureConfig& fixture, std::chrono::year_month_day today,
                                     const std::vector<std::string>& used = all_instruments());

/// One record's status on `today`: valid, expired or bad_date.
CalibrationState record_state(const CalibrationRecord& c, std::chrono::year_month_day today);

/// A `certification` tag, in any letter case.
bool is_certification(const Scenario& sc);

struct GateDecision {
    bool may_start = true;
    bool certification = false;
    CalibrationStatus status;      // of the instruments the run uses
    Diagnostics diagnostics;       // errors (refusal) or warnings, at the fixture file
    /// The audit entry's detail for a refusal: reason, instruments, today.
    [[nodiscard]] nlohmann::json audit_detail() const;
    std::string today;             // YYYY-MM-DD the decision was taken on
};

GateDecision gate_run(const Scenario& sc, std::chrono::year_month_day today);

/// Where "today" comes from: the system clock's UTC date, unless pinned.
/// `PENRIG_TODAY=YYYY-MM-DD` pins it for a process (integration tests, and
/// an auditor asking what a given date would do); a pinned date is logged at
/// warning level on every decision.
using TodayFn = std::function<std::chrono::year_month_day()>;
TodayFn today_source();

}  // namespace rig
