#include <sqlite3.h>

#include "catch.hpp"
#include "child_process.hpp"
#include "index_rows.hpp"
#include "real_run.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/index/lot.hpp"
#include "rig/index/run_index.hpp"
#include "rig/reports/bundle.hpp"

using namespace rig;
using namespace rig::test;
namespace fs = std::filesystem;

TEST_CASE("index: the run `rig run` finished is in the index with its measurements", "[index]") {
    TempDir tmp;
    const auto run = real_run(tmp, scenario::smoke, /*sign=*/true);
    const index::RunIndex idx(index::index_file(run.state));
    const auto r = idx.run(run.run_id);
    REQUIRE(r.has_value());
    const auto& rec = run.record;
    CHECK(r->verdict == rec.at("verdict").get<std::string>());
    CHECK(r->complete);
    CHECK(r->scenario_id == rec.at("scenario").at("id").get<std::string>());
    CHECK(r->scenario_sha256 == rec.at("scenario").at("sha256").get<std::string>());
    CHECK(r->spec_version == rec.at("spec").at("version").get<std::string>());
    CHECK(r->fixture_id == "sim-01");
    CHECK(r->fixture_backend == "sim");
    CHECK(r->rig_id == rec.at("host").get<std::string>());
    CHECK(r->dut == "SN-TEST-1");
    CHECK(r->lot == "LOT-T1");
    CHECK(r->operator_name == "tester");
    CHECK(r->sw_commit == rec.at("software").at("commit").get<std::string>());
    CHECK(r->started_utc == rec.at("started_utc").get<std::string>());
    CHECK(r->record_sha256 == record_sha256(run.dir));
    CHECK(r->sealed);
    CHECK(r->e_signatures == 0);
    const auto ms = idx.measurements(run.run_id);
    const auto& rms = rec.at("measurements");
    REQUIRE(ms.size() == rms.size());
    REQUIRE_FALSE(ms.empty());
    for (std::size_t i = 0; i < ms.size(); ++i) {
        CHECK(ms[i].id == rms[i].at("id").get<std::string>());
        CHECK(ms[i].unit == rms[i].at("unit").get<std::string>());
        CHECK(ms[i].outcome == rms[i].at("outcome").get<std::string>());
        if (rms[i].at("value").is_null()) {
            CHECK_FALSE(ms[i].value.has_value());
        } else {
            REQUIRE(ms[i].value.has_value());
            CHECK(*ms[i].value == rms[i].at("value").get<double>());  // stored as the same double
        }
    }

    // `rig runs list|show` read it back, filtered, as JSON.
    Proc list({PENRIG_RIG_EXE, "runs", "list", "--state-dir", run.state.string(), "--dut", "SN-TEST-1", "--json"},
              tmp / "list");
    auto e = list.wait(std::chrono::seconds(30));
    REQUIRE((e && e->code == 0));
    const auto js = nlohmann::json::parse(list.out());
    REQUIRE(js.size() == 1);
    CHECK(js[0].at("run_id") == run.run_id);
    Proc none({PENRIG_RIG_EXE, "runs", "list", "--state-dir", run.state.string(), "--lot", "OTHER", "--json"}, tmp / "none");
    e = none.wait(std::chrono::seconds(30));
    REQUIRE((e && e->code == 0));
    CHECK(nlohmann::json::parse(none.out()).empty());
    Proc show({PENRIG_RIG_EXE, "runs", "show", run.run_id, "--state-dir", run.state.string(), "--json"}, tmp / "show");
    e = show.wait(std::chrono::seconds(30));
    REQUIRE((e && e->code == 0));
    CHECK(nlohmann::json::parse(show.out()).at("measurements").size() == rms.size());
}

TEST_CASE("index: filters by DUT, lot, scenario, verdict, rig and time", "[index]") {
    TempDir tmp;
    index::RunIndex idx(tmp / "i.sqlite");
    idx.put(index_row("r1", "2026-11-01T10:00:00.000Z", "SN-1", "L1", "rig-a"), {index_measurement("rate", 110.0)});
    idx.put(index_row("r2", "2026-11-02T10:00:00.000Z", "SN-2", "L1", "rig-b", "FAIL"), {});
    idx.put(index_row("r3", "2026-11-03T10:00:00.000Z", "SN-1", "L2", "rig-b"), {});
    auto ids = [&idx](index::RunFilter f) {
        std::vector<std::string> v;
        for (const auto& r : idx.runs(f)) v.push_back(r.run_id);
        return v;
    };
    index::RunFilter f;
    CHECK(ids(f) == std::vector<std::string>{"r3", "r2", "r1"});
    f.dut = "SN-1";
    CHECK(ids(f) == std::vector<std::string>{"r3", "r1"});
    f = {};
    f.lot = "L1";
    f.rig = "rig-b";
    CHECK(ids(f) == std::vector<std::string>{"r2"});
    f = {};
    f.verdict = "FAIL";
    CHECK(ids(f) == std::vector<std::string>{"r2"});
    f = {};
    f.since_utc = "2026-11-02";
    CHECK(ids(f) == std::vector<std::string>{"r3", "r2"});
    f = {};
    f.scenario = "OTHER";
    CHECK(ids(f).empty());
    // A run put again replaces itself (and its measurements), never duplicates.
    idx.put(index_row("r1", "2026-11-01T10:00:00.000Z", "SN-1"), {index_measurement("rate", 111.0), index_measurement("depth", 1.0)});
    CHECK(idx.run_count() == 3);
    const auto ms = idx.measurements("r1");
    REQUIRE(ms.size() == 2);
    CHECK(*ms[0].value == 111.0);
    idx.remove("r1");
    CHECK(idx.measurements("r1").empty());  // cascade
}

TEST_CASE("index: versioned schema, and a file from a newer penrig is refused", "[index]") {
    TempDir tmp;
    const auto file = tmp / "i.sqlite";
    { CHECK(index::RunIndex(file).schema_version() == index::kSchemaVersion); }
    {
        sqlite::Db db(file);
        db.exec("PRAGMA user_version = 99");
    }
    CHECK_THROWS_WITH(index::RunIndex(file), Catch::Contains("newer"));
}

TEST_CASE("index: reindex rebuilds from the folders, refuses a record changed after sealing, drops gone folders",
          "[index]") {
    TempDir tmp;
    const auto a = real_run(tmp, scenario::smoke, true);
    const auto b = real_run(tmp, scenario::fail, true);
    const auto runs = tmp / "runs";
    const auto file = tmp / "rebuilt.sqlite";
    {
        index::RunIndex idx(file);
        const auto rep = index::reindex(idx, runs);
        CHECK(rep.indexed == 2);
        CHECK(rep.refused == 0);
        CHECK(idx.run(b.run_id)->verdict == "FAIL");
    }
    // Tamper with a's record after sealing: reindex refuses it (and keeps the
    // index's earlier entry, from before the change).
    auto text = read_file(a.dir / "record.json");
    const auto at = text.find("tester");
    REQUIRE(at != std::string::npos);
    text.replace(at, 6, "TESTER");
    write_file_atomic(a.dir / "record.json", text);
    {
        index::RunIndex idx(file);
        const auto rep = index::reindex(idx, runs);
        CHECK(rep.indexed == 1);
        REQUIRE(rep.refused == 1);
        CHECK(rep.problems[0].run_id == a.run_id);
        CHECK_THAT(rep.problems[0].problem, Catch::Contains("manifest"));
        CHECK(idx.run(a.run_id)->operator_name == "tester");
    }
    fs::remove_all(b.dir);
    {
        index::RunIndex idx(file);
        const auto rep = index::reindex(idx, runs);
        CHECK(rep.removed == 1);
        CHECK_FALSE(idx.run(b.run_id).has_value());
    }
    // The CLI: exit 1 when a folder was refused.
    Proc p({PENRIG_RIG_EXE, "runs", "reindex", runs.string(), "--index", file.string()}, tmp / "reindex");
    const auto e = p.wait(std::chrono::seconds(30));
    REQUIRE(e.has_value());
    CHECK(e->code == 1);
    CHECK_THAT(p.err(), Catch::Contains(a.run_id));
}

TEST_CASE("trend on the index: series per rig, and a latest run that did not close exits 1", "[index][trend]") {
    TempDir tmp;
    const auto file = tmp / "i.sqlite";
    {
        index::RunIndex idx(file);
        for (int i = 0; i < 4; ++i) {
            const std::string day = "2026-11-0" + std::to_string(i + 1) + "T00:00:00.000Z";
            idx.put(index_row("a" + std::to_string(i), day, "SN-1", "L1", "rig-a"), {index_measurement("rate", 110.0 + i % 2)});
            idx.put(index_row("b" + std::to_string(i), day, "SN-1", "L1", "rig-b"), {index_measurement("rate", 111.0)});
        }
    }
    auto trend = [&](const std::string& name, std::vector<std::string> extra = {}) {
        std::vector<std::string> args{PENRIG_RIG_EXE, "trend", "--index", file.string(), "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto p = std::make_unique<Proc>(args, tmp / name);
        const auto e = p->wait(std::chrono::seconds(30));
        REQUIRE(e.has_value());
        return std::make_pair(e->code, std::move(p));
    };
    auto [code, p] = trend("t1");
    CHECK(code == 0);
    auto js = nlohmann::json::parse(p->out());
    REQUIRE(js.size() == 2);
    CHECK(js[0].at("rig_id") == "rig-a");
    CHECK(js[0].at("runs") == 4);
    CHECK(js[0].at("baseline") == 110.0);  // median of 110, 111, 110 (the latest, 111, is not in it)
    auto [code_w, pw] = trend("t2", {"--across-rigs"});
    CHECK(code_w == 0);
    CHECK(nlohmann::json::parse(pw->out()).size() == 1);
    {
        index::RunIndex idx(file);
        idx.put(index_row("b9", "2026-11-09T00:00:00.000Z", "SN-1", "L1", "rig-b", "INCOMPLETE"), {});
    }
    auto [code_i, pi] = trend("t3");
    CHECK(code_i == 1);
    CHECK_THAT(pi->err(), Catch::Contains("b9") && Catch::Contains("INCOMPLETE"));
    auto [code_a, pa] = trend("t4", {"--rig", "rig-a"});
    CHECK(code_a == 0);  // rig-a's latest run is fine
}

TEST_CASE("lot: each unit counted once (its latest valid run), ERROR and INCOMPLETE runs never", "[index][lot]") {
    TempDir tmp;
    index::RunIndex idx(tmp / "i.sqlite");
    idx.put(index_row("u1-old", "2026-11-01T00:00:00.000Z", "SN-1", "24-117"), {index_measurement("rate", 130.0, "FAIL")});
    idx.put(index_row("u1-new", "2026-11-02T00:00:00.000Z", "SN-1", "24-117"), {index_measurement("rate", 110.0)});  // retest
    idx.put(index_row("u2", "2026-11-01T01:00:00.000Z", "SN-2", "24-117"), {index_measurement("rate", 112.0)});
    idx.put(index_row("u2-err", "2026-11-03T00:00:00.000Z", "SN-2", "24-117", "rig-a", "ERROR"), {index_measurement("rate", std::nullopt, "ERROR")});
    idx.put(index_row("u3-inc", "2026-11-03T00:00:00.000Z", "SN-3", "24-117", "rig-a", "INCOMPLETE"), {});
    idx.put(index_row("other", "2026-11-03T00:00:00.000Z", "SN-9", "OTHER"), {index_measurement("rate", 1.0)});
    const auto sel = index::select_lot_units(idx, "24-117");
    REQUIRE(sel.counted.size() == 2);
    CHECK(sel.counted[0].run_id == "u2");      // certification order
    CHECK(sel.counted[1].run_id == "u1-new");
    CHECK(sel.excluded.size() == 3);
    const auto st = index::lot_statistics(idx, sel);
    REQUIRE(st.size() == 1);
    CHECK(st[0].units == 2);
    CHECK(*st[0].mean == Approx(111.0));
    CHECK(st[0].pass_rate == 1.0);

    Proc p({PENRIG_RIG_EXE, "lot", "24-117", "--index", (tmp / "i.sqlite").string(), "--json", "--html",
            (tmp / "lot.html").string()}, tmp / "lot");
    const auto e = p.wait(std::chrono::seconds(30));
    REQUIRE((e && e->code == 0));
    const auto js = nlohmann::json::parse(p.out());
    CHECK(js.at("units").size() == 2);
    CHECK(js.at("measurements")[0].at("valued") == 2);
    CHECK(fs::file_size(tmp / "lot.html") > 1000);
    Proc none({PENRIG_RIG_EXE, "lot", "NOPE", "--index", (tmp / "i.sqlite").string()}, tmp / "none");
    const auto e2 = none.wait(std::chrono::seconds(30));
    REQUIRE(e2.has_value());
    CHECK(e2->code == 1);
}
