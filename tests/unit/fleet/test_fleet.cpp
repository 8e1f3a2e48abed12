#include <set>
#include <thread>

#include "catch.hpp"
#include "pg_server.hpp"
#include "real_run.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/fleet/fleet_db.hpp"
#include "rig/index/retention.hpp"
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
