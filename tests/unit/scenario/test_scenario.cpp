#include <algorithm>
#include <filesystem>

#include "catch.hpp"
#include "expect_diagnostics.hpp"
#include "rig/scenario/run_checks.hpp"
#include "rig/scenario/scenario.hpp"
#include "test_files.hpp"

using namespace rig;
using test::header;

namespace {

struct Result {
    std::optional<Scenario> sc;
    std::vector<Diagnostic> errors;
};

Result load(const test::ScenarioDir& dir, const std::string& body) {
    Diagnostics d;
    Result r;
    r.sc = load_scenario(dir.scenario(header() + body), d);
    for (const auto& x : d.sorted()) {
        if (x.severity == Severity::error) r.errors.push_back(x);
    }
    return r;
}

/// The one error at `line`; fails the test if there is not exactly one.
const Diagnostic& error_at(const Result& r, int line) {
    const Diagnostic* found = nullptr;
    int n = 0;
    for (const auto& e : r.errors) {
        if (e.where.line == line) {
            found = &e;
            ++n;
        }
    }
    INFO("errors: " << [&] { std::string s; for (auto& e : r.errors) s += e.str() + "\n"; return s; }());
    REQUIRE(n == 1);
    return *found;
}

}  // namespace

TEST_CASE("a valid scenario expands into a flat plan", "[scenario]") {
    test::ScenarioDir dir;
    auto r = load(dir, R"(requirements: [REQ-1]
tags: [nightly]
seed: 42
steps:
  - set_depth: 1 mm
  - set_level: 2
  - power: on
  - hold: 1 s
  - measure: {what: puncture_rate, window: 2 s}
  - repeat:
      count: 2
      steps:
        - step: {to: 150 Hz, hold: 500 ms}
        - measure: {what: startup_time, id: st, limits: {high: 300 ms}}
  - sweep: {over: depth, values: [0.5 mm, 1.5 mm], steps: [{hold: 100 ms}, {measure: {what: protrusion_depth, id: d}}]}
  - power: off
)");
    INFO([&] { std::string s; for (auto& e : r.errors) s += e.str() + "\n"; return s; }());
    REQUIRE(r.sc);
    const auto& sc = *r.sc;
    CHECK(sc.seed == 42);
    CHECK(sc.has_tag("nightly"));
    // 4 + measure + 2x(set_rate, hold, measure) + 2x(set_depth, hold, measure) + power off
    REQUIRE(sc.plan.size() == 4 + 1 + 6 + 6 + 1);
    const auto& m = sc.plan[4].measure;
    CHECK(m.what == find_measure_kind("puncture_rate"));
    CHECK(m.limits.at("puncture_rate").low == Approx(95.0));  // level 2 = 100 Hz, 5 %
    CHECK(m.limits.at("puncture_rate").high == Approx(105.0));
    CHECK(m.limits.at("puncture_rate").source == "spec:rate.tolerance");
    CHECK(m.requirements == std::vector<std::string>{"REQ-1"});
    CHECK(sc.plan[5].is_step_change);
    CHECK(sc.plan[7].measure.id == "st@1/2");
    CHECK(sc.plan[10].measure.id == "st@2/2");
    CHECK(sc.plan[7].measure.limits.at("startup_time").high == Approx(300.0));
    CHECK(sc.plan[7].measure.limits.at("startup_time").source == "inline");
    CHECK(sc.plan[13].measure.dial_mm == Approx(0.5));
    CHECK(sc.plan[13].measure.limits.at("protrusion_depth").low == Approx(0.35));
    CHECK(sc.plan[16].measure.dial_mm == Approx(1.5));
    // ... plus the run-start checks' hold before the first power-on.
    CHECK(sc.expected_duration == std::chrono::milliseconds(1000 + 2000 + 1000 + 200) + checks::kRunStartWindow);
}

TEST_CASE("every problem in a scenario is reported at once with line and column", "[scenario]") {
    test::ScenarioDir dir;
    // header() is 5 lines; the body starts at line 6.
    auto r = load(dir, R"(tgas: [nightly]
steps:
  - set_depth: 3 mm
  - set_rate: 150
  - hold: 2 m
  - set_level: 7
  - holdd: 1 s
  - ramp: {to: 190 Hz, over: 1 s}
  - measure: {what: strike_force, window: 1 s}
  - measure: {what: stall_protection}
  - measure: {what: speed_regulation, no_load: nope, loaded: nope}
  - power: maybe
)");
    CHECK_FALSE(r.sc);
    CHECK_THAT(error_at(r, 6).message, Catch::Contains("unknown key 'tgas'") && Catch::Contains("did you mean 'tags'"));
    CHECK(error_at(r, 6).where.column == 1);
    CHECK_THAT(error_at(r, 8).message, Catch::Contains("beyond the rig's max_depth 2 mm"));
    CHECK(error_at(r, 8).where.column == 16);
    CHECK_THAT(error_at(r, 9).message, Catch::Contains("missing unit") && Catch::Contains("'150 Hz'"));
    CHECK_THAT(error_at(r, 10).message, Catch::Contains("wrong unit 'm'") && Catch::Contains("that is a length"));
    CHECK_THAT(error_at(r, 11).message, Catch::Contains("speed level 7 is not in the spec (levels: 1, 2, 3)"));
    CHECK_THAT(error_at(r, 12).message, Catch::Contains("unknown step 'holdd'") && Catch::Contains("did you mean 'hold'"));
    CHECK_THAT(error_at(r, 13).message, Catch::Contains("rate 190 Hz is beyond the rig's max_rate 180 Hz"));
    // strike_force: limits come from the spec, but no depth was set and the pen was never powered on
    int line14 = 0;
    for (const auto& e : r.errors) {
        if (e.where.line != 14) continue;
        ++line14;
        CHECK_THAT(e.message, Catch::Contains("no set_depth before this step") || Catch::Contains("never powered on"));
    }
    CHECK(line14 == 2);
    CHECK_THAT(error_at(r, 15).message, Catch::Contains("no 'stall:' before this step"));
    CHECK_THAT(error_at(r, 17).message, Catch::Contains("expected 'on' or 'off'"));
    // speed_regulation: both references are bad, and the test spec has no regulation limit
    int refs = 0;
    for (const auto& e : r.errors) refs += e.message.find("not the id of an earlier measure step") != std::string::npos;
    CHECK(refs == 2);
}

TEST_CASE("a measure whose limits are neither inline nor in the spec is an error", "[scenario]") {
    test::ScenarioDir dir;
    auto r = load(dir, R"(steps:
  - set_level: 1
  - power: on
  - step: {level: 2, hold: 1 s}
  - measure: {what: step_response}
)");
    CHECK_FALSE(r.sc);
    CHECK_THAT(error_at(r, 10).message,
               Catch::Contains("no limits, neither inline ('limits:') nor in the spec"));
    auto ok = load(dir, R"(steps:
  - set_level: 1
  - power: on
  - step: {level: 2, hold: 1 s}
  - measure: {what: step_response, limits: {rise_time: {high: 100 ms}, overshoot: {high: 5 %}}}
)");
    REQUIRE(ok.sc);
    const auto& lim = ok.sc->plan.back().measure.limits;
    CHECK(lim.at("rise_time").high == Approx(100.0));
    CHECK(lim.at("overshoot").high == Approx(5.0));
    CHECK_FALSE(lim.count("settling_time"));
}

TEST_CASE("references to missing spec or fixture files are reported at the reference", "[scenario]") {
    test::ScenarioDir dir;
    Diagnostics d;
    auto p = dir.scenario("id: x\ntitle: t\nversion: \"1\"\nspec: nope.yaml\nfixture: gone.yaml\nsteps: [{hold: 1 s}]\n");
    CHECK_FALSE(load_scenario(p, d));
    test::check_diagnostics(d, {{4, "spec: no such file", 7}, {5, "fixture: no such file"}});
    CHECK_THAT(d.sorted()[0].message, Catch::Contains("nope.yaml"));
}

TEST_CASE("errors inside the referenced spec are reported in that file", "[scenario]") {
    test::ScenarioDir dir;
    test::write(dir.dir / "spec.yaml", std::string(test::kSpec) + "colour: red\n");
    Diagnostics d;
    CHECK_FALSE(load_scenario(dir.scenario(header() + "steps: [{hold: 1 s}]\n"), d));
    REQUIRE(d.error_count() == 1);
    CHECK(d.items()[0].where.file == (dir.dir / "spec.yaml").string());
    CHECK(d.items()[0].where.line == 9);
    CHECK_THAT(d.items()[0].message, Catch::Contains("unknown key 'colour'"));
}

TEST_CASE("measure windows: marks must exist, durations need units", "[scenario]") {
    test::ScenarioDir dir;
    auto r = load(dir, R"(steps:
  - set_level: 1
  - power: on
  - measure: {what: puncture_rate, window: {since: warmup}}
  - measure: {what: puncture_rate, window: 2}
  - mark: warmup
  - hold: 1 s
  - measure: {what: puncture_rate, window: {since: warmup}}
)");
    CHECK_FALSE(r.sc);
    CHECK_THAT(error_at(r, 9).message, Catch::Contains("no 'mark: warmup' before this step"));
    CHECK_THAT(error_at(r, 10).message, Catch::Contains("missing unit"));
    CHECK(r.errors.size() == 2);
}

TEST_CASE("sweep over all dial steps stays within the rig's max depth", "[scenario]") {
    test::ScenarioDir dir;
    auto r = load(dir, R"(steps:
  - set_level: 2
  - power: on
  - sweep: {over: depth, values: all, steps: [{hold: 100 ms}, {measure: {what: protrusion_depth, id: d}}]}
)");
    REQUIRE(r.sc);
    std::vector<double> dials;
    for (const auto& p : r.sc->plan) {
        if (p.kind == StepKind::measure) dials.push_back(p.measure.dial_mm);
    }
    // spec dial 0..2.5 mm in 0.5 mm steps; the rig stops at 2.0 mm
    CHECK(dials == std::vector<double>{0.0, 0.5, 1.0, 1.5, 2.0});
}

TEST_CASE("a scenario that is not a mapping, or is empty, is one clear error", "[scenario]") {
    test::ScenarioDir dir;
    Diagnostics d;
    CHECK_FALSE(load_scenario(dir.scenario("- just\n- a list\n"), d));
    REQUIRE(d.error_count() == 1);
    CHECK_THAT(d.items()[0].message, Catch::Contains("expected a YAML mapping"));
    Diagnostics d2;
    CHECK_FALSE(load_scenario(dir.scenario(""), d2));
    CHECK_THAT(d2.items()[0].message, Catch::Contains("empty"));
}

TEST_CASE("fault steps are sim-only and checked like fixture faults", "[scenario]") {
    test::ScenarioDir dir;
    auto r = load(dir, R"(steps:
  - fault: {weak_sprng: 50 %}
  - fault: {depth_offset: 5 mm}
  - fault: {weak_spring: 50 %}
)");
    CHECK_FALSE(r.sc);
    CHECK_THAT(error_at(r, 7).message, Catch::Contains("unknown fault 'weak_sprng'") && Catch::Contains("did you mean 'weak_spring'"));
    CHECK_THAT(error_at(r, 8).message, Catch::Contains("above the maximum"));
    CHECK(r.errors.size() == 2);
}

TEST_CASE("a fault step on a fixture that cannot inject faults is an error at the step", "[scenario]") {
    // The shipped hardware fixture: validation asks what it can do
    // (capabilities_of), and a hardware fixture injects no faults.
    test::ScenarioDir dir;
    std::filesystem::copy_file(std::string(PENRIG_SOURCE_DIR) + "/fixtures/pi4-reference.yaml", dir.dir / "fixture.yaml",
                               std::filesystem::copy_options::overwrite_existing);
    auto r = load(dir, R"(steps:
  - fault: {weak_spring: 50 %}
)");
    CHECK_FALSE(r.sc);
    CHECK_THAT(error_at(r, 7).message, Catch::Contains("cannot inject faults"));
}
