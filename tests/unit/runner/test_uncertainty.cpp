// Every measured value carries U (k = 2) with its budget, the decision rule
// is applied and recorded, and on the sim the model's truth lies within U in
// about 95 % of results per quantity.
#include <algorithm>
#include <cstdio>

#include "catch.hpp"
#include "run_helpers.hpp"
#include "uncertainty_coverage.hpp"

using namespace rig;
using namespace rig::test;

TEST_CASE("the truth lies within U in about 95 % of results per quantity", "[uncertainty][coverage]") {
    TempDir dir;
    std::map<std::string, Coverage> by;
    const auto variations = coverage_variations();
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        for (const auto& v : variations) run_coverage_case(dir, v, seed * 7919 + 13, by);
    }
    // Every kind the scenario takes is in the study.
    for (const char* q : {"puncture_rate", "protrusion_depth", "strike_force", "startup_time", "rise_time", "overshoot",
                          "settling_time", "speed_regulation", "stall_latency", "stall_retry_delay"}) {
        INFO(q);
        REQUIRE(by.count(q) == 1);
        REQUIRE(by[q].results >= 10);
    }
    for (auto& [name, c] : by) {
        std::sort(c.ratios.begin(), c.ratios.end());
        const double p95 = c.ratios[static_cast<std::size_t>(0.95 * static_cast<double>(c.ratios.size() - 1))];
        INFO(name << ": " << c.covered << " of " << c.results << " within U, |e|/U p95 " << p95);
        // Understated U (the unsafe side): fewer covered than a true 95 %
        // gives with probability 0.001 (exact binomial tail).
        CHECK(c.covered >= coverage_lower_bound(c.results));
        // Grossly overstated U: the 95th percentile error under a fifth of U.
        CHECK(p95 >= 0.2);
    }
}

TEST_CASE("every value has U and its budget, ERROR none; the rule in force is recorded", "[uncertainty]") {
    SimRun run;
    const auto sc = load_shipped("scenarios/smoke.yaml");
    const auto res = run.run(sc);
    REQUIRE(!res.measurements.empty());
    for (const auto& m : res.measurements) {
        INFO(m.id);
        CHECK(m.decision_rule == DecisionRule::simple);
        if (m.outcome == Outcome::error || !m.value) {
            CHECK(!m.uncertainty);
            continue;
        }
        REQUIRE(m.uncertainty);
        const auto& u = *m.uncertainty;
        CHECK(u.k == 2.0);
        CHECK(u.U == Approx(2.0 * u.u_c));
        REQUIRE(!u.components.empty());
        double ss = 0.0;
        for (const auto& x : u.components) {
            CHECK((x.type == "A" || x.type == "B"));
            CHECK(x.contribution == Approx(std::abs(x.sensitivity) * x.u).margin(1e-15));
            ss += x.contribution * x.contribution;
        }
        CHECK(u.u_c == Approx(std::sqrt(ss)));
        // Through the record's JSON and back.
        const auto back = Measurement::from_json(m.to_json());
        REQUIRE(back.uncertainty);
        CHECK(back.uncertainty->U == Approx(u.U));
        CHECK(back.uncertainty->components.size() == u.components.size());
    }
    require_schema_valid(nlohmann::json::parse(read_file(res.dir / "record.json")));
    // junit.xml: U of each testcase with a value, as the suite property
    // "<testcase>.uncertainty_U" (the Ant schema allows a testcase no properties).
    const auto junit = read_file(res.dir / "junit.xml");
    for (const auto& m : res.measurements) {
        if (!m.uncertainty) continue;
        INFO(m.id);
        CHECK(junit.find("name=\"" + m.id + ".uncertainty_U\"") != std::string::npos);
    }
}

TEST_CASE("guarded acceptance: a value within U of a limit is FAIL, marked conditional", "[uncertainty][decision]") {
    TempDir dir;
    const auto spec_src = read_file(source_dir() / "scenarios" / "specs" / "novapen-x2.yaml");
    const auto scenario = [&](const std::string& rule, const std::string& limits) {
        std::ofstream(dir / (rule + ".spec.yaml")) << "decision_rule: " << rule << "\n" << spec_src;
        const std::string text = "id: G\ntitle: g\nversion: \"1\"\nspec: " + (dir / (rule + ".spec.yaml")).string() +
                                 "\nfixture: " + (source_dir() / "fixtures" / "sim.yaml").string() +
                                 "\nseed: 3\nsteps:\n  - set_level: 3\n  - power: on\n  - hold: 800 ms\n"
                                 "  - measure: {what: puncture_rate, id: rate, window: 500 ms" + limits + "}\n";
        std::ofstream(dir / (rule + ".yaml")) << text;
        Diagnostics d;
        auto sc = load_scenario(dir / (rule + ".yaml"), d);
        INFO([&] { std::ostringstream o; d.print(o); return o.str(); }());
        REQUIRE(sc);
        return std::move(*sc);
    };
    SimRun first;
    const auto base = first.run(scenario("simple", ""));
    const auto& m0 = find(base, "rate");
    REQUIRE(m0.outcome == Outcome::pass);
    REQUIRE(m0.uncertainty);
    REQUIRE(m0.uncertainty->U > 0.0);
    // A low limit half a U below the value: inside the limits, within U of one.
    std::ostringstream lim;
    lim.precision(12);
    lim << ", limits: {low: " << *m0.value - m0.uncertainty->U / 2.0 << " Hz}";
    // A run under `rule` with `limits`: its rate measurement judged with
    // `outcome`, `conditional` or not, by that rule.
    const auto judged = [&](const std::string& rule, const std::string& limits, Outcome outcome, bool conditional) {
        SimRun r;
        auto res = r.run(scenario(rule, limits));
        const auto& m = find(res, "rate");
        CHECK(m.outcome == outcome);
        CHECK(m.conditional == conditional);
        CHECK(m.decision_rule == (rule == "guarded" ? DecisionRule::guarded : DecisionRule::simple));
        return res;
    };
    SECTION("simple: PASS, marked conditional") { judged("simple", lim.str(), Outcome::pass, true); }
    SECTION("guarded: FAIL, conditional, and the run is not PASS") {
        const auto res = judged("guarded", lim.str(), Outcome::fail, true);
        const auto& m = find(res, "rate");
        CHECK(m.message.find("conditional") != std::string::npos);
        CHECK(res.verdict != Verdict::pass);
        CHECK(m.to_json()["decision"]["rule"] == "guarded");
    }
    SECTION("guarded, value well inside: PASS") { judged("guarded", "", Outcome::pass, false); }
}

TEST_CASE("every registered measurement kind states an uncertainty budget", "[uncertainty]") {
    for (const MeasureKind* k : measure_kinds()) {
        INFO(k->name);
        CHECK(k->budget != nullptr);
    }
}
