#pragma once
// Helpers for runner tests: load a shipped scenario, run it on the sim in a
// temp folder, validate the record against the published schema.
#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>

#include "catch.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/reports/json_schema.hpp"
#include "rig/runner/runner.hpp"
#include "rig/sim/sim_fixture.hpp"
#include "temp_dir.hpp"

namespace rig::test {

/// Loads a scenario file; fails the test, showing the diagnostics, if it does not load.
inline Scenario load_file(const std::filesystem::path& path, const LoadOptions& lo = {}) {
    Diagnostics d;
    auto sc = load_scenario(path, d, lo);
    INFO([&] { std::ostringstream o; d.print(o); return o.str(); }());
    REQUIRE(sc);
    return std::move(*sc);
}

inline Scenario load_shipped(const std::string& rel) {
    LoadOptions lo;
    lo.default_fixture = source_dir() / "fixtures" / "sim.yaml";
    return load_file(source_dir() / rel, lo);
}

/// The head of a test scenario on the shipped spec and `fixture`; its steps follow.
inline std::string scenario_head(const std::string& id, const std::string& fixture) {
    const auto spec = (source_dir() / "scenarios" / "specs" / "novapen-x2.yaml").string();
    return "id: " + id + "\ntitle: t\nversion: \"1\"\nspec: " + spec + "\nfixture: " + fixture + "\n";
}

inline Scenario load_text(const TempDir& dir, const std::string& body) {
    std::ofstream(dir / "t.yaml") << scenario_head("T", (source_dir() / "fixtures" / "sim.yaml").string()) + body;
    return load_file(dir / "t.yaml");
}

/// Steps that inject `fault` (none when empty), set 1.0 mm at level 3, power
/// on, wait for a stable rate and measure `what` as `id` over 500 ms.
inline std::string steady_measure_steps(const std::string& fault, const std::string& what, const std::string& id) {
    std::string s = "steps:\n";
    if (!fault.empty()) s += "  - fault: " + fault + "\n";
    s += "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n"
         "  - wait_until: {condition: rate_stable, timeout: 2 s}\n  - hold: 200 ms\n"
         "  - measure: {what: " + what + ", id: " + id + ", window: 500 ms}\n  - power: off\n";
    return s;
}

/// fixtures/sim.yaml with the text from `key` up to (not including) the next
/// `until` replaced by `with`: a copy of the default fixture with one setting changed.
inline std::string sim_fixture_with(const std::string& key, const std::string& until, const std::string& with) {
    auto text = read_file(source_dir() / "fixtures" / "sim.yaml");
    const auto at = text.find(key);
    REQUIRE(at != std::string::npos);
    text.replace(at, text.find(until, at) - at, with);
    return text;
}

/// A scenario `id` with `steps` on the fixture `fixture_text`, both written to `dir`.
inline Scenario load_on_fixture(const TempDir& dir, const std::string& fixture_text, const std::string& id,
                                const std::string& steps) {
    std::ofstream(dir / "fx.yaml") << fixture_text;
    std::ofstream(dir / "s.yaml") << scenario_head(id, "fx.yaml") + steps;
    return load_file(dir / "s.yaml");
}

inline void require_schema_valid(const nlohmann::json& rec) {
    static const auto schema =
        nlohmann::json::parse(read_file(source_dir() / "reports" / "schema" / "run-record.schema.json"));
    const auto errors = validate_json_schema(schema, rec);
    INFO([&] { std::string s; for (auto& e : errors) s += e + "\n"; return s; }());
    REQUIRE(errors.empty());
}

inline const Measurement& find(const RunResult& r, const std::string& id) {
    for (const auto& m : r.measurements) {
        if (m.id == id) return m;
    }
    FAIL("no measurement " << id);
    return r.measurements.front();
}

struct SimRun {
    TempDir dir;
    std::atomic<bool> abort{false};
    std::unique_ptr<Fixture> fixture;
    RunResult result;

    RunResult run(const Scenario& sc, RunObserver* obs = nullptr, std::uint64_t seed = 0) {
        fixture = make_sim_fixture(sc.fixture, seed != 0 ? seed : sc.seed);
        RunOptions o;
        o.runs_root = dir.path();
        o.operator_id = {"tester", "test"};
        o.dut_serial = "SN-TEST";
        o.lot = "LOT-1";
        o.seed = seed != 0 ? seed : sc.seed;
        Runner r(sc, *fixture, o, abort, obs);
        result = r.run();
        return result;
    }
};

}  // namespace rig::test
