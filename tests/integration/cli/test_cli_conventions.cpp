// Command-line conventions and the CLI's side of hardening: NO_COLOR, unknown
// commands, global options anywhere, counts as integers, one line per
// measurement, signals and a closed stdout, input files that are not files,
// limits reported with file:line:col, attribution without USER.
#include <signal.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "catch.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

using namespace rig;
using test::run_rig;
using namespace std::chrono_literals;

namespace {
std::string src(const std::string& rel) { return (test::source_dir() / rel).string(); }

std::filesystem::path scenario(const std::filesystem::path& dir, const std::string& steps, const std::string& extra = "") {
    const auto p = dir / "s.yaml";
    std::ofstream(p) << "id: S\ntitle: t\nversion: \"1\"\nspec: " << src("scenarios/specs/novapen-x2.yaml")
                     << "\nfixture: " << src("fixtures/sim.yaml") << "\n" << extra << "steps:\n" << steps;
    return p;
}
}  // namespace

TEST_CASE("an unknown command gets a clear message with a suggestion", "[cli][conventions]") {
    test::TempDir tmp;
    const auto r = run_rig({"rnu", "x.yaml"}, tmp.path());
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("unknown command 'rnu'") && Catch::Contains("did you mean 'run'?"));
    CHECK_THAT(r.err, !Catch::Contains("A subcommand is required"));
}

TEST_CASE("global options are accepted after the subcommand; NO_COLOR is respected", "[cli][conventions]") {
    test::TempDir tmp;
    const auto r = run_rig({"validate", src("scenarios/smoke.yaml"), "--log-level", "debug"}, tmp.path(), {"NO_COLOR=1"});
    CHECK(r.exit_code == 0);
    CHECK(r.err.find('\033') == std::string::npos);
    CHECK(r.out.find('\033') == std::string::npos);
}

TEST_CASE("rig run: counts are integers and each measurement is printed once", "[cli][conventions][sim]") {
    test::TempDir tmp;
    const auto r = run_rig({"run", src("scenarios/smoke.yaml"), "--runs-dir", (tmp / "runs").string(), "--no-sign",
                            "--state-dir", (tmp / "state").string()},
                           tmp.path(), {"NO_COLOR=1"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("e+0") == std::string::npos);
    const auto loop = r.out.find("loop: ");
    REQUIRE(loop != std::string::npos);
    const auto n = r.out.substr(loop + 6, r.out.find(' ', loop + 6) - loop - 6);
    CHECK(n.find_first_not_of("0123456789") == std::string::npos);
    // Each measurement id appears once across stdout and stderr.
    const auto rec = nlohmann::json::parse(std::ifstream(
        [&] {
            for (const auto& e : std::filesystem::directory_iterator(tmp / "runs")) return e.path() / "record.json";
            return std::filesystem::path();
        }()));
    // Each measurement is on one line of stdout and stderr together: a line
    // whose first two words are its outcome and its id.
    std::istringstream all(r.out + r.err);
    std::map<std::string, int> lines;
    for (std::string line; std::getline(all, line);) {
        std::istringstream words(line);
        std::string outcome, id;
        words >> outcome >> id;
        if (outcome == "PASS" || outcome == "FAIL" || outcome == "ERROR") ++lines[id];
    }
    for (const auto& m : rec["measurements"]) CHECK(lines[m["id"].get<std::string>()] == 1);
}

TEST_CASE("rig run --json | head -1: the run finishes and its record closes", "[cli][signals][sim]") {
    test::TempDir tmp;
    const std::string cmd = std::string("set -o pipefail; '") + PENRIG_RIG_EXE + "' run --json --no-sign '" +
                            src("scenarios/smoke.yaml") + "' --runs-dir '" + (tmp / "runs").string() + "' --state-dir '" +
                            (tmp / "state").string() + "' | head -1 >/dev/null; echo rc=${PIPESTATUS[0]}";
    test::Proc p({"/bin/bash", "-c", cmd}, tmp / "pipe");
    const auto r = test::finish(p);
    CHECK_THAT(r.out, Catch::Contains("rc=0"));
    for (const auto& e : std::filesystem::directory_iterator(tmp / "runs")) {
        const auto rec = nlohmann::json::parse(std::ifstream(e.path() / "record.json"));
        CHECK(rec["complete"] == true);
        CHECK(rec["verdict"] == "PASS");
    }
}

TEST_CASE("rig run: SIGHUP and SIGQUIT abort like SIGTERM (exit 3, record ABORTED)", "[cli][signals][sim][safety]") {
    for (const int sig : {SIGHUP, SIGQUIT}) {
        CAPTURE(sig);
        test::TempDir tmp;
        const auto sc = scenario(tmp.path(), "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n  - hold: 30 s\n"
                                             "  - measure: {what: loop_timing, window: previous}\n  - power: off\n");
        test::Proc p({PENRIG_RIG_EXE, "run", "--realtime", "--no-sign", "--json", sc.string(), "--runs-dir",
                      (tmp / "runs").string(), "--state-dir", (tmp / "state").string()},
                     tmp / "run");
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < until && p.out().find("\"step\"") == std::string::npos) {
            std::this_thread::sleep_for(20ms);
        }
        p.signal(sig);
        const auto r = test::finish(p, 60s);
        CHECK(r.exit_code == 3);
        for (const auto& e : std::filesystem::directory_iterator(tmp / "runs")) {
            const auto rec = nlohmann::json::parse(std::ifstream(e.path() / "record.json"));
            CHECK(rec["verdict"] == "ABORTED");
            CHECK(rec["complete"] == true);
        }
    }
}

TEST_CASE("input files that are not files are named for what they are, without blocking", "[cli][hardening]") {
    test::TempDir tmp;
    SECTION("a directory") {
        const auto r = run_rig({"validate", tmp.path().string()}, tmp.path());
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("is actually a directory") || Catch::Contains("is a directory"));
    }
    SECTION("a FIFO with no writer") {
        const auto f = tmp / "fifo.yaml";
        REQUIRE(::mkfifo(f.c_str(), 0600) == 0);
        const auto r = run_rig({"validate", f.string()}, tmp.path());
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("FIFO"));
    }
    SECTION("a device") {
        const auto r = run_rig({"validate", "/dev/zero"}, tmp.path());
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("character device"));
    }
    SECTION("deep nesting") {
        std::string deep = "id: x\nsteps: ";
        for (int i = 0; i < 5000; ++i) deep += "[";
        const auto p = tmp / "deep.yaml";
        std::ofstream(p) << deep << "\n";
        const auto r = run_rig({"validate", p.string()}, tmp.path());
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("nesting deeper than"));
        CHECK_THAT(r.err, !Catch::Contains("bad file"));
    }
}

TEST_CASE("a scenario over the duration limit is refused in validation with file:line:col, not a crash",
          "[cli][hardening][limits]") {
    test::TempDir tmp;
    const auto sc = scenario(tmp.path(), "  - power: on\n  - repeat: {count: 30, steps: [{hold: 1440 min}]}\n");
    const auto r = run_rig({"run", sc.string(), "--runs-dir", (tmp / "runs").string()}, tmp.path());
    CHECK(r.exit_code == 2);
    CHECK(r.signal == 0);
    CHECK_THAT(r.err, Catch::Contains(sc.string() + ":8:5: error: repeat") && Catch::Contains("scenario duration limit"));
}

TEST_CASE("rig run without USER or LOGNAME attributes the run to the login name", "[cli][sim]") {
    test::TempDir tmp;
    const auto r = run_rig({"run", src("scenarios/smoke.yaml"), "--runs-dir", (tmp / "runs").string(), "--no-sign",
                            "--state-dir", (tmp / "state").string()},
                           tmp.path(), {"USER=", "LOGNAME=", "PENRIG_OPERATOR=", "CI=", "GITHUB_ACTOR="});
    REQUIRE(r.exit_code == 0);
    for (const auto& e : std::filesystem::directory_iterator(tmp / "runs")) {
        const auto rec = nlohmann::json::parse(std::ifstream(e.path() / "record.json"));
        CHECK(rec["operator"]["name"] != "unknown");
        CHECK(rec["operator"]["source"] == "getpwuid");
    }
}
