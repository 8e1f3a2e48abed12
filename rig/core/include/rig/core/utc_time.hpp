#pragma once
// UTC time as penrig writes it, in one place:
//  - timestamps in records, audit entries, signatures and the daemon's state:
//    ISO 8601 with milliseconds and a 'Z' ("2025-11-25T14:59:03.127Z");
//  - calendar dates (calibration due dates, "today"): std::chrono::year_month_day,
//    written and read as YYYY-MM-DD with real calendar checks (2026-02-31 is not a date).
// Thread-safety: pure functions, or reads of the system clock only.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace rig {

std::string utc_timestamp(std::chrono::system_clock::time_point t);
/// Now, as utc_timestamp().
std::string utc_now();

/// The UTC calendar date of `t`.
std::chrono::year_month_day utc_date(std::chrono::system_clock::time_point t);
/// Today's UTC date from the system clock. Code that decides on dates takes
/// "today" as a parameter (see rig/calibration/gate.hpp) and calls this only
/// at the edge, so that tests choose the date.
std::chrono::year_month_day utc_today();

/// "YYYY-MM-DD" -> date; nullopt unless exactly that shape and a real calendar day.
std::optional<std::chrono::year_month_day> parse_iso_date(std::string_view s);
/// date -> "YYYY-MM-DD".
std::string format_iso_date(std::chrono::year_month_day d);

/// "20251125T145903Z": compact UTC stamp for identifiers (run ids).
std::string utc_compact_stamp(std::chrono::system_clock::time_point t);

}  // namespace rig
