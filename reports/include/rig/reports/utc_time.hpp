#pragma once
// UTC timestamps as written in records, audit entries and signatures:
// ISO 8601 with milliseconds and a 'Z' ("2025-11-25T14:59:03.127Z").
// Thread-safety: pure / reads the system clock only.
#include <chrono>
#include <string>

namespace rig {
std::string utc_timestamp(std::chrono::system_clock::time_point t);
inline std::string utc_now() { return utc_timestamp(std::chrono::system_clock::now()); }
}  // namespace rig
