#pragma once
// Minimal valid spec and fixture texts for validator tests, written into a
// temp folder beside the scenario under test.
#include <fstream>
#include <string>

#include "temp_dir.hpp"

namespace rig::test {

inline const char* kSpec = R"(model: Test Pen
version: "1"
levels: {1: 50 Hz, 2: 100 Hz, 3: 150 Hz}
rate: {tolerance: 5 %}
depth: {min: 0 mm, max: 2.5 mm, dial_step: 0.5 mm, tolerance: 0.15 mm}
strike_force: {min: 0.5 N, max: 8 N}
startup: {max_time: 500 ms}
stall: {max_latency: 200 ms, after: latch}
)";

inline const char* kFixture = R"(name: test-rig
backend: sim
sample_rate: 10 kHz
limits: {max_depth: 2.0 mm, max_rate: 180 Hz}
calibration:
  - {instrument: load_cell, id: LC-1, scale: 0.1 mN, date: 2026-01-01, due: 2027-01-01, reference: W-1}
  - {instrument: encoder, id: EN-1, scale: 1 um, date: 2026-01-01, due: 2027-01-01, reference: GB-1}
  - {instrument: current_sense, id: CS-1, scale: 0.1 mA, date: 2026-01-01, due: 2027-01-01, reference: R-1}
)";

inline void write(const std::filesystem::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

/// A folder with spec.yaml and fixture.yaml, for a scenario text to refer to.
struct ScenarioDir {
    TempDir dir;
    ScenarioDir() {
        write(dir / "spec.yaml", kSpec);
        write(dir / "fixture.yaml", kFixture);
    }
    std::filesystem::path scenario(const std::string& text) const {
        auto p = dir / "scenario.yaml";
        write(p, text);
        return p;
    }
};

inline std::string header() {
    return "id: T-1\ntitle: test\nversion: \"1\"\nspec: spec.yaml\nfixture: fixture.yaml\n";
}

}  // namespace rig::test
