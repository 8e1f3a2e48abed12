#pragma once
// Run folders written at test time by the real runner: the `rig` binary runs
// a shipped scenario on the simulated fixture into a temp folder, exactly as
// an operator or CI would (record.json, samples.bin, junit.xml, report.html,
// and the signed manifest when the state folder holds a rig key). Report,
// bundle, signature and browser tests use these records, never a frozen one:
// whatever the runner writes today is what they render and check.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "catch.hpp"
#include "child_process.hpp"
#include "temp_dir.hpp"

namespace rig::test {

/// The scenarios the report and evidence tests use (paths under the source tree).
namespace scenario {
inline constexpr const char* smoke = "scenarios/smoke.yaml";                  // PASS, short
inline constexpr const char* nightly = "scenarios/nightly.yaml";              // PASS, every plot kind
inline constexpr const char* stall = "scenarios/stall-recover.yaml";          // PASS, stall and retry
inline constexpr const char* fail = "scenarios/regression/depth-offset.yaml"; // FAIL (depth out of spec)
inline constexpr const char* error = "scenarios/regression/loop-overrun.yaml"; // ERROR (timing budget broken)
}  // namespace scenario

struct RealRun {
    std::filesystem::path dir;    // <tmp>/runs/<run-id>
    std::filesystem::path state;  // <tmp>/state (audit trail; keys/ when signed)
    std::string run_id;
    nlohmann::json record;
    int exit_code = -1;
};

/// Creates the rig key in `state` with `rig keygen`.
inline void real_keygen(const std::filesystem::path& state, const std::filesystem::path& logs) {
    Proc p({PENRIG_RIG_EXE, "keygen", "--state-dir", state.string()}, logs / "keygen");
    const auto e = p.wait(std::chrono::seconds(60));
    INFO(p.err());
    REQUIRE((e && e->code == 0));
}

/// Runs `scenario_rel` with `rig run` into tmp/runs/. `sign`: create a rig key
/// first, so that the run folder is sealed as on a production rig.
inline RealRun real_run(const TempDir& tmp, const std::string& scenario_rel, bool sign = false) {
    namespace fs = std::filesystem;
    RealRun r;
    r.state = tmp / "state";
    const auto runs = tmp / "runs";
    fs::create_directories(runs);
    const auto logs = tmp / ("rig-run-" + fs::path(scenario_rel).stem().string());
    if (sign && !fs::exists(r.state / "keys" / "rig.key")) real_keygen(r.state, tmp.path());
    std::vector<std::string> args{PENRIG_RIG_EXE, "run", (source_dir() / scenario_rel).string(), "--json",
                                  "--runs-dir", runs.string(), "--state-dir", r.state.string(),
                                  "--dut", "SN-TEST-1", "--lot", "LOT-T1", "--operator", "tester"};
    if (!sign) args.emplace_back("--no-sign");
    Proc p(args, logs);
    const auto e = p.wait(std::chrono::minutes(5));
    INFO(scenario_rel << "\n" << p.err());
    REQUIRE(e.has_value());
    r.exit_code = e->code;
    REQUIRE(e->code >= 0);
    REQUIRE(e->code <= 3);
    // The last line of --json progress names the run folder.
    const std::string out = p.out();
    const auto last = out.rfind("{\"");
    REQUIRE(last != std::string::npos);
    const auto done = nlohmann::json::parse(out.substr(last));
    REQUIRE(done.value("event", "") == "done");
    r.dir = done.at("dir").get<std::string>();
    r.run_id = done.at("run_id").get<std::string>();
    REQUIRE(fs::is_regular_file(r.dir / "record.json"));
    r.record = nlohmann::json::parse(slurp(r.dir / "record.json"));
    return r;
}

}  // namespace rig::test
