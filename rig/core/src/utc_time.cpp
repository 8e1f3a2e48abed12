#include "rig/core/utc_time.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace rig {
namespace {
std::tm utc_tm(std::time_t secs) {
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    return tm;
}
}  // namespace

std::string utc_timestamp(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
    const long frac = static_cast<long>(((ms % 1000) + 1000) % 1000);
    const std::tm tm = utc_tm(secs);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

std::string utc_now() { return utc_timestamp(std::chrono::system_clock::now()); }

std::chrono::year_month_day utc_date(std::chrono::system_clock::time_point t) {
    return std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(t));
}

std::chrono::year_month_day utc_today() { return utc_date(std::chrono::system_clock::now()); }

std::optional<std::chrono::year_month_day> parse_iso_date(std::string_view s) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
    int y = 0;
    unsigned m = 0, d = 0;
    auto ok = [](std::string_view part, auto& out) {
        if (part.empty() || part.find_first_not_of("0123456789") != std::string_view::npos) return false;
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

std::string utc_compact_stamp(std::chrono::system_clock::time_point t) {
    const std::tm tm = utc_tm(std::chrono::system_clock::to_time_t(t));
    char ts[32];
    std::strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    return ts;
}

}  // namespace rig
