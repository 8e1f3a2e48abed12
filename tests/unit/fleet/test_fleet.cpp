#include <algorithm>
#include <cmath>
#include <set>
#include <thread>

#include "catch.hpp"
#include "pg_server.hpp"
// GCC 12's flow-sensitive -Wnull-dereference fires inside nlohmann::json's
// value() once real_run() is inlined into this file's larger test cases (a
// false positive: the object is checked first); off for this file.
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "real_run.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/fleet/fleet_db.hpp"
#include "rig/index/retention.hpp"
#include "rig/index/run_index.hpp"
#include "skip.hpp"

using namespace rig;
using namespace rig::test;
namespace fs = std::filesystem;

namespace {
std::string count(fleet::Db& db, const std::string& table) { return *db.exec("SELECT count(*) FROM " + table).at(0).at(0); }
}  // namespace

// One server for every part (each part a fresh database): a few seconds in all.
TEST_CASE("fleet database: migrate, publish, duplicate, tampered, immutable, outage and outbox, concurrent publishers",
          "[fleet][postgres]") {
    if (!PgServer::available()) PENRIG_SKIP("PostgreSQL binaries not installed (scripts/install-deps.sh --test)");
    PgServer pg;
    TempDir tmp;
    const auto a = real_run(tmp, scenario::smoke, /*sign=*/true);
    const auto b = real_run(tmp, scenario::fail, true);
    const auto key = load_public_key(a.state / "keys" / "rig.pub");
    {
        fleet::Db admin(pg.url());
        admin.exec("CREATE DATABASE fleet");
    }
    const auto url = pg.url("fleet");
    fleet::Db db(url);
    CHECK(fleet::migrate(db) == fleet::kSchemaVersion);
    CHECK(fleet::migrate(db) == fleet::kSchemaVersion);  // idempotent

    // Publish: normalised rows and the full record as JSONB.
    CHECK(fleet::publish_run_dir(db, a.dir, key) == fleet::PublishResult::published);
    auto row = db.exec("SELECT verdict, dut, lot, record->>'run_id', record_sha256 FROM runs WHERE run_id = $1", {a.run_id});
    REQUIRE(row.size() == 1);
    CHECK(*row[0][0] == a.record.at("verdict").get<std::string>());
    CHECK(*row[0][1] == "SN-TEST-1");
    CHECK(*row[0][2] == "LOT-T1");
    CHECK(*row[0][3] == a.run_id);
    CHECK(*row[0][4] == record_sha256(a.dir));
    CHECK(count(db, "measurements") == std::to_string(a.record.at("measurements").size()));
    // Duplicate: nothing twice.
    CHECK(fleet::publish_run_dir(db, a.dir, key) == fleet::PublishResult::already_published);
    CHECK(count(db, "runs") == "1");
    // The views answer the fleet's questions.
    CHECK(db.exec("SELECT run_id FROM runs_of_dut WHERE dut = 'SN-TEST-1'").size() == 1);
    CHECK(db.exec("SELECT run_id FROM runs_of_lot WHERE lot = 'LOT-T1'").size() == 1);
    CHECK_FALSE(db.exec("SELECT run_id FROM rig_last_week").empty());
    // Nobody updates or deletes a published run, not even the superuser.
    CHECK_THROWS_WITH(db.exec("UPDATE runs SET verdict = 'PASS'"), Catch::Contains("immutable"));
    CHECK_THROWS_WITH(db.exec("DELETE FROM measurements"), Catch::Contains("immutable"));
    CHECK_THROWS_WITH(db.exec("TRUNCATE runs CASCADE"), Catch::Contains("immutable"));
    // A rig role may insert and read, not update.
    db.exec("CREATE ROLE rig3 LOGIN IN ROLE penrig_rig");
    db.exec("SET ROLE rig3");
    CHECK_THROWS_WITH(db.exec("UPDATE runs SET verdict = 'PASS'"), Catch::Contains("permission denied"));
    CHECK(db.exec("SELECT run_id FROM runs").size() == 1);
    db.exec("RESET ROLE");

    // Tampered: a record changed after sealing is refused, nothing inserted.
    {
        TempDir t2;
        const auto c = real_run(t2, scenario::smoke, true);
        const auto ckey = load_public_key(c.state / "keys" / "rig.pub");
        auto text = read_file(c.dir / "record.json");
        text.replace(text.find("tester"), 6, "TESTER");
        write_file_atomic(c.dir / "record.json", text);
        CHECK_THROWS_AS(fleet::publish_run_dir(db, c.dir, ckey), fleet::PublishRefused);
        CHECK(db.exec("SELECT 1 FROM runs WHERE run_id = $1", {c.run_id}).empty());
        // Through the outbox: set aside in outbox/rejected, never retried silently.
        fleet::enqueue(a.state, c.dir);
        const auto rep = fleet::flush_outbox(a.state, url, ckey);
        CHECK(rep.rejected == 1);
        CHECK(fs::exists(a.state / "outbox" / "rejected" / (c.run_id + ".json")));
    }

    // Outage: the server is down when b finishes; b waits in the outbox, then goes once.
    pg.stop();
    fleet::enqueue(a.state, b.dir);
    auto rep = fleet::flush_outbox(a.state, url, key);
    CHECK(rep.pending == 1);
    CHECK_FALSE(rep.error.empty());
    CHECK(fs::exists(a.state / "outbox" / (b.run_id + ".json")));
    pg.start();
    rep = fleet::flush_outbox(a.state, url, key);
    CHECK(rep.published == 1);
    CHECK(rep.pending == 0);
    CHECK_FALSE(fs::exists(a.state / "outbox" / (b.run_id + ".json")));
    fleet::Db db2(url);
    CHECK(db2.exec("SELECT verdict FROM runs WHERE run_id = $1", {b.run_id}).at(0).at(0) == "FAIL");

    // Concurrent publishers of the same runs: each run once, nobody fails.
    db2.exec("CREATE DATABASE fleet2");
    const auto url2 = pg.url("fleet2");
    {
        fleet::Db d(url2);
        fleet::migrate(d);
    }
    std::atomic<int> errors{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 6; ++i) {
        ts.emplace_back([&, i] {
            try {
                fleet::Db d(url2);
                fleet::publish_run_dir(d, i % 2 == 0 ? a.dir : b.dir, key);
                fleet::publish_run_dir(d, i % 2 == 0 ? b.dir : a.dir, key);
            } catch (const std::exception&) {
                ++errors;
            }
        });
    }
    for (auto& t : ts) t.join();
    CHECK(errors == 0);
    fleet::Db d(url2);
    CHECK(count(d, "runs") == "2");
    CHECK(count(d, "measurements") ==
          std::to_string(a.record.at("measurements").size() + b.record.at("measurements").size()));

    // rig lot --db: the same units and statistics as from the index of the same folders.
    index::RunIndex idx(tmp / "lot.sqlite");
    REQUIRE(index::reindex(idx, tmp / "runs").indexed == 2);
    auto lot_json = [&tmp](const std::string& tag, std::vector<std::string> source) {
        std::vector<std::string> args{PENRIG_RIG_EXE, "lot", "LOT-T1", "--json"};
        args.insert(args.end(), source.begin(), source.end());
        Proc p(args, tmp / tag);
        const auto e = p.wait(std::chrono::seconds(60));
        INFO(p.err());
        REQUIRE((e && e->code == 0));
        return nlohmann::json::parse(p.out());
    };
    const auto from_db = lot_json("lot-db", {"--db", url2});
    const auto from_index = lot_json("lot-index", {"--index", (tmp / "lot.sqlite").string()});
    CHECK(from_db.at("units").size() == 2);  // one DUT, two scenarios: counted once per scenario
    CHECK(from_db.at("units") == from_index.at("units"));
    CHECK(from_db.at("measurements") == from_index.at("measurements"));
    CHECK(from_db.at("excluded") == from_index.at("excluded"));
    const auto depth = std::find_if(from_db.at("measurements").begin(), from_db.at("measurements").end(),
                                    [](const auto& m) { return m.at("measurement_id") == "depth"; });
    REQUIRE(depth != from_db.at("measurements").end());
    CHECK(depth->at("valued") == 1);
    // An unreachable database is an error (exit 2), never an empty lot.
    pg.stop();
    Proc down({PENRIG_RIG_EXE, "lot", "LOT-T1", "--db", url2}, tmp / "lot-down");
    const auto e = down.wait(std::chrono::seconds(60));
    REQUIRE(e.has_value());
    CHECK(e->code != 0);
    CHECK(e->code != 1);
}

namespace {
/// A golden-pen run by the real runner on `fixture`, then given rig id `rig`:
/// one test machine plays several rigs, so the record's host (the rig id) is
/// rewritten and the folder sealed again with the rig key, as that rig would have.
fs::path golden_run(const TempDir& tmp, const fs::path& fixture, const std::string& rig, int seed) {
    const auto state = tmp / "state";
    if (!fs::exists(state / "keys" / "rig.key")) real_keygen(state, tmp.path());
    Proc p({PENRIG_RIG_EXE, "run", (source_dir() / "scenarios/golden-pen.yaml").string(), "--json", "--fixture",
            fixture.string(), "--runs-dir", (tmp / "runs").string(), "--state-dir", state.string(), "--dut",
            "GOLDEN-1", "--lot", "RIGCHECK", "--seed", std::to_string(seed)},
           tmp / ("golden-" + rig + "-" + std::to_string(seed)));
    const auto e = p.wait(std::chrono::minutes(5));
    INFO(p.err());
    REQUIRE((e && (e->code == 0 || e->code == 1)));  // PASS or FAIL: the rig measured validly
    const auto out = p.out();
    const auto done = nlohmann::json::parse(out.substr(out.rfind("{\"")));
    const fs::path dir = done.at("dir").get<std::string>();
    auto rec = nlohmann::json::parse(read_file(dir / "record.json"));
    rec["host"] = rig;
    write_file_atomic(dir / "record.json", rec.dump(2) + "\n");
    fs::remove(dir / "manifest.json");
    fs::remove(dir / "manifest.sig");
    seal_run_dir(dir, SigningKey::load(state / "keys" / "rig.key"));
    return dir;
}
}  // namespace

TEST_CASE("compare-rigs: a rig whose phantom sits 60 um proud drifts against the fleet, on the index and the database",
          "[fleet][postgres][compare]") {
    if (!PgServer::available()) PENRIG_SKIP("PostgreSQL binaries not installed (scripts/install-deps.sh --test)");
    PgServer pg;
    TempDir tmp;
    // rig-c's phantom pad sits 60 um proud of the cartridge face in every
    // set-up: its touch-off finds the pad, so every depth it measures is off
    // by that much, a bias no self-check of a run can see (an encoder scale
    // error, by contrast, is caught by the touch-off's scale check: ERROR).
    auto text = read_file(source_dir() / "fixtures/sim.yaml");
    const auto at = text.find("\n  phantom:");
    REQUIRE(at != std::string::npos);
    text.insert(text.find('\n', at + 1) + 1, "    seating_offset: 60 um\n");
    write_file_atomic(tmp / "sim-biased.yaml", text);
    const auto sim = source_dir() / "fixtures/sim.yaml";
    golden_run(tmp, sim, "rig-a", 1);
    golden_run(tmp, sim, "rig-a", 3);
    golden_run(tmp, sim, "rig-b", 2);
    golden_run(tmp, tmp / "sim-biased.yaml", "rig-c", 4);

    index::RunIndex idx(tmp / "i.sqlite");
    REQUIRE(index::reindex(idx, tmp / "runs").indexed == 4);
    {
        fleet::Db admin(pg.url());
        admin.exec("CREATE DATABASE fleet");
    }
    const auto url = pg.url("fleet");
    fleet::Db db(url);
    fleet::migrate(db);
    const auto key = load_public_key(tmp / "state" / "keys" / "rig.pub");
    for (const auto& e : fs::directory_iterator(tmp / "runs")) {
        CHECK(fleet::publish_run_dir(db, e.path(), key) == fleet::PublishResult::published);
    }

    auto compare = [&tmp](const std::string& tag, std::vector<std::string> extra) {
        std::vector<std::string> args{PENRIG_RIG_EXE, "compare-rigs", "--dut", "GOLDEN-1", "--json"};
        args.insert(args.end(), extra.begin(), extra.end());
        Proc p(args, tmp / tag);
        const auto e = p.wait(std::chrono::seconds(60));
        INFO(p.err());
        REQUIRE(e.has_value());
        const auto out = p.out();
        return std::make_pair(e->code, out.empty() ? nlohmann::json() : nlohmann::json::parse(out));
    };
    const auto [code_i, js_i] = compare("cmp-index", {"--index", (tmp / "i.sqlite").string()});
    const auto [code_d, js_d] = compare("cmp-db", {"--db", url});
    CHECK(code_i == 1);  // a rig drifts
    CHECK(code_d == 1);
    CHECK(js_i.at("measurements") == js_d.at("measurements"));  // one rule, two sources
    const auto find = [](const nlohmann::json& js, const std::string& m) {
        for (const auto& x : js.at("measurements")) {
            if (x.at("measurement_id") == m) return x;
        }
        FAIL("no measurement " << m);
        return nlohmann::json();
    };
    const auto depth = find(js_i, "depth");
    REQUIRE(depth.at("rigs").size() == 3);
    CHECK(depth.at("rigs")[0].at("n") == 2);  // rig-a: two runs
    for (const auto& r : depth.at("rigs")) {
        const bool c = r.at("rig_id") == "rig-c";
        INFO(r.dump());
        CHECK(r.at("drift") == c);
        // 60 um: a fifth of the 0.3 mm limit span, beyond the 0.1 drift fraction.
        if (c) CHECK(std::abs(r.at("bias").get<double>()) == Approx(0.060).margin(0.015));
        else CHECK(std::abs(r.at("bias").get<double>()) < 0.01);
    }
    // Rate is not touched by the phantom's seating: no rig drifts there.
    const auto rate = find(js_i, "rate");
    for (const auto& r : rate.at("rigs")) CHECK(r.at("drift") == false);
    // The SQL view says the same for dashboards.
    const auto v = db.exec("SELECT bias, bias_fraction FROM rig_bias WHERE dut = 'GOLDEN-1' AND measurement_id = "
                           "'depth' AND rig_id = 'rig-c'");
    REQUIRE(v.size() == 1);
    CHECK(std::stod(*v[0][0]) == Approx(depth.at("rigs")[2].at("bias").get<double>()).margin(1e-9));
    // Against a stated reference rig, and a threshold no rig reaches: exit 0.
    const auto [code_r, js_r] = compare("cmp-ref", {"--index", (tmp / "i.sqlite").string(), "--reference", "rig-b",
                                                    "--drift-fraction", "0.5"});
    CHECK(code_r == 0);
    CHECK(find(js_r, "depth").at("reference_kind") == "rig rig-b");
    // No golden-pen run at all: nothing to compare is not a pass.
    const auto [code_n, js_n] = compare("cmp-none", {"--index", (tmp / "i.sqlite").string(), "--scenario", "NOPE"});
    CHECK(code_n == 1);
    CHECK(js_n.at("measurements").empty());
    // An unknown reference rig is bad input.
    const auto [code_u, js_u] = compare("cmp-unknown", {"--index", (tmp / "i.sqlite").string(), "--reference", "rig-z"});
    CHECK(code_u == 2);
}

// The outbox's cap (no database needed: the database is unreachable
// throughout). A run that finds the outbox full is listed in over-cap.jsonl,
// kept from pruning, alarmed in the audit trail, and moved into the outbox
// as room frees up: never dropped.
TEST_CASE("fleet outbox: capped, over-cap runs listed, kept, alarmed and re-queued", "[fleet][outbox]") {
    TempDir tmp;
    const auto a = real_run(tmp, scenario::smoke);
    const auto b = real_run(tmp, scenario::fail);
    const auto c = real_run(tmp, scenario::smoke);
    const auto& state = a.state;
    const std::string down = "postgresql://127.0.0.1:1/fleet?connect_timeout=2";
    const auto box = state / "outbox";
    const auto over = index::outbox_over_cap(state);

    CHECK(fleet::enqueue(state, a.dir, 2) == fleet::Enqueued::queued);
    CHECK(fleet::enqueue(state, b.dir, 2) == fleet::Enqueued::queued);
    CHECK(fleet::enqueue(state, c.dir, 2) == fleet::Enqueued::over_cap);
    CHECK_FALSE(fs::exists(index::outbox_entry(state, c.run_id)));
    CHECK(read_file(over).find(c.run_id) != std::string::npos);
    CHECK(fleet::enqueue(state, a.dir, 2) == fleet::Enqueued::queued);  // already queued: rewritten, not over cap
    CHECK(index::runs_waiting_to_publish(state) == std::set<std::string>{a.run_id, b.run_id, c.run_id});

    // Database down, outbox still full: nothing moves, all three are pending.
    auto rep = fleet::flush_outbox(state, down, PublicKey{}, 2);
    CHECK_FALSE(rep.error.empty());
    CHECK(rep.pending == 3);
    CHECK(fs::exists(over));

    // a went out (as a flush would remove it): c takes its place, the list goes.
    fs::remove(index::outbox_entry(state, a.run_id));
    rep = fleet::flush_outbox(state, down, PublicKey{}, 2);
    CHECK(rep.pending == 2);
    CHECK(fs::exists(index::outbox_entry(state, c.run_id)));
    CHECK_FALSE(fs::exists(over));
    CHECK(nlohmann::json::parse(read_file(index::outbox_entry(state, c.run_id))).at("dir") ==
          fs::absolute(c.dir).lexically_normal().string());

    // The daemon's hook at the real cap: the run is listed and the audit trail says so.
    for (std::size_t i = 0; i < fleet::kOutboxMaxEntries; ++i) {
        write_file_atomic(box / ("filler-" + std::to_string(100000 + i) + ".json"), "{}\n");
    }
    fleet::publish_finished_run(state, down, a.dir);
    CHECK(read_file(over).find(a.run_id) != std::string::npos);
    const auto audit = read_file(state / "audit.jsonl");
    const auto last = nlohmann::json::parse(audit.substr(audit.rfind('\n', audit.size() - 2) + 1));
    CHECK(last.at("action") == "fleet.outbox_full");
    CHECK(last.at("subject") == a.run_id);
}
