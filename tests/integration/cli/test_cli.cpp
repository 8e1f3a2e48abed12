// The `rig` command line as users and CI call it: exit codes, messages, the
// run folder, signals.
#include <nlohmann/json.hpp>

#include <fstream>

#include "catch.hpp"
#include "process.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/session/fixture_lock.hpp"
#include "temp_dir.hpp"

using namespace rig;
using test::run_rig;

namespace {
std::string src(const std::string& rel) { return (test::source_dir() / rel).string(); }

std::filesystem::path only_run_dir(const std::filesystem::path& runs) {
    std::vector<std::filesystem::path> dirs;
    for (const auto& e : std::filesystem::directory_iterator(runs)) dirs.push_back(e.path());
    REQUIRE(dirs.size() == 1);
    return dirs.front();
}
}  // namespace

TEST_CASE("rig validate: shipped files are clean", "[cli]") {
    test::TempDir tmp;
    const auto r = run_rig({"validate", src("scenarios/smoke.yaml"), src("scenarios/nightly.yaml"),
                            src("scenarios/specs/novapen-x2.yaml"), src("fixtures/sim.yaml")},
                           tmp.path());
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("4 of 4 file(s) valid"));
    CHECK(r.err.empty());
}

TEST_CASE("rig validate: a broken scenario gets file:line:col for each problem and exit 2", "[cli]") {
    test::TempDir tmp;
    const auto p = tmp / "broken.yaml";
    std::ofstream(p) << "id: B\ntitle: broken\nversion: \"1\"\nspec: " << src("scenarios/specs/novapen-x2.yaml")
                     << "\nfixture: " << src("fixtures/sim.yaml") << R"(
seed: -1
steps:
  - set_depth: 3 mm
  - set_rate: 150
  - sett_level: 2
  - measure: {what: puncture_rate, window: 1 s}
)";
    const auto r = run_rig({"validate", p.string()}, tmp.path());
    CHECK(r.exit_code == 2);
    const std::string f = p.string();
    CHECK_THAT(r.err, Catch::Contains(f + ":6:7: error: 'seed'"));
    CHECK_THAT(r.err, Catch::Contains(f + ":8:16: error: depth 3 mm is beyond the rig's max_depth 2.5 mm"));
    CHECK_THAT(r.err, Catch::Contains(f + ":9:15: error: set_rate: missing unit in '150'"));
    CHECK_THAT(r.err, Catch::Contains(f + ":10:5: error: unknown step 'sett_level' (did you mean 'set_level'?)"));
    CHECK_THAT(r.err, Catch::Contains(f + ":11:5: error: measure puncture_rate: no rate setpoint before this step"));
    CHECK_THAT(r.out, Catch::Contains("0 of 1 file(s) valid"));
    // `rig run` goes through the same validation and moves nothing.
    const auto run = run_rig({"run", p.string(), "--runs-dir", (tmp / "runs").string()}, tmp.path());
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.err, Catch::Contains("nothing was started"));
    CHECK_FALSE(std::filesystem::exists(tmp / "runs"));
}

TEST_CASE("rig run: PASS exits 0 and writes the run folder; analyze reproduces it", "[cli][sim]") {
    test::TempDir tmp;
    const auto runs = tmp / "runs";
    const auto r = run_rig({"run", src("scenarios/smoke.yaml"), "--runs-dir", runs.string(), "--dut", "SN-7",
                            "--lot", "L-1", "--operator", "qa.engineer", "--state-dir", (tmp / "state").string()},
                           tmp.path());
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("PASS  every measurement is within its limits"));
    const auto dir = only_run_dir(runs);
    for (const char* f : {"record.json", "samples.bin", "junit.xml", "report.html"}) {
        CHECK(std::filesystem::exists(dir / f));
    }
    const auto rec = nlohmann::json::parse(read_file(dir / "record.json"));
    CHECK(rec["verdict"] == "PASS");
    CHECK(rec["operator"]["name"] == "qa.engineer");
    CHECK(rec["operator"]["source"] == "--operator");
    CHECK(rec["dut"]["serial"] == "SN-7");
    const auto an = run_rig({"analyze", dir.string()}, tmp.path());
    INFO(an.out << an.err);
    CHECK(an.exit_code == 0);
    CHECK_THAT(an.out, Catch::Contains("every measurement reproduced exactly"));
    // A changed sample is caught by re-analysis.
    auto bin = read_file(dir / "samples.bin");
    const std::size_t off = 16 + 56 * 20000 + 16;  // position_mm of sample 20000 (in the rate window)
    REQUIRE(bin.size() > off + 8);
    double v = 0;
    std::memcpy(&v, bin.data() + off, 8);
    v += 0.5;
    std::memcpy(bin.data() + off, &v, 8);
    write_file_atomic(dir / "samples.bin", bin);
    const auto an2 = run_rig({"analyze", dir.string()}, tmp.path());
    CHECK(an2.exit_code == 1);
    CHECK_THAT(an2.out, Catch::Contains("DIFF"));
}

TEST_CASE("rig run: FAIL exits 1, ERROR exits 2, JSON progress for CI", "[cli][sim]") {
    test::TempDir tmp;
    const auto f = run_rig({"run", src("scenarios/regression/depth-offset.yaml"), "--runs-dir", (tmp / "a").string(),
                            "--state-dir", (tmp / "state").string()},
                           tmp.path());
    CHECK(f.exit_code == 1);
    const auto e = run_rig({"run", src("scenarios/regression/loop-overrun.yaml"), "--runs-dir", (tmp / "b").string(),
                            "--json", "--state-dir", (tmp / "state").string()},
                           tmp.path());
    CHECK(e.exit_code == 2);
    // --json: one JSON object per line, ending with the verdict and exit code.
    std::istringstream lines(e.out);
    std::string line, last;
    int n = 0;
    while (std::getline(lines, line)) {
        if (line.empty()) continue;
        CHECK_NOTHROW(nlohmann::json::parse(line));
        last = line;
        ++n;
    }
    CHECK(n > 5);
    const auto j = nlohmann::json::parse(last);
    CHECK(j["event"] == "done");
    CHECK(j["verdict"] == "ERROR");
    CHECK(j["exit_code"] == 2);
}

TEST_CASE("rig run: SIGINT mid-run aborts (exit 3), drive off, record closed ABORTED", "[cli][sim][safety]") {
    test::TempDir tmp;
    const auto p = tmp / "long.yaml";
    std::ofstream(p) << "id: LONG\ntitle: long\nversion: \"1\"\nspec: " << src("scenarios/specs/novapen-x2.yaml")
                     << "\nfixture: " << src("fixtures/sim.yaml")
                     << "\nsteps:\n  - set_level: 3\n  - set_depth: 1 mm\n  - power: on\n  - hold: 60 s\n"
                        "  - measure: {what: puncture_rate, window: 1 s}\n";
    const auto runs = tmp / "runs";
    test::Proc c({PENRIG_RIG_EXE, "run", p.string(), "--realtime", "--json", "--runs-dir", runs.string(),
                  "--state-dir", (tmp / "state").string()},
                 tmp / "long");
    REQUIRE(test::wait_for_output(c, "\"label\":\"hold\"", std::chrono::seconds(30)));
    c.signal(SIGINT);
    const auto r = test::finish(c, std::chrono::seconds(30));
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    const auto rec = nlohmann::json::parse(read_file(only_run_dir(runs) / "record.json"));
    CHECK(rec["verdict"] == "ABORTED");
    CHECK(rec["complete"] == true);
    CHECK_THAT(rec["verdict_reason"].get<std::string>(), Catch::Contains("aborted"));
    // The run stopped inside the 60 s hold: the last step begun is the hold.
    CHECK(rec["steps"].back()["kind"] == "hold");
    CHECK(rec["samples"]["count"].get<double>() < 60 * 10000);
}

TEST_CASE("rig: bad command-line arguments exit 2 with a message", "[cli]") {
    test::TempDir tmp;
    const auto a = run_rig({"run"}, tmp.path());
    CHECK(a.exit_code == 2);
    CHECK_THAT(a.err + a.out, Catch::Contains("scenario is required"));
    const auto b = run_rig({"run", "/no/such/file.yaml"}, tmp.path());
    CHECK(b.exit_code == 2);
    CHECK_THAT(b.err + b.out, Catch::Contains("/no/such/file.yaml"));
    const auto c = run_rig({"frobnicate"}, tmp.path());
    CHECK(c.exit_code == 2);
    const auto h = run_rig({"--help"}, tmp.path());
    CHECK(h.exit_code == 0);
    CHECK_THAT(h.out, Catch::Contains("Exit codes: 0 pass, 1 fail"));
}

TEST_CASE("rig run: a hardware rig held by another process is refused before anything moves", "[cli][safety]") {
    test::TempDir tmp;
    const auto lock_dir = tmp / "lock";
    std::filesystem::create_directories(lock_dir);
    {
        // This test process holds the rig, as a running `rig serve` would.
        rig::FixtureLock held(lock_dir, "pi4-reference");
        // (rate-sweep: no depth, so no `reference:` step, which the reference fixture has no method for.)
        const auto r = run_rig({"run", src("scenarios/rate-sweep.yaml"), "--fixture", src("fixtures/pi4-reference.yaml"),
                                "--lock-dir", lock_dir.string(), "--runs-dir", (tmp / "runs").string()},
                               tmp.path());
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("penrig-pi4-reference.lock"));
        CHECK_FALSE(std::filesystem::exists(tmp / "runs"));
    }
}
