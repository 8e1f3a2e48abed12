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

inline Scenario load_shipped(const std::string& rel) {
    Diagnostics d;
    LoadOptions lo;
    lo.default_fixture = source_dir() / "fixtures" / "sim.yaml";
    auto sc = load_scenario(source_dir() / rel, d, lo);
    INFO([&] { std::ostringstream o; d.print(o); return o.str(); }());
    REQUIRE(sc);
    return std::move(*sc);
}

inline Scenario load_text(const TempDir& dir, const std::string& body) {
    const auto spec = (source_dir() / "scenarios" / "specs" / "novapen-x2.yaml").string();
    const auto fixture = (source_dir() / "fixtures" / "sim.yaml").string();
    const std::string text = "id: T\ntitle: t\nversion: \"1\"\nspec: " + spec + "\nfixture: " + fixture + "\n" + body;
    std::ofstream(dir / "t.yaml") << text;
    Diagnostics d;
    auto sc = load_scenario(dir / "t.yaml", d);
    INFO([&] { std::ostringstream o; d.print(o); return o.str(); }());
    REQUIRE(sc);
    return std::move(*sc);
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
