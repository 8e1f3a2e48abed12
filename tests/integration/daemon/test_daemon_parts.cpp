// The daemon's pure parts: protocol helpers, heartbeat watchdog, state file
// recovery, fixture lock.
#include <unistd.h>

#include <fstream>

#include "catch.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/session/fixture_lock.hpp"
#include "rig/daemon/protocol.hpp"
#include "rig/daemon/state_store.hpp"
#include "rig/daemon/watchdog.hpp"
#include "temp_dir.hpp"

using namespace rig::daemon;
using rig::FixtureBusy;
using rig::FixtureLock;
using json = nlohmann::json;

TEST_CASE("protocol: request parsing and replies", "[daemon][protocol]") {
    auto ok = parse_request(R"({"id": "a", "op": "status", "run_id": "r"})");
    CHECK(ok.error.is_null());
    CHECK(ok.id == "a");
    CHECK(ok.op == "status");
    CHECK(ok.body["run_id"] == "r");
    CHECK(parse_request("{\"id\":3,\"op\":\"ping\"}\r").error.is_null());  // CRLF client

    auto bad = parse_request("{\"id\": 1, \"op\": ");
    CHECK(bad.error["error"]["code"] == "bad_json");
    CHECK(bad.error["id"].is_null());
    CHECK(parse_request("[1,2]").error["error"]["code"] == "bad_json");
    // A number that overflows a double is nlohmann's out_of_range, not a
    // parse_error: still a bad request, never an exception out of the parser
    // (found by fuzz_protocol; the input is in its corpus).
    CHECK(parse_request(R"({"id": 2112e1111112, "op": "ping"})").error["error"]["code"] == "bad_json");
    auto noop = parse_request(R"({"id": 9})");
    CHECK(noop.error["error"]["code"] == "bad_request");
    CHECK(noop.error["id"] == 9);  // echoed when readable
    CHECK(parse_request(R"({"id": {"x":1}, "op": "ping"})").error["error"]["code"] == "bad_request");

    const auto e = error_reply(5, errc::invalid_scenario, "2 errors", {"a.yaml:1:2: error: x"});
    CHECK(e == json::parse(R"({"id":5,"ok":false,"error":{"code":"invalid_scenario","message":"2 errors","diagnostics":["a.yaml:1:2: error: x"]}})"));
    CHECK(ok_reply("q", {{"run_id", "r"}}) == json::parse(R"({"id":"q","ok":true,"run_id":"r"})"));
}

TEST_CASE("protocol: did-you-mean", "[daemon][protocol]") {
    CHECK(edit_distance("status", "status") == 0);
    CHECK(edit_distance("stauts", "status") == 2);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(closest_match("stauts", known_ops()) == "status");
    CHECK(closest_match("sumbit", known_ops()) == "submit");
    CHECK(closest_match("heal", known_ops()) == "health");  // prefix
    CHECK(closest_match("frobnicate", known_ops()).empty());
}

TEST_CASE("watchdog: stuck only after the heartbeat stops for the timeout", "[daemon][watchdog]") {
    using namespace std::chrono_literals;
    HeartbeatWatchdog wd(1s);
    const auto t0 = HeartbeatWatchdog::Clock::time_point{} + 100s;
    using S = HeartbeatWatchdog::Status;
    CHECK(wd.observe(0, t0) == S::idle);             // loop not started
    CHECK(wd.observe(0, t0 + 5s) == S::idle);        // however long: nothing to supervise
    CHECK(wd.observe(10, t0 + 5s) == S::alive);
    CHECK(wd.observe(10, t0 + 5s + 999ms) == S::alive);
    CHECK(wd.observe(10, t0 + 6s) == S::stuck);      // exactly the timeout
    CHECK(wd.stalled_for(t0 + 6s) == 1s);
    CHECK(wd.observe(11, t0 + 6s + 1ms) == S::alive);  // advanced again
    CHECK(wd.observe(11, t0 + 7s) == S::alive);
    CHECK(wd.observe(11, t0 + 7s + 2ms) == S::stuck);
    CHECK(wd.observe(0, t0 + 8s) == S::idle);        // the loop ended: reset
    CHECK(wd.observe(11, t0 + 8s) == S::alive);      // a new run may start at any count
}

TEST_CASE("watchdog: watched from the run's start, a loop that never beats is stuck", "[daemon][watchdog]") {
    using namespace std::chrono_literals;
    HeartbeatWatchdog wd(5s);
    const auto t0 = HeartbeatWatchdog::Clock::time_point{} + 100s;
    using S = HeartbeatWatchdog::Status;
    wd.start(t0);
    CHECK(wd.observe(0, t0 + 4s) == S::alive);         // set-up before the first iteration
    CHECK_FALSE(wd.loop_started());
    CHECK(wd.observe(0, t0 + 5s) == S::stuck);         // no first iteration within the timeout
    CHECK(wd.stalled_for(t0 + 5s) == 5s);
    // A loop that starts in time is then watched on its heartbeat.
    wd.start(t0 + 10s);
    CHECK(wd.observe(0, t0 + 14s) == S::alive);
    CHECK(wd.observe(1, t0 + 14s) == S::alive);
    CHECK(wd.loop_started());
    CHECK(wd.observe(1, t0 + 18s) == S::alive);        // a loaded machine: 4 s without a beat is not stuck
    CHECK(wd.observe(1, t0 + 19s) == S::stuck);
    CHECK(wd.observe(2, t0 + 19s) == S::alive);
    CHECK(wd.observe(0, t0 + 30s) == S::idle);         // the loop ended: the record is being closed
    CHECK(wd.observe(0, t0 + 300s) == S::idle);
}

TEST_CASE("state file: round trip and recovery of interrupted runs", "[daemon][state]") {
    rig::test::TempDir tmp;
    const auto runs = tmp / "runs";
    std::filesystem::create_directories(runs / "r-open");
    std::filesystem::create_directories(runs / "r-closed");
    // What the runner leaves: complete=false at start; complete=true when closed.
    rig::write_file_atomic(runs / "r-open" / "record.json",
                           R"({"run_id":"r-open","complete":false,"verdict":"INCOMPLETE","verdict_reason":"not finished"})");
    rig::write_file_atomic(runs / "r-closed" / "record.json",
                           R"({"run_id":"r-closed","complete":true,"verdict":"FAIL","verdict_reason":"out of spec"})");

    std::vector<RunEntry> in(5);
    const char* ids[] = {"r-done", "r-open", "r-closed", "r-norecord", "r-queued"};
    const RunState states[] = {RunState::done, RunState::running, RunState::running, RunState::running, RunState::queued};
    for (std::size_t i = 0; i < 5; ++i) {
        in[i].run_id = ids[i];
        in[i].state = states[i];
        in[i].dir = (runs / ids[i]).string();
        in[i].submission.scenario_text = "id: X\n";
        in[i].submission.base_dir = "/abs";
        in[i].submission.operator_name = "qa";
    }
    in[0].verdict = "PASS";
    in[4].submission.seed = 42;
    StateFile sf(tmp / "daemon-state.json");
    sf.save(in, "sim-01");
    auto loaded = sf.load();
    REQUIRE(loaded.size() == 5);
    CHECK(loaded[4].submission.scenario_text == "id: X\n");
    CHECK(loaded[4].submission.seed == 42u);
    CHECK(loaded[0].submission.scenario_text.empty());  // finished runs drop their text
    CHECK(loaded[0].verdict == "PASS");

    const auto changed = recover_interrupted(loaded, "2026-01-01T00:00:00.000Z");
    CHECK(changed == std::vector<std::string>{"r-open", "r-closed", "r-norecord"});
    CHECK(loaded[1].state == RunState::incomplete);
    CHECK(loaded[1].verdict == "INCOMPLETE");
    CHECK(loaded[2].state == RunState::done);  // its record was closed before the daemon died
    CHECK(loaded[2].verdict == "FAIL");
    CHECK(loaded[3].state == RunState::incomplete);
    CHECK(loaded[4].state == RunState::queued);  // stays queued and runs
    const auto rec = json::parse(rig::read_file(runs / "r-open" / "record.json"));
    CHECK(rec["complete"] == false);
    CHECK(rec["verdict"] == "INCOMPLETE");
    CHECK(rec["verdict_reason"] == kInterruptedReason);
    CHECK(json::parse(rig::read_file(runs / "r-closed" / "record.json"))["verdict"] == "FAIL");  // untouched

    std::ofstream(tmp / "broken.json") << "{ not json";
    CHECK_THROWS_WITH(StateFile(tmp / "broken.json").load(), Catch::Contains("broken.json"));
    CHECK(StateFile(tmp / "missing.json").load().empty());
}

TEST_CASE("state file: pruning keeps queued and running runs", "[daemon][state]") {
    std::vector<RunEntry> v(6);
    for (std::size_t i = 0; i < v.size(); ++i) {
        v[i].run_id = std::to_string(i);
        v[i].state = (i == 2) ? RunState::queued : (i == 4 ? RunState::running : RunState::done);
    }
    prune_finished(v, 2);
    REQUIRE(v.size() == 4);
    CHECK(v[0].run_id == "2");
    CHECK(v[1].run_id == "3");
    CHECK(v[2].run_id == "4");
    CHECK(v[3].run_id == "5");
}

TEST_CASE("fixture lock: exclusive, names the holder, released on destruction", "[daemon][lock]") {
    rig::test::TempDir tmp;
    CHECK(FixtureLock::lock_path(tmp.path(), "pi4 bench/2").filename() == "penrig-pi4_bench_2.lock");
    {
        FixtureLock a(tmp.path(), "sim-01");
        CHECK(rig::read_file(a.path()) == std::to_string(::getpid()) + "\n");
        try {
            FixtureLock b(tmp.path(), "sim-01");
            FAIL("second lock taken");
        } catch (const FixtureBusy& e) {
            CHECK(e.holder_pid() == ::getpid());
            CHECK(std::string(e.what()).find(a.path().string()) != std::string::npos);
        }
        FixtureLock other(tmp.path(), "sim-02");  // another fixture is independent
        FixtureLock moved(std::move(other));
        CHECK(moved.path().filename() == "penrig-sim-02.lock");
    }
    FixtureLock again(tmp.path(), "sim-01");
    CHECK_THROWS_AS(FixtureLock(tmp.path() / "missing" / "dir", "x"), std::system_error);
}
