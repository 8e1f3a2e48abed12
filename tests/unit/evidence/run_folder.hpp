#pragma once
// A run folder as the runner leaves it: record.json (the example record),
// samples.bin, junit.xml, report.html, and a raw-data sub-folder.
#include <string>

#include "record_fixture.hpp"
#include "rig/reports/html_report.hpp"

namespace rig::test {
inline std::filesystem::path make_run_folder(const TempDir& tmp, const std::string& name = "20251125T101500Z-NP200-A1234") {
    const auto dir = tmp / name;
    std::filesystem::create_directories(dir / "raw");
    write_file_atomic(dir / "record.json", example_record().dump(1));
    std::string samples(4096, '\0');
    for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = static_cast<char>((i * 131u) & 0xffu);
    write_file_atomic(dir / "samples.bin", samples);
    write_file_atomic(dir / "junit.xml", "<testsuite name=\"level-step-stall\" tests=\"14\" failures=\"2\" errors=\"1\"/>\n");
    write_file_atomic(dir / "raw" / "events.csv", "t_s,kind\n0.0,power_on\n");
    write_html_report(dir);
    return dir;
}

/// Flips one bit of the byte at `offset` (from the end when negative).
inline void flip_byte(const std::filesystem::path& f, long offset) {
    std::string d = read_file(f);
    const auto i = static_cast<std::size_t>(offset >= 0 ? offset : static_cast<long>(d.size()) + offset);
    d[i] = static_cast<char>(d[i] ^ 0x01);
    write_file_atomic(f, d);
}
}  // namespace rig::test
