// The calibration gate (rig/calibration/gate.hpp) and the run session's audit
// of a refusal. "Today" is always chosen by the test: nothing here depends on
// the calendar, and the shipped sim fixture is checked at dates years ahead.
#include <atomic>

#include "catch.hpp"
#include "rig/calibration/gate.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/reports/audit_log.hpp"
#include "rig/scenario/scenario.hpp"
#include "rig/session/run_session.hpp"
#include "temp_dir.hpp"

using namespace std::chrono;

namespace {
constexpr year_month_day ymd(int y, unsigned m, unsigned d) { return year_month_day{year(y), month(m), day(d)}; }

rig::Scenario shipped(const char* rel) {
    rig::Diagnostics d;
    rig::LoadOptions lo;
    lo.default_fixture = std::filesystem::path(PENRIG_SOURCE_DIR) / "fixtures" / "sim.yaml";
    auto sc = rig::load_scenario(std::filesystem::path(PENRIG_SOURCE_DIR) / rel, d, lo);
    REQUIRE(sc);
    return std::move(*sc);
}

void set_due(rig::Scenario& sc, const std::string& instrument, const std::string& due) {
    for (auto& c : sc.fixture.calibration)
        if (c.instrument == instrument) c.due = due;
}
}  // namespace

TEST_CASE("dates are calendar dates: 2026-02-31 is not one", "[calibration][gate]") {
    CHECK_FALSE(rig::parse_iso_date("2026-02-31"));
    CHECK_FALSE(rig::parse_iso_date("2026-13-01"));
    CHECK_FALSE(rig::parse_iso_date("2026-1-01"));
    CHECK_FALSE(rig::parse_iso_date("+026-01-01"));
    CHECK(rig::parse_iso_date("2028-02-29") == ymd(2028, 2, 29));
    rig::CalibrationRecord c;
    c.due = "2026-02-31";
    CHECK(rig::record_state(c, ymd(2020, 1, 1)) == rig::CalibrationState::bad_date);
    c.due = "2026-02-28";
    CHECK(rig::record_state(c, ymd(2026, 2, 28)) == rig::CalibrationState::valid);  // valid through the due date
    CHECK(rig::record_state(c, ymd(2026, 3, 1)) == rig::CalibrationState::expired);
}

TEST_CASE("only the instruments a run uses decide", "[calibration][gate]") {
    auto sc = shipped("scenarios/depth-sweep.yaml");
    REQUIRE(rig::is_certification(sc));
    const auto used = rig::instruments_used(sc);
    REQUIRE(std::find(used.begin(), used.end(), "encoder") != used.end());
    const bool uses_current = std::find(used.begin(), used.end(), "current_sense") != used.end();
    REQUIRE_FALSE(uses_current);  // no stall measurement in a depth sweep
    const auto today = ymd(2026, 6, 1);
    set_due(sc, "encoder", "2030-01-01");
    set_due(sc, "load_cell", "2030-01-01");
    set_due(sc, "current_sense", "2020-01-01");  // expired, but not used
    CHECK(rig::gate_run(sc, today).may_start);
    set_due(sc, "encoder", "2026-05-31");
    const auto g = rig::gate_run(sc, today);
    CHECK_FALSE(g.may_start);
    CHECK_THAT(g.diagnostics.sorted().front().str(), Catch::Contains("encoder") && Catch::Contains("1 days overdue"));
}

TEST_CASE("a used instrument without a record, or with a date that is not one, refuses a certification run",
          "[calibration][gate]") {
    auto sc = shipped("scenarios/depth-sweep.yaml");
    const auto today = ymd(2026, 6, 1);
    set_due(sc, "load_cell", "2030-01-01");
    set_due(sc, "current_sense", "2030-01-01");
    SECTION("missing") {
        std::erase_if(sc.fixture.calibration, [](const rig::CalibrationRecord& c) { return c.instrument == "encoder"; });
        const auto g = rig::gate_run(sc, today);
        CHECK_FALSE(g.may_start);
        CHECK(g.status.past_due().at(0).state == rig::CalibrationState::missing);
    }
    SECTION("not a date") {
        set_due(sc, "encoder", "2030-02-31");
        const auto g = rig::gate_run(sc, today);
        CHECK_FALSE(g.may_start);
        CHECK(g.status.past_due().at(0).state == rig::CalibrationState::bad_date);
    }
}

TEST_CASE("the certification tag in any letter case, and other runs start with a warning", "[calibration][gate]") {
    auto sc = shipped("scenarios/depth-sweep.yaml");
    set_due(sc, "encoder", "2020-01-01");
    sc.tags = {"Certification"};
    CHECK_FALSE(rig::gate_run(sc, ymd(2026, 6, 1)).may_start);
    sc.tags = {"CERTIFICATION"};
    CHECK_FALSE(rig::gate_run(sc, ymd(2026, 6, 1)).may_start);
    sc.tags = {"nightly"};
    const auto g = rig::gate_run(sc, ymd(2026, 6, 1));
    CHECK(g.may_start);
    CHECK_FALSE(g.diagnostics.items().empty());
}

TEST_CASE("the shipped sim fixture at dates years ahead: refused, audited, and nothing runs", "[calibration][gate][future]") {
    const auto sc = shipped("scenarios/depth-sweep.yaml");
    for (const auto today : {ymd(2031, 1, 1), ymd(2040, 7, 15), ymd(2099, 12, 31)}) {
        CAPTURE(rig::format_iso_date(today));
        CHECK_FALSE(rig::gate_run(sc, today).may_start);
    }
    // The run session refuses it the same way, and writes the refusal to the audit trail.
    rig::test::TempDir tmp;
    std::atomic<bool> abort{false};
    rig::RunOptions ro;
    ro.runs_root = tmp / "runs";
    ro.operator_id = {"qa-anna", "test"};
    rig::SessionOptions so;
    so.state_dir = tmp / "state";
    so.today = [] { return ymd(2035, 3, 1); };
    rig::RunSession session(sc, ro, so, abort);
    CHECK_THROWS_AS(session.preflight(), rig::CalibrationRefused);
    const auto entries = rig::AuditLog(tmp / "state" / "audit.jsonl").read();
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].action == "run.refused");
    CHECK(entries[0].actor == "qa-anna");
    CHECK(entries[0].new_value["today"] == "2035-03-01");
    CHECK(entries[0].new_value["instruments"].size() >= 1);
    CHECK_FALSE(std::filesystem::exists(tmp / "runs"));  // nothing written, nothing moved
}

TEST_CASE("the shipped sim fixture before its due dates lets a certification run start", "[calibration][gate]") {
    const auto sc = shipped("scenarios/depth-sweep.yaml");
    CHECK(rig::gate_run(sc, ymd(2026, 1, 1)).may_start);
}
