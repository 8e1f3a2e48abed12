// The real `rig serve` over its socket (see daemon_harness.hpp).
#include <sys/stat.h>

#include <algorithm>

#include "catch.hpp"
#include "daemon_harness.hpp"
#include "rig/daemon/protocol.hpp"

using namespace rig::test;

TEST_CASE("a submitted run completes and its record is served", "[daemon]") {
    Rig rig;
    rig.start();
    struct stat st {};
    REQUIRE(::stat(rig.socket.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0660);

    Wire w(rig.socket);
    const auto r = rig.submit(w, source_dir() / "scenarios" / "smoke.yaml", {{"dut", "SN-1"}, {"lot", "L7"}, {"operator", "qa-anna"}, {"tags", {"daemon"}}});
    REQUIRE(r.value("ok", false));
    CHECK(r["position"] == 0);
    const std::string id = r["run_id"];
    const auto done = rig.wait_state(id, "done");
    CHECK(done["verdict"] == "PASS");
    CHECK(done["exit_code"] == 0);

    const auto rec = w.call({{"op", "record"}, {"run_id", id}});
    REQUIRE(rec.value("ok", false));
    CHECK(rec["record"]["complete"] == true);
    CHECK(rec["record"]["verdict"] == "PASS");
    CHECK(rec["record"]["dut"]["serial"] == "SN-1");
    CHECK(rec["record"]["operator"]["name"] == "qa-anna");
    CHECK(rec["record"]["run_id"] == id);
    CHECK(std::filesystem::exists(rig.state / "runs" / id / "samples.bin"));

    const auto h = w.call({{"op", "health"}});
    REQUIRE(h.value("ok", false));
    CHECK(h["fixture"]["name"] == "sim-01");
    CHECK(h["fixture"]["backend"] == "sim");
    CHECK(h["calibration"].size() == 3);
    CHECK(h["today"] == "2026-06-01");  // the harness pins the daemon's date
    CHECK(h["calibration"][0]["status"] == "valid");
    CHECK(h["loop"]["run_id"] == id);
    CHECK(h["loop"]["timing"]["samples"].get<double>() > 0);
    CHECK(h["queue_length"] == 0);

    const auto s = rig.state_file();
    REQUIRE(s["runs"].size() == 1);
    CHECK(s["runs"][0]["state"] == "done");
    CHECK(s["runs"][0]["verdict"] == "PASS");
}

TEST_CASE("three queued runs complete in FIFO order", "[daemon]") {
    Rig rig;
    rig.start(true);
    const auto sc = rig.hold_scenario("SHORT", "300 ms");
    Wire w(rig.socket);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        const auto r = rig.submit(w, sc, {{"dut", "SN-" + std::to_string(i)}});
        REQUIRE(r.value("ok", false));
        CHECK(r["position"] == i);
        ids.push_back(r["run_id"]);
    }
    const auto q = w.call({{"op", "queue"}});
    REQUIRE(q["queued"].size() >= 1);  // the first may have finished already on a slow machine
    CHECK(q["queued"].back()["run_id"] == ids[2]);

    std::vector<rig::test::json> done;
    for (const auto& id : ids) done.push_back(rig.wait_state(id, "done"));
    for (std::size_t i = 0; i < 3; ++i) CHECK(done[i]["verdict"] == "PASS");
    // One at a time, in submission order: each started after the previous ended.
    for (std::size_t i = 1; i < 3; ++i) {
        CHECK(done[i]["started_utc"].get<std::string>() >= done[i - 1]["ended_utc"].get<std::string>());
    }
}

TEST_CASE("abort: a running run closes ABORTED, a queued one is removed", "[daemon]") {
    Rig rig;
    rig.start(true);
    const auto sc = rig.hold_scenario("LONG", "60 s");
    Wire w(rig.socket);
    const std::string a = rig.submit(w, sc)["run_id"];
    const std::string b = rig.submit(w, sc)["run_id"];
    rig.wait_running(a);

    const auto qb = w.call({{"op", "abort"}, {"run_id", b}});
    REQUIRE(qb.value("ok", false));
    CHECK(qb["verdict"] == "ABORTED");
    const auto ra = w.call({{"op", "abort"}, {"run_id", a}});
    REQUIRE(ra.value("ok", false));
    CHECK(ra["state"] == "aborting");

    const auto da = rig.wait_state(a, "done", 20s);
    CHECK(da["verdict"] == "ABORTED");
    const auto rec = rig.record(a);
    CHECK(rec["complete"] == true);
    CHECK(rec["verdict"] == "ABORTED");
    CHECK(rig.wait_state(b, "done")["verdict"] == "ABORTED");
    CHECK_FALSE(std::filesystem::exists(rig.state / "runs" / b));  // never started
    const auto again = w.call({{"op", "abort"}, {"run_id", a}});
    CHECK(again["error"]["code"] == "not_active");
    const auto unknown = w.call({{"op", "abort"}, {"run_id", "nope"}});
    CHECK(unknown["error"]["code"] == "unknown_run");
}

TEST_CASE("bad requests get clear errors and the daemon keeps serving", "[daemon]") {
    Rig rig;
    rig.start();

    SECTION("malformed JSON") {
        Wire w(rig.socket);
        w.send_raw("{\"id\": 1, \"op\": \"status\"\n");
        const auto m = w.read();
        REQUIRE(m);
        CHECK((*m)["ok"] == false);
        CHECK((*m)["error"]["code"] == "bad_json");
        CHECK(w.call({{"op", "status"}})["ok"] == true);  // same connection still served
    }
    SECTION("unknown op, with a suggestion") {
        Wire w(rig.socket);
        const auto m = w.call({{"id", "x1"}, {"op", "stauts"}});
        CHECK(m["id"] == "x1");
        CHECK(m["error"]["code"] == "unknown_op");
        CHECK(m["error"]["message"].get<std::string>().find("did you mean 'status'") != std::string::npos);
    }
    SECTION("missing fields") {
        Wire w(rig.socket);
        CHECK(w.call({{"op", "watch"}})["error"]["code"] == "bad_request");
        CHECK(w.call({{"op", "submit"}, {"scenario_path", "relative.yaml"}})["error"]["code"] == "bad_request");
        CHECK(w.call({{"op", "submit"}, {"scenario_text", "id: x"}, {"seed", -1}})["error"]["code"] == "bad_request");
    }
    SECTION("oversize request: error, connection closed") {
        Wire w(rig.socket);
        const std::string big = "{\"id\":7,\"op\":\"status\",\"pad\":\"" + std::string(rig::daemon::kMaxRequestBytes + 1024, 'x') + "\"}\n";
        w.send_raw(big);
        const auto m = w.read();
        REQUIRE(m);
        CHECK((*m)["error"]["code"] == "request_too_large");
        CHECK_FALSE(w.read(2s));  // closed
    }
    SECTION("a request of exactly the limit is accepted") {
        Wire w(rig.socket);
        std::string line = "{\"id\":8,\"op\":\"ping\",\"pad\":\"\"}";
        line.insert(line.size() - 2, std::string(rig::daemon::kMaxRequestBytes - line.size(), 'y'));
        REQUIRE(line.size() == rig::daemon::kMaxRequestBytes);
        w.send_raw(line + "\n");
        const auto m = w.read();
        REQUIRE(m);
        CHECK((*m)["ok"] == true);
    }
    SECTION("a scenario with errors: every diagnostic, nothing queued") {
        Wire w(rig.socket);
        const auto sc = rig.scenario("BAD", "  - set_depth: 1.0 parsec\n  - hold: fast\n  - power: maybe\n");
        const auto m = rig.submit(w, sc);
        CHECK(m["error"]["code"] == "invalid_scenario");
        const auto& d = m["error"]["diagnostics"];
        std::size_t errors = 0;
        for (const auto& line : d) {
            CHECK(line.get<std::string>().find(sc.string() + ":") == 0);  // file:line:col, as `rig validate`
            errors += line.get<std::string>().find(": error: ") != std::string::npos ? 1u : 0u;
        }
        CHECK(errors == 3);
        CHECK(m["error"]["message"].get<std::string>().find("3 error(s)") == 0);
        CHECK(w.call({{"op", "queue"}})["queued"].empty());
    }
    // Whatever happened above, a new client is served.
    Wire w2(rig.socket);
    CHECK(w2.call({{"op", "ping"}})["ok"] == true);
    CHECK_FALSE(rig.daemon->wait(0ms).has_value());
}

TEST_CASE("two clients watching one run both get its events and verdict", "[daemon]") {
    Rig rig;
    rig.start(true);
    const auto sc = rig.scenario("WATCHED", "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n  - hold: 1 s\n"
                                            "  - measure: {what: loop_timing, window: previous}\n  - power: off\n");
    Wire w(rig.socket);
    const std::string id = rig.submit(w, sc)["run_id"];
    Wire a(rig.socket), b(rig.socket);
    a.send({{"id", "wa"}, {"op", "watch"}, {"run_id", id}});
    b.send({{"id", 42}, {"op", "watch"}, {"run_id", id}});
    const auto ea = events_until_verdict(a, "wa");
    const auto eb = events_until_verdict(b, 42);
    REQUIRE_FALSE(ea.empty());
    REQUIRE_FALSE(eb.empty());
    CHECK(ea.back()["event"] == "verdict");
    CHECK(eb.back()["event"] == "verdict");
    CHECK(ea.back()["verdict"] == eb.back()["verdict"]);
    CHECK(ea.back()["run_id"] == id);
    auto count = [](const std::vector<json>& ev, const char* kind) {
        return std::count_if(ev.begin(), ev.end(), [&](const json& e) { return e["event"] == kind; });
    };
    // 1 s at wall-clock pace: both saw the run going, not only its end.
    CHECK(count(ea, "step") >= 1);
    CHECK(count(eb, "step") >= 1);
    CHECK(count(ea, "progress") >= 1);
    CHECK(count(ea, "measurement") == 1);
    CHECK(count(eb, "measurement") == 1);
    // Watching a finished run yields its verdict at once.
    Wire c(rig.socket);
    c.send({{"id", "late"}, {"op", "watch"}, {"run_id", id}});
    const auto ec = events_until_verdict(c, "late", 5s);
    REQUIRE(ec.size() == 1);
    CHECK(ec[0]["verdict"] == ea.back()["verdict"]);
}

TEST_CASE("a client disconnecting mid-run does not stop the run", "[daemon]") {
    Rig rig;
    rig.start(true);
    const auto sc = rig.hold_scenario("DISCONNECT", "3 s");
    std::string id;
    {
        Wire w(rig.socket);
        id = rig.submit(w, sc)["run_id"];
        w.send({{"id", 1}, {"op", "watch"}, {"run_id", id}});
        REQUIRE(w.read());  // the watch reply
        rig.wait_running(id);
    }  // the client goes away mid-run
    CHECK(rig.status(id)["run"]["state"] == "running");
    const auto done = rig.wait_state(id, "done", 30s);
    CHECK(done["verdict"] == "PASS");
    CHECK(rig.record(id)["complete"] == true);
}

TEST_CASE("SIGTERM mid-run: record closed ABORTED, state persisted, exit 0", "[daemon]") {
    Rig rig;
    rig.start(true);
    const auto sc = rig.hold_scenario("TERM", "60 s");
    Wire w(rig.socket);
    const std::string a = rig.submit(w, sc)["run_id"];
    const std::string b = rig.submit(w, sc)["run_id"];
    rig.wait_running(a);
    w.send({{"id", "w"}, {"op", "watch"}, {"run_id", a}});
    rig.daemon->signal(SIGTERM);
    const auto ex = rig.daemon->wait(20s);
    REQUIRE(ex);
    CHECK(ex->code == 0);
    const auto ev = events_until_verdict(w, "w", 5s);  // the watcher got the verdict before the daemon left
    REQUIRE_FALSE(ev.empty());
    CHECK(ev.back()["verdict"] == "ABORTED");

    const auto rec = rig.record(a);
    CHECK(rec["complete"] == true);
    CHECK(rec["verdict"] == "ABORTED");
    const auto st = rig.state_file();
    REQUIRE(st["runs"].size() == 2);
    CHECK(st["runs"][0]["run_id"] == a);
    CHECK(st["runs"][0]["state"] == "done");
    CHECK(st["runs"][0]["verdict"] == "ABORTED");
    CHECK(st["runs"][1]["run_id"] == b);
    CHECK(st["runs"][1]["state"] == "queued");  // nothing lost: it runs after the restart
    CHECK_FALSE(std::filesystem::exists(rig.socket));

    rig.start(true);
    rig.wait_running(b);
    Wire w2(rig.socket);
    CHECK(w2.call({{"op", "abort"}, {"run_id", b}})["ok"] == true);
    CHECK(rig.wait_state(b, "done", 20s)["verdict"] == "ABORTED");
}

TEST_CASE("SIGKILL mid-run, then restart: the run is found incomplete, never PASS", "[daemon]") {
    Rig rig;
    rig.start(true);
    const auto sc = rig.hold_scenario("KILLED", "60 s");
    std::string id;
    {
        Wire w(rig.socket);
        id = rig.submit(w, sc)["run_id"];
    }
    rig.wait_running(id);
    rig.daemon->signal(SIGKILL);
    const auto ex = rig.daemon->wait(10s);
    REQUIRE(ex);
    CHECK(ex->signal == SIGKILL);
    CHECK(rig.record(id)["complete"] == false);

    rig.start(true);  // the lock died with the process; the stale socket file is replaced
    const auto st = rig.status(id);
    REQUIRE(st.value("ok", false));
    CHECK(st["run"]["state"] == "incomplete");
    CHECK(st["run"]["verdict"] == "INCOMPLETE");
    CHECK(st["run"]["exit_code"] == 2);
    const auto rec = rig.record(id);
    CHECK(rec["complete"] == false);
    CHECK(rec["verdict"] == "INCOMPLETE");
    CHECK(rec["verdict_reason"].get<std::string>().find("daemon stopped during the run") != std::string::npos);
    CHECK(rig.state_file()["runs"][0]["state"] == "incomplete");
}

TEST_CASE("a second daemon on the same fixture refuses to start", "[daemon]") {
    Rig rig;
    rig.start();
    std::string err;
    const auto ex = run_rig({"serve", "--socket", (rig.tmp / "other.sock").string(), "--state-dir",
                             (rig.tmp / "other").string(), "--lock-dir", rig.locks.string(), "--fixture",
                             rig.fixture.string()},
                            rig.tmp / "second", nullptr, &err);
    CHECK(ex.code == 2);
    CHECK(err.find("penrig-sim-01.lock") != std::string::npos);
    CHECK(err.find("pid " + std::to_string(rig.daemon->pid())) != std::string::npos);
    Wire w(rig.socket);
    CHECK(w.call({{"op", "ping"}})["ok"] == true);  // the first one is untouched
}

TEST_CASE("rig submit --wait exits with the run's verdict code", "[daemon][cli]") {
    Rig rig;
    rig.start();
    const std::string sock = rig.socket.string();
    std::string out, err;
    SECTION("PASS -> 0") {
        const auto ex = run_rig({"submit", (source_dir() / "scenarios" / "smoke.yaml").string(), "--wait", "--socket", sock, "--dut", "SN-9"},
                                rig.tmp / "pass", &out, &err);
        CHECK(ex.code == 0);
        CHECK(out.find(": PASS") != std::string::npos);
    }
    SECTION("FAIL -> 1") {
        const auto ex = run_rig({"submit", (source_dir() / "scenarios" / "regression" / "depth-offset.yaml").string(),
                                 "--wait", "--socket", sock},
                                rig.tmp / "fail", &out, &err);
        CHECK(ex.code == 1);
        CHECK(out.find(": FAIL") != std::string::npos);
    }
    SECTION("bad input -> 2, with file:line:col") {
        const auto bad = rig.scenario("BADCLI", "  - hold: forever\n");
        const auto ex = run_rig({"submit", bad.string(), "--wait", "--socket", sock}, rig.tmp / "bad", &out, &err);
        CHECK(ex.code == 2);
        CHECK(err.find(bad.string() + ":") != std::string::npos);
    }
    SECTION("no daemon -> 2") {
        const auto ex = run_rig({"submit", (source_dir() / "scenarios" / "smoke.yaml").string(), "--socket",
                                 (rig.tmp / "none.sock").string()},
                                rig.tmp / "none", &out, &err);
        CHECK(ex.code == 2);
    }
    SECTION("status, queue and --json print") {
        CHECK(run_rig({"submit", (source_dir() / "scenarios" / "smoke.yaml").string(), "--wait", "--json", "--socket", sock},
                      rig.tmp / "json", &out, &err).code == 0);
        const auto first = json::parse(out.substr(0, out.find('\n')));
        CHECK(first["ok"] == true);
        const std::string id = first["run_id"];
        CHECK(run_rig({"status", id, "--socket", sock}, rig.tmp / "st", &out, &err).code == 0);
        CHECK(out.find(id) != std::string::npos);
        CHECK(out.find("PASS") != std::string::npos);
        CHECK(run_rig({"queue", "--socket", sock}, rig.tmp / "q", &out, &err).code == 0);
        CHECK(out.find("nothing running") != std::string::npos);
        CHECK(run_rig({"status", "nope", "--socket", sock}, rig.tmp / "st2", &out, &err).code == 2);
    }
}

TEST_CASE("rig submit --wait exits 3 when the run is aborted", "[daemon][cli]") {
    Rig rig;
    rig.start(true);
    const auto sc = rig.hold_scenario("CLIABORT", "60 s");
    Proc client({PENRIG_RIG_EXE, "submit", sc.string(), "--wait", "--socket", rig.socket.string()}, rig.tmp / "client");
    // Find the run and abort it with `rig abort`.
    std::string id;
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (id.empty() && std::chrono::steady_clock::now() < until) {
        Wire w(rig.socket);
        const auto q = w.call({{"op", "queue"}});
        if (!q["running"].is_null()) id = q["running"]["run_id"];
        std::this_thread::sleep_for(20ms);
    }
    REQUIRE_FALSE(id.empty());
    rig.wait_running(id);
    std::string out;
    CHECK(run_rig({"abort", id, "--socket", rig.socket.string()}, rig.tmp / "abort", &out).code == 0);
    CHECK(out.find("abort requested") != std::string::npos);
    const auto ex = client.wait(30s);
    REQUIRE(ex);
    CHECK(ex->code == 3);
    CHECK(client.out().find(": ABORTED") != std::string::npos);
}

TEST_CASE("years ahead of the sim's due dates: health says expired, a certification run is refused and audited",
          "[daemon][calibration][future]") {
    Rig rig;
    rig.today = "2033-01-01";  // the sim fixture's records are due 2027-11-01
    rig.start();
    Wire w(rig.socket);
    const auto h = w.call({{"op", "health"}});
    CHECK(h["today"] == "2033-01-01");
    for (const auto& c : h["calibration"]) CHECK(c["status"] == "expired");

    // A copy of a shipped certification scenario, its tag in capitals.
    auto text = slurp(source_dir() / "scenarios" / "depth-sweep.yaml");
    const auto pos = text.find("certification");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 13, "Certification");
    const auto p = rig.tmp / "cert.yaml";
    std::ofstream(p) << text;
    std::filesystem::create_directories(rig.tmp / "specs");
    std::filesystem::copy_file(source_dir() / "scenarios" / "specs" / "novapen-x2.yaml", rig.tmp / "specs" / "novapen-x2.yaml");
    const auto r = rig.submit(w, p);
    CHECK(r["error"]["code"] == "calibration_expired");
    CHECK(w.call({{"op", "queue"}})["queued"].empty());
    const auto audit = slurp(rig.state / "audit.jsonl");
    CHECK(audit.find("\"run.refused\"") != std::string::npos);
    CHECK(audit.find("2033-01-01") != std::string::npos);

    // A run that is not a certification run starts, and its record marks the instruments.
    const auto s = rig.submit(w, source_dir() / "scenarios" / "smoke.yaml");
    REQUIRE(s.value("ok", false));
    rig.wait_state(s["run_id"], "done");
    const auto record = rig.record(s["run_id"]);  // a named copy: the loop must not outlive a temporary
    for (const auto& c : record["calibration"]) CHECK(c["status"] == "expired");
}

// What the daemon holds per run is bounded and goes with the run (DESIGN §5:
// flat over a rig's life): queued scenarios hold their texts at their size
// (not the 512 KiB input limit each), finished runs beyond --keep-finished are
// forgotten, no scenario, watch or client stays behind, and the allocator's
// free pages are given back after every run. Sizes, not RSS: nothing timed.
TEST_CASE("per-run state is bounded and released after each run", "[daemon][memory]") {
    Rig rig;
    rig.extra_args = {"--keep-finished", "3", "--max-queue-per-user", "16"};
    rig.start();
    const auto sc = rig.hold_scenario("SHORT", "100 ms");
    Wire w(rig.socket);
    std::vector<std::string> ids;
    std::size_t most_held = 0;
    for (int i = 0; i < 8; ++i) {
        const auto r = rig.submit(w, sc);
        REQUIRE(r.value("ok", false));
        ids.push_back(r["run_id"]);
        const auto m = w.call({{"op", "health"}})["memory"];
        const auto held = m["scenarios_held"].get<std::size_t>();
        most_held = std::max(most_held, held);
        // Scenario, spec and fixture texts: a few KiB each, not 3 x 512 KiB.
        CHECK(m["scenario_text_bytes"].get<std::size_t>() <= held * 64 * 1024);
    }
    CHECK(most_held >= 1);
    for (const auto& id : ids) (void)rig.wait_state(id, "done");
    // The first runs are forgotten by the daemon; their folders stay.
    CHECK_FALSE(rig.status(ids.front()).value("ok", true));
    CHECK(std::filesystem::exists(rig.state / "runs" / ids.front() / "record.json"));
    const auto m = w.call({{"op", "health"}})["memory"];
    CHECK(m["runs_remembered"] == 3);
    CHECK(m["keep_finished"] == 3);
    CHECK(m["scenarios_held"] == 0);
    CHECK(m["scenario_text_bytes"] == 0);
    CHECK(m["watches"] == 0);
    CHECK(m["clients"].get<std::size_t>() <= 2);  // this one, and the last status poll's if its close is not yet seen
    CHECK(m["trims"] == 8);
    CHECK(m.contains("heap_in_use_bytes"));  // glibc's figure; 0 under ASan, which replaces malloc
}
