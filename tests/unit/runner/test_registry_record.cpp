// The measurement registry, the one timing rule and the typed run record.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "rig/analysis/timing.hpp"
#include "rig/core/hash.hpp"
#include "rig/record/record.hpp"
#include "rig/reports/trend.hpp"
#include "rig/runner/samples_file.hpp"
#include "run_helpers.hpp"

using namespace rig;
using namespace std::chrono_literals;

TEST_CASE("registry: every kind is complete, named once, and its quantities are in the record schema", "[registry]") {
    const auto schema = read_file(test::source_dir() / "reports" / "schema" / "run-record.schema.json");
    std::set<std::string_view> names, quantities;
    REQUIRE(measure_kinds().size() >= 8);
    for (const auto* k : measure_kinds()) {
        INFO(k->name);
        CHECK(names.insert(k->name).second);
        CHECK(find_measure_kind(k->name) == k);
        CHECK_FALSE(k->description.empty());
        CHECK(k->measure != nullptr);
        CHECK(k->spec_limits != nullptr);
        REQUIRE_FALSE(k->quantities.empty());
        for (const auto& q : k->quantities) {
            INFO(q.name);
            CHECK(quantities.insert(q.name).second);  // a quantity belongs to one kind
            CHECK_FALSE(q.unit.empty());
            CHECK_FALSE(q.description.empty());
            CHECK(schema.find(std::string(q.name)) != std::string::npos);
        }
        if (!k->ref_keys.empty()) CHECK(find_measure_kind(k->refs_kind) != nullptr);
    }
    // The schema names no quantity the rig does not produce.
    CHECK(schema.find("stall_recovery") == std::string::npos);
}

TEST_CASE("registry: an unknown kind is refused with the registered names", "[registry][scenario]") {
    test::TempDir dir;
    std::ofstream(dir / "t.yaml") << test::scenario_head("T", (test::source_dir() / "fixtures" / "sim.yaml").string())
                                  << "steps:\n  - hold: 1 s\n  - measure: {what: puncture_rat}\n";
    Diagnostics d;
    CHECK_FALSE(load_scenario(dir / "t.yaml", d));
    std::ostringstream o;
    d.print(o);
    CHECK_THAT(o.str(), Catch::Contains("did you mean 'puncture_rate'"));
    for (const auto* k : measure_kinds()) CHECK_THAT(o.str(), Catch::Contains(std::string(k->name)));
}

TEST_CASE("timing rule, Pi 4 reference fixture: a wake 110 us late is neither late nor a gap nor a missed sample",
          "[timing][rule]") {
    // 5 kHz (200 us period), 200 us lateness budget, as fixtures/pi4-reference.yaml.
    const auto rule = analysis::timing_rule(200us, 200us);
    CHECK_FALSE(rule.late(110us));
    CHECK(rule.deadlines_skipped(110us) == 0);
    CHECK_FALSE(rule.gap(310us));  // the interval into the late sample: 200 + 110 us
    CHECK(rule.samples_lost(310us) == 0);
    CHECK(rule.max_interval() == 400us);
    // Beyond the budget the loop skips whole periods, and the interval is a gap.
    CHECK(rule.late(450us));
    CHECK(rule.deadlines_skipped(450us) == 2);
    CHECK(rule.gap(650us));
    CHECK(rule.samples_lost(650us) == 2);

    // timing_health over a trace with that one late wake: nothing missed.
    analysis::Trace tr;
    for (int i = 0; i < 100; ++i) {
        Sample s;
        s.lateness_ns = i == 50 ? 110'000 : 1'000;
        s.t_ns = static_cast<std::int64_t>(i) * 200'000 + s.lateness_ns;
        if (i == 50) s.flags = 0;
        tr.push_back(s);
    }
    analysis::TimingBudgetParams b;
    b.nominal_period = 200us;
    b.lateness_budget = 200us;
    b.max_late_fraction = 0.001;
    b.max_missed_samples = 0;
    const auto h = analysis::timing_health(tr.view(), 0, tr.size(), b);
    CHECK(h.late_count == 0);
    CHECK(h.missed_samples == 0);
    CHECK(h.gaps == 0);
    CHECK_FALSE(h.budget_broken);
}

TEST_CASE("timing rule end to end: samples woken 110 us late on a 5 kHz, 200 us budget fixture keep every "
          "measurement valid with max_missed_samples 0", "[timing][rule][runner][sim]") {
    // A run on a Pi 4-like sim fixture (5 kHz, 200 us budget, no missed sample
    // tolerated), then its samples.bin rewritten as a stock PREEMPT kernel
    // would have woken the loop: every 50th sample 110 us late. Re-analysis
    // (the same measurement code as the run) must keep every measurement valid.
    test::TempDir dir;
    const auto sc = test::load_on_fixture(
        dir, test::sim_fixture_with("sample_rate:", "\n", "sample_rate: 5 kHz"), "PI4",
        "steps:\n  - reference: touch_off\n  - set_level: 3\n  - set_depth: 1 mm\n  - power: on\n"
        "  - hold: 1 s\n  - measure: {what: puncture_rate, id: rate, window: 2 s}\n"
        "  - measure: {what: protrusion_depth, id: depth, window: previous}\n"
        "  - measure: {what: loop_timing, id: timing, window: previous}\n");
    REQUIRE(sc.fixture.timing.max_missed_samples == 0);
    REQUIRE(sc.fixture.timing.lateness == 200us);
    test::SimRun run;
    const auto r = run.run(sc);
    REQUIRE(r.verdict == Verdict::pass);
    auto samples = read_samples(r.dir / "samples.bin");
    std::size_t delayed = 0;
    for (std::size_t i = 25; i < samples.size(); i += 50, ++delayed) {
        samples[i].t_ns += 110'000;
        samples[i].lateness_ns = 110'000;
    }
    REQUIRE(delayed > 100);
    write_samples(r.dir / "samples.bin", samples);
    const auto again = reanalyze(r.dir);
    REQUIRE(again.size() == 3);
    for (const auto& m : again) {
        INFO(m.id << ": " << m.message);
        CHECK(m.outcome == Outcome::pass);
        CHECK(m.value.has_value());
    }
    // The loop's own flags follow the same rule: within the budget, no flag.
    const auto rule = analysis::timing_rule(200us, 200us);
    CHECK_FALSE(rule.late(110us));
    CHECK(rule.deadlines_skipped(110us) == 0);
}

TEST_CASE("record: the runner's record reads back through the one mapping unchanged", "[record]") {
    test::SimRun run;
    const auto r = run.run(test::load_shipped("scenarios/stall-recover.yaml"));
    const auto text = read_file(r.dir / "record.json");
    const auto typed = run_record::parse_record(text);
    CHECK(nlohmann::json(typed) == nlohmann::json::parse(text));
    CHECK(typed.complete);
    CHECK(typed.verdict == "PASS");
    REQUIRE(typed.kinds.count("stall_protection") == 1);
    CHECK(typed.kinds.at("stall_protection").plot == "stall_trace");
    CHECK(typed.kinds.at("stall_protection").quantities.at("stall_latency").unit == "ms");
    for (const auto& m : typed.measurements) CHECK_FALSE(m.kind.empty());
    // The fixture path is stored normalised (no "scenarios/../").
    CHECK(typed.fixture.path.find("..") == std::string::npos);
}

TEST_CASE("record: events round-trip whatever their kind", "[record]") {
    int kinds = 0;
    for (unsigned k = 0; k <= 0xffu; ++k) {
        const auto ek = static_cast<EventKind>(k);
        if (std::string_view(to_string(ek)) == "?") continue;
        ++kinds;
        Event e{1'234'567'000, ek, 2.5, 7, "x"};
        const auto back = run_record::RecordEvent::from(e).to_event();
        REQUIRE(back);
        CHECK(back->kind == ek);
        CHECK(back->t_ns == e.t_ns);
        CHECK(back->step_index == 7);
    }
    CHECK(kinds > static_cast<int>(EventKind::estop));
    run_record::RecordEvent unknown{1.0, "no_such_kind", 0.0, 0, ""};
    CHECK_FALSE(unknown.to_event());
}

TEST_CASE("a scenario with no measurement ends ERROR: nothing was measured", "[runner][sim]") {
    test::TempDir dir;
    const auto sc = test::load_text(dir, "steps:\n  - set_level: 3\n  - power: on\n  - hold: 200 ms\n");
    test::SimRun run;
    const auto r = run.run(sc);
    CHECK(r.verdict == Verdict::error);
    CHECK_THAT(r.reason, Catch::Contains("nothing was measured"));
    CHECK(r.record["verdict"] == "ERROR");
    CHECK_THAT(read_file(r.dir / "junit.xml"), Catch::Contains("nothing was measured"));
}

TEST_CASE("an ERROR loop_timing has no value (null), never 0", "[runner][sim]") {
    test::TempDir dir;
    const auto sc = test::load_on_fixture(
        dir,
        test::sim_fixture_with("timing:", "\n\n",
                               "timing:\n  lateness_budget: 1 us\n  max_late_fraction: 0 %\n  max_missed_samples: 0"),
        "T",
        "steps:\n  - set_level: 3\n  - power: on\n  - hold: 300 ms\n"
        "  - measure: {what: loop_timing, id: timing, window: previous}\n");
    test::SimRun run;
    const auto r = run.run(sc);
    const auto& t = test::find(r, "timing");
    REQUIRE(t.outcome == Outcome::error);  // the sim's 2 us jitter breaks a 1 us budget
    CHECK_FALSE(t.value.has_value());
    for (const auto& m : r.record["measurements"]) {
        if (m["id"] == "timing") CHECK(m["value"].is_null());
    }
}

TEST_CASE("trend: the latest run of a scenario that did not close is reported, not hidden", "[trend]") {
    auto rec = [](const std::string& started, const std::string& verdict, bool complete) {
        run_record::RunRecord r;
        r.run_id = "r-" + started;
        r.started_utc = started;
        r.scenario.id = "NIGHTLY-01";
        r.verdict = verdict;
        r.complete = complete;
        return r;
    };
    const std::vector<run_record::RunRecord> recs = {rec("2026-11-01T00:00:00Z", "PASS", true),
                                                     rec("2026-11-02T00:00:00Z", "INCOMPLETE", false)};
    const auto latest = latest_runs(recs);
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].run_id == "r-2026-11-02T00:00:00Z");
    CHECK(latest[0].needs_attention());
    for (const char* v : {"ABORTED", "ERROR"}) {
        auto r2 = recs;
        r2[1] = rec("2026-11-02T00:00:00Z", v, true);
        CHECK(latest_runs(r2)[0].needs_attention());
    }
    auto ok = recs;
    ok[1] = rec("2026-11-02T00:00:00Z", "FAIL", true);
    CHECK_FALSE(latest_runs(ok)[0].needs_attention());
}

TEST_CASE("a samples.bin trailer whose count wraps the file size around 2^64 is refused", "[runner][samples]") {
    // The input fuzz_samples found: a format-2 header and a trailer whose
    // count times the record size overflows onto the real size.
    const auto forged = test::source_dir() / "tests" / "fuzz" / "corpus" / "fuzz_samples" / "regression-count-wraps";
    REQUIRE(std::filesystem::exists(forged));
    test::TempDir dir;
    const auto path = dir.path() / "samples.bin";
    std::filesystem::copy_file(forged, path);
    CHECK_THROWS_AS(inspect_samples(path), std::runtime_error);
    CHECK_THROWS_AS(read_samples(path), std::runtime_error);
}
