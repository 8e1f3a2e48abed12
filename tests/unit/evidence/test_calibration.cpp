#include <sstream>

#include "catch.hpp"
#include "fake_fixture.hpp"
#include "rig/calibration/calibration.hpp"
#include "temp_dir.hpp"

using namespace std::chrono;
using Catch::Detail::Approx;

namespace {
constexpr year_month_day ymd(int y, unsigned m, unsigned d) { return year_month_day{year(y), month(m), std::chrono::day(d)}; }
}  // namespace

namespace {
// What a calibration workflow runs against: a fake fixture whose records are
// in force, its reference standards, a history and an audit trail in a temp
// folder, and a named operator's options on a fixed day.
struct WorkflowBench {
    rig::test::TempDir tmp;
    rig::test::FakeFixture fx{rig::test::fixture_with_calibration("2026-03-31", "2026-03-31", "2026-03-31")};
    rig::test::FakeStandards std_{fx};
    rig::CalibrationHistory history{tmp / "calibration" / "history.jsonl"};
    rig::AuditLog audit{tmp / "audit.jsonl"};
    rig::WorkflowOptions o;
    explicit WorkflowBench(int samples_per_point) {
        o.operator_name = "B. Metrologist";
        o.today = "2025-11-25";
        o.samples_per_point = samples_per_point;
    }
    /// A workflow's result and what it printed, given the operator's answers.
    struct Session {
        rig::WorkflowResult r;
        std::string said;
    };
    Session load_cell(const std::string& answers) { return load_cell(answers, std_); }
    Session load_cell(const std::string& answers, rig::ReferenceLoad& ref) {
        std::istringstream in(answers);
        std::ostringstream out;
        auto r = rig::run_load_cell_calibration(fx, ref, {in, out}, o, &history, &audit);
        return {std::move(r), out.str()};
    }
    Session encoder(const std::string& answers) {
        std::istringstream in(answers);
        std::ostringstream out;
        auto r = rig::run_encoder_check(fx, std_, {in, out}, o, &history, &audit);
        return {std::move(r), out.str()};
    }
};
}  // namespace

TEST_CASE("calibration status: valid through the due date, expired the day after", "[evidence][calibration]") {
    const auto cfg = rig::test::fixture_with_calibration("2026-03-31", "2025-10-31", "2026-06-01");
    const auto on_due = rig::calibration_status(cfg, ymd(2025, 10, 31));
    CHECK(on_due.all_valid());
    const auto after = rig::calibration_status(cfg, ymd(2025, 11, 25));
    CHECK_FALSE(after.all_valid());
    const auto past = after.past_due();
    REQUIRE(past.size() == 1);
    CHECK(past[0].instrument == "encoder");
    CHECK(past[0].id == "ENC-0007");
    CHECK(past[0].state == rig::CalibrationState::expired);
    CHECK(past[0].days_overdue == 25);
    CHECK(after.message() == "encoder ENC-0007: calibration expired on 2025-10-31 (25 days overdue)\n");
    // Only the instruments a run uses count.
    CHECK(rig::calibration_status(cfg, ymd(2025, 11, 25), {"load_cell", "current_sense"}).all_valid());
}

TEST_CASE("calibration status: a missing record or a bad due date is not valid", "[evidence][calibration]") {
    auto cfg = rig::test::fixture_with_calibration("2026-03-31", "", "31/12/2026");
    const auto st = rig::calibration_status(cfg, ymd(2025, 11, 25));
    REQUIRE(st.past_due().size() == 2);
    CHECK(st.past_due()[0].state == rig::CalibrationState::missing);
    CHECK(st.past_due()[1].state == rig::CalibrationState::bad_date);
    CHECK_FALSE(rig::parse_iso_date("2025-02-30"));
    CHECK(rig::parse_iso_date("2024-02-29") == ymd(2024, 2, 29));
    CHECK(rig::format_iso_date(ymd(2025, 3, 7)) == "2025-03-07");
}

// The gate before a run (certification refusal, audit): tests/unit/calibration/test_gate.cpp.

TEST_CASE("tare and span arithmetic against known weights", "[evidence][calibration]") {
    // Readings = 1.02 * F + 0.05 N: the instrument reads 2 % high with a 50 mN zero.
    const double g = rig::standard_gravity_m_s2;
    CHECK(rig::reference_force_n(0.1) == Approx(0.980665));
    std::vector<rig::SpanPoint> pts;
    for (double kg : {0.1, 0.2, 0.5}) pts.push_back({kg * g, 1.02 * kg * g + 0.05});
    const auto fit = rig::fit_span(0.05, pts);
    CHECK(fit.gain == Approx(1.0 / 1.02).epsilon(1e-12));
    CHECK(fit.offset_n == Approx(-0.05 / 1.02).epsilon(1e-12));
    CHECK(fit.max_residual_n == Approx(0.0).margin(1e-12));
    CHECK(fit.as_found_max_error_n == Approx(0.02 * 0.5 * g).epsilon(1e-9));
    CHECK(fit.as_found_max_error_pct == Approx(2.0).epsilon(1e-9));
    // A non-linear point shows as a residual.
    pts.push_back({1.0 * g, 1.02 * g + 0.05 + 0.01});
    const double res = rig::fit_span(0.05, pts).max_residual_n;
    CHECK(res > 0.001);
    CHECK(res < 0.01);
    CHECK_THROWS_AS(rig::fit_span(0.05, std::vector<rig::SpanPoint>{}), std::invalid_argument);
    CHECK_THROWS_AS(rig::fit_span(0.05, std::vector<rig::SpanPoint>{{1.0, 0.05}}), std::invalid_argument);

    // Composed with the record in force: counts -> N.
    rig::CalibrationRecord in_force;
    in_force.scale = 2e-7;
    in_force.offset = 0.01;
    const auto next = rig::compose_adjustment(in_force, 0.5, 0.2);
    CHECK(next.scale == Approx(1e-7));
    CHECK(next.offset == Approx(0.205));
}

TEST_CASE("encoder scale against a gauge block", "[evidence][calibration]") {
    const auto ok = rig::check_encoder_scale(0.010, 1.011, 1.000, 0.002, 1e-6);
    CHECK(ok.measured_mm == Approx(1.001));
    CHECK(ok.error_mm == Approx(0.001));
    CHECK(ok.pass);
    const auto off = rig::check_encoder_scale(0.0, 2.010, 2.000, 0.002, 1e-6);
    CHECK_FALSE(off.pass);
    CHECK(off.error_pct == Approx(0.5));
    CHECK(off.corrected_scale == Approx(1e-6 * 2.0 / 2.010));
}

TEST_CASE("load-cell workflow with scripted operator input", "[evidence][calibration][workflow]") {
    WorkflowBench bench(50);
    auto& [tmp, fx, std_, history, audit, o] = bench;
    fx.lc_gain = 1.02;
    fx.lc_offset_n = 0.05;

    SECTION("accepted: adjusted, recorded in history and audit trail") {
        const auto [r, said] = bench.load_cell("W-7 cert 2291\n\n100\n\nabc\n200\n\n500\n\n\ny\n");
        INFO(said);
        CHECK(r.accepted);
        CHECK(r.result == "adjusted");  // 2 % as found, 0 as left
        CHECK(said.find("is not a number") != std::string::npos);
        CHECK(std_.applied == 3);
        CHECK(fx.safe_state_calls >= 1);
        CHECK(fx.clock_.sleeps == 4 * 50);
        CHECK(r.record.scale == Approx(2e-7 / 1.02));
        CHECK(r.record.offset == Approx(-0.05 / 1.02));
        CHECK(r.record.date == "2025-11-25");
        CHECK(r.record.due == "2026-11-25");
        CHECK(r.record.reference == "W-7 cert 2291");
        CHECK(r.record.performed_by == "B. Metrologist");
        const auto h = history.latest("LC-0042");
        REQUIRE(h);
        CHECK(h->record.scale == Approx(r.record.scale));
        CHECK(h->data["points"].size() == 3);
        REQUIRE(audit.read().size() == 1);
        CHECK(audit.read()[0].action == "calibration.recorded");
        CHECK(audit.read()[0].old_value["scale"] == 2e-7);
    }
    SECTION("operator declines: nothing recorded") {
        const auto [r, said] = bench.load_cell("W-7\n\n100\n\n\nn\n");
        CHECK_FALSE(r.accepted);
        CHECK(history.read().empty());
        CHECK(audit.read().empty());
    }
    SECTION("input ends mid-way: aborted, nothing recorded, weight removed") {
        const auto [r, said] = bench.load_cell("W-7\n\n100\n");
        CHECK(r.result == "aborted");
        CHECK(fx.applied_n == 0.0);
        CHECK(history.read().empty());
    }
    SECTION("a faulty channel aborts") {
        fx.failing_reads = 1000;
        const auto [r, said] = bench.load_cell("W-7\n\n");
        CHECK(r.result == "aborted");
        CHECK(r.message.find("reads failed") != std::string::npos);
    }
    SECTION("weights that do not move the reading (nobody placed them) abort") {
        rig::OperatorPlacedStandard nobody;
        const auto [r, said] = bench.load_cell("W-7\n\n100\n\n\n", nobody);
        CHECK(r.result == "aborted");
        CHECK(r.message.find("do not differ from the tare") != std::string::npos);
    }
}

TEST_CASE("encoder workflow with scripted operator input", "[evidence][calibration][workflow]") {
    WorkflowBench bench(10);
    auto& [tmp, fx, std_, history, audit, o] = bench;
    fx.enc_zero_mm = 0.003;
    SECTION("within tolerance: pass, scale kept") {
        fx.enc_scale_error = 1.001;  // 1 um on 1 mm
        const auto [r, said] = bench.encoder("GB-1.000 cert 88\n1.000\n\n\ny\n");
        INFO(said);
        CHECK(r.accepted);
        CHECK(r.result == "pass");
        CHECK(r.record.scale == 1e-6);
        CHECK(r.data["error_mm"].get<double>() == Approx(0.001));
    }
    SECTION("out of tolerance: adjusted to the gauge") {
        fx.enc_scale_error = 1.005;
        const auto [r, said] = bench.encoder("GB-2.000\n2.000\n\n\ny\n");
        CHECK(r.result == "adjusted");
        CHECK(r.record.scale == Approx(1e-6 / 1.005));
        CHECK(history.read().size() == 1);
        CHECK(audit.verify().ok);
    }
}
