#include "catch.hpp"
#include "child_process.hpp"
#include "index_rows.hpp"
#include "real_run.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/index/retention.hpp"

using namespace rig;
using namespace rig::test;
namespace fs = std::filesystem;

namespace {
std::chrono::system_clock::time_point at(const char* iso_date) {
    return std::chrono::sys_days(*parse_iso_date(iso_date));
}
const index::PruneDecision& of(const std::vector<index::PruneDecision>& v, const std::string& id) {
    for (const auto& d : v) {
        if (d.run.run_id == id) return d;
    }
    FAIL("no decision for " << id);
    return v.front();
}
}  // namespace

TEST_CASE("retention: old runs go, while signed, latest-of-DUT, pending and recent runs stay", "[index][retention]") {
    TempDir tmp;
    index::RunIndex idx(tmp / "i.sqlite");
    idx.put(index_row("old-a1", "2026-01-01T00:00:00.000Z", "SN-A"), {});
    idx.put(index_row("old-a2", "2026-01-02T00:00:00.000Z", "SN-A"), {});  // latest of SN-A
    auto signed_row = index_row("old-b1", "2026-01-03T00:00:00.000Z", "SN-B");
    signed_row.e_signatures = 1;
    signed_row.approved = true;
    idx.put(signed_row, {});
    idx.put(index_row("old-b0", "2026-01-01T00:00:00.000Z", "SN-B"), {});
    idx.put(index_row("new-b2", "2026-11-20T00:00:00.000Z", "SN-B"), {});  // latest of SN-B, recent
    auto unsealed = index_row("old-c1", "2026-01-01T00:00:00.000Z", "SN-C");
    unsealed.sealed = false;
    idx.put(unsealed, {});
    idx.put(index_row("old-c2", "2026-01-05T00:00:00.000Z", "SN-C"), {});
    idx.put(index_row("old-c3", "2026-01-06T00:00:00.000Z", "SN-C"), {});  // latest of SN-C

    const auto pending = [](const std::string& id) { return id == "old-c2"; };
    const auto plan = index::plan_prune(idx, {30, std::nullopt}, at("2026-11-30"), pending);
    REQUIRE(plan.size() == 8);
    CHECK(of(plan, "old-a1").remove);
    CHECK_FALSE(of(plan, "old-a2").remove);
    CHECK_THAT(of(plan, "old-a2").reason, Catch::Contains("latest run of DUT"));
    CHECK_FALSE(of(plan, "old-b1").remove);
    CHECK_THAT(of(plan, "old-b1").reason, Catch::Contains("approved"));
    CHECK(of(plan, "old-b0").remove);
    CHECK_FALSE(of(plan, "new-b2").remove);
    CHECK_THAT(of(plan, "new-b2").reason, Catch::Contains("younger"));
    CHECK(of(plan, "old-c1").remove);
    CHECK(of(plan, "old-c1").reason == "unsealed");
    CHECK_FALSE(of(plan, "old-c2").remove);
    CHECK_THAT(of(plan, "old-c2").reason, Catch::Contains("outbox"));
    CHECK_FALSE(of(plan, "old-c3").remove);

    // keep-last: the 3 newest stay whatever their age.
    const auto last = index::plan_prune(idx, {std::nullopt, 3}, at("2026-11-30"), pending);
    CHECK_FALSE(of(last, "old-c2").remove);  // 3rd newest (and pending)
    CHECK(of(last, "old-a1").remove);
    CHECK_THROWS_AS(index::plan_prune(idx, {}, at("2026-11-30"), pending), std::invalid_argument);
}

TEST_CASE("retention: `rig runs prune` deletes by the rule, audits each deletion, and --dry-run deletes nothing",
          "[index][retention]") {
    TempDir tmp;
    const auto a = real_run(tmp, scenario::smoke);
    const auto b = real_run(tmp, scenario::smoke);  // the latest of DUT SN-TEST-1
    const auto base = std::vector<std::string>{PENRIG_RIG_EXE, "runs", "prune", "--state-dir", a.state.string(),
                                               "--keep-last", "0", "--operator", "qa"};
    auto args = base;
    args.emplace_back("--dry-run");
    Proc dry(args, tmp / "dry");
    auto e = dry.wait(std::chrono::seconds(30));
    REQUIRE((e && e->code == 0));
    CHECK_THAT(dry.out(), Catch::Contains("would delete ") && Catch::Contains(a.run_id));
    CHECK(fs::exists(a.dir));
    Proc none({PENRIG_RIG_EXE, "runs", "prune", "--state-dir", a.state.string()}, tmp / "norule");
    e = none.wait(std::chrono::seconds(30));
    REQUIRE(e.has_value());
    CHECK(e->code == 2);
    Proc real(base, tmp / "real");
    e = real.wait(std::chrono::seconds(30));
    REQUIRE((e && e->code == 0));
    CHECK_FALSE(fs::exists(a.dir));
    CHECK(fs::exists(b.dir));
    const index::RunIndex idx(index::index_file(a.state));
    CHECK_FALSE(idx.run(a.run_id).has_value());
    CHECK(idx.run(b.run_id).has_value());
    const auto audit = slurp(a.state / "audit.jsonl");
    CHECK_THAT(audit, Catch::Contains("run.pruned") && Catch::Contains(a.run_id));
}
