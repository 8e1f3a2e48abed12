#pragma once
// A run folder as the runner leaves it, written at test time by `rig run`
// (tests/common/real_run.hpp): record.json, samples.bin, junit.xml and
// report.html, not yet sealed; its name is its run id.
#include <string>

#include "real_run.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/reports/html_report.hpp"

namespace rig::test {
inline std::filesystem::path make_run_folder(const TempDir& tmp, const char* scenario_rel = scenario::smoke) {
    return real_run(tmp, scenario_rel).dir;
}

/// Flips one bit of the byte at `offset` (from the end when negative).
inline void flip_byte(const std::filesystem::path& f, long offset) {
    std::string d = read_file(f);
    const auto i = static_cast<std::size_t>(offset >= 0 ? offset : static_cast<long>(d.size()) + offset);
    d[i] = static_cast<char>(d[i] ^ 0x01);
    write_file_atomic(f, d);
}
}  // namespace rig::test
