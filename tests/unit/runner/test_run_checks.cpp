// Run-start instrument checks (tare, current-sense zero) and ADC full-scale
// flags, end to end on the sim through the real runner: each instrument fault
// gives an accurate value (the checks corrected it, within the stated
// accuracy) or ERROR naming the instrument; never a PASS on bad data.
#include <algorithm>
#include <cmath>

#include "rig/runner/samples_file.hpp"
#include "rig/scenario/run_checks.hpp"
#include "run_helpers.hpp"

using namespace rig;
using test::find;

namespace {

std::string force_scenario(const std::string& fault) {
    return test::steady_measure_steps(fault, "strike_force", "force");
}

std::string stall_scenario(const std::string& fault) {
    std::string s = "steps:\n";
    if (!fault.empty()) s += "  - fault: " + fault + "\n";
    s += "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n"
         "  - wait_until: {condition: rate_stable, timeout: 2 s}\n"
         "  - hold: 300 ms\n  - stall: {for: 400 ms}\n  - hold: 1.2 s\n"
         "  - measure: {what: stall_protection, id: stall}\n  - power: off\n";
    return s;
}

const nlohmann::json* check_of(const Measurement& m, const std::string& instrument, const std::string& check) {
    if (!m.stats.contains("checks")) return nullptr;
    for (const auto& c : m.stats["checks"]) {
        if (c["instrument"] == instrument && c["check"] == check) return &c;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("tare before power-on: in the record, the pen unpowered while it is taken", "[runner][sim][checks]") {
    test::SimRun run;
    const auto sc = test::load_text(run.dir, force_scenario(""));
    const auto r = run.run(sc, nullptr, 1);
    const auto& force = find(r, "force");
    CHECK(force.outcome == Outcome::pass);
    for (const char* c : {"tare", "tare_noise", "needle_still", "adc_full_scale"}) {
        INFO(c);
        const auto* j = check_of(force, "load_cell", c);
        REQUIRE(j);
        CHECK((*j)["outcome"] == "ok");
        CHECK(j->contains("limit"));
    }
    const auto* tare = check_of(force, "load_cell", "tare");
    CHECK(std::abs((*tare)["value"].get<double>()) < 0.002);        // noise 5 mN RMS, ~2000 readings
    CHECK((*tare)["limit"].get<double>() == checks::kTareLimitN);
    const double noise = (*check_of(force, "load_cell", "tare_noise"))["value"].get<double>();
    CHECK(noise == Approx(0.005).margin(0.001));                     // the fixture's 5 mN RMS
    // The window: the first power step's span up to its power_on event, at
    // least kRunStartWindow long, with the pen unpowered (zero current).
    const auto samples = read_samples(r.dir / "samples.bin");
    double on_s = -1;
    for (const auto& e : r.record["events"]) {
        if (e["kind"] == "power_on") {
            on_s = e["t_s"].get<double>();
            break;
        }
    }
    REQUIRE(on_s > 0.2 - 1e-9);
    test::require_schema_valid(r.record);
    // A run whose first step is power-on still gets its tare (the hold is in the power step).
    test::SimRun run2;
    const auto r2 = run2.run(test::load_text(run2.dir, "steps:\n  - power: on\n  - set_depth: 1.0 mm\n  - set_level: 3\n"
                                                       "  - wait_until: {condition: rate_stable, timeout: 2 s}\n"
                                                       "  - measure: {what: strike_force, id: force, window: 300 ms}\n"),
                             nullptr, 2);
    CHECK(find(r2, "force").outcome == Outcome::pass);
}

TEST_CASE("load-cell zero off its calibration: accurate force within the tare limit, ERROR beyond it",
          "[runner][sim][checks]") {
    for (std::uint64_t seed : {1u, 2u}) {
        // Within the limit: the per-stroke baseline removes the zero error the
        // tare measured; the force is within the stated accuracy (50 mN) of the truth.
        for (const char* off : {"0.1 N", "-0.15 N"}) {
            test::SimRun run;
            const auto r = run.run(test::load_text(run.dir, force_scenario(std::string("{load_cell_offset: ") + off + "}")),
                                   nullptr, seed);
            const auto& force = find(r, "force");
            INFO(off << " seed " << seed << ": " << force.message);
            REQUIRE(force.outcome == Outcome::pass);
            REQUIRE(force.truth);
            CHECK(std::abs(*force.value - *force.truth) < 0.05);
            const double tare = (*check_of(force, "load_cell", "tare"))["value"].get<double>();
            CHECK(std::abs(tare - std::stod(off)) < 0.003);  // the tare measures the offset
        }
        // Beyond it: ERROR naming the load cell, no value, run ERROR.
        for (const char* off : {"0.25 N", "-0.4 N"}) {
            test::SimRun run;
            const auto r = run.run(test::load_text(run.dir, force_scenario(std::string("{load_cell_offset: ") + off + "}")),
                                   nullptr, seed);
            const auto& force = find(r, "force");
            INFO(off << ": " << force.message);
            CHECK(force.outcome == Outcome::error);
            CHECK_FALSE(force.value);
            CHECK(force.message.rfind("load cell: tare", 0) == 0);
            CHECK((*check_of(force, "load_cell", "tare"))["outcome"] == "failed");
            CHECK(r.verdict == Verdict::error);
        }
    }
}

TEST_CASE("current-sense zero checked with the pen unpowered: an offset beyond the limit is ERROR on stall protection",
          "[runner][sim][checks]") {
    {
        test::SimRun run;
        const auto r = run.run(test::load_text(run.dir, stall_scenario("{current_offset: 4 mA}")), nullptr, 1);
        for (const auto& m : r.measurements) {
            INFO(m.id << ": " << m.message);
            CHECK(m.outcome == Outcome::pass);
            const auto* z = check_of(m, "current_sense", "zero");
            REQUIRE(z);
            CHECK((*z)["value"].get<double>() == Approx(0.004).margin(0.0005));
            CHECK((*z)["outcome"] == "ok");
        }
    }
    for (const char* off : {"25 mA", "-15 mA"}) {
        test::SimRun run;
        const auto r = run.run(test::load_text(run.dir, stall_scenario(std::string("{current_offset: ") + off + "}")),
                               nullptr, 1);
        REQUIRE_FALSE(r.measurements.empty());
        for (const auto& m : r.measurements) {
            INFO(off << " " << m.id << ": " << m.message);
            CHECK(m.outcome == Outcome::error);
            CHECK(m.message.rfind("current sense:", 0) == 0);
            CHECK((*check_of(m, "current_sense", "zero"))["outcome"] == "failed");
        }
        CHECK(r.verdict == Verdict::error);
    }
    // Force does not use the current sense: a current zero error leaves it alone.
    test::SimRun run;
    const auto r = run.run(test::load_text(run.dir, force_scenario("{current_offset: 25 mA}")), nullptr, 1);
    CHECK(find(r, "force").outcome == Outcome::pass);
    CHECK_FALSE(check_of(find(r, "force"), "current_sense", "zero"));
}

TEST_CASE("ADC full-scale codes are flagged per sample and make the window's force ERROR", "[runner][sim][checks]") {
    // The strikes on the shipped pen peak near 1 N at 1 mm: a load-cell ADC
    // that reaches full scale at 0.6 N clips every strike.
    test::SimRun run;
    const auto r = run.run(test::load_text(run.dir, force_scenario("{load_cell_full_scale: 0.6 N}")), nullptr, 1);
    const auto& force = find(r, "force");
    INFO(force.message);
    CHECK(force.outcome == Outcome::error);
    CHECK(force.message.rfind("load cell at ADC full scale: ", 0) == 0);
    const auto* c = check_of(force, "load_cell", "adc_full_scale");
    REQUIRE(c);
    CHECK((*c)["value"].get<double>() > 0);
    CHECK((*c)["outcome"] == "failed");
    const auto samples = read_samples(r.dir / "samples.bin");
    const auto clipped = std::count_if(samples.begin(), samples.end(),
                                       [](const Sample& s) { return (s.flags & sample_force_clipped) != 0; });
    CHECK(clipped > 0);
    // Clipped samples are no reading (force fault) as well.
    for (const auto& s : samples) {
        if ((s.flags & sample_force_clipped) != 0) REQUIRE((s.flags & sample_force_fault) != 0);
    }
    // rig analyze finds the same.
    const auto again = reanalyze(r.dir);
    REQUIRE(again.size() == r.measurements.size());
    CHECK(again[0].message == force.message);

    // Above the strikes' peak: no clip, PASS.
    test::SimRun ok;
    const auto r2 = ok.run(test::load_text(ok.dir, force_scenario("{load_cell_full_scale: 20 N}")), nullptr, 1);
    CHECK(find(r2, "force").outcome == Outcome::pass);

    // The current ADC clipping in the stall window: the stall current of the
    // 12 V, 6 ohm motor is ~2 A; a 1 A full scale clips it.
    test::SimRun st;
    const auto r3 = st.run(test::load_text(st.dir, stall_scenario("{current_full_scale: 1 A}")), nullptr, 1);
    REQUIRE_FALSE(r3.measurements.empty());
    for (const auto& m : r3.measurements) {
        INFO(m.id << ": " << m.message);
        CHECK(m.outcome == Outcome::error);
        CHECK(m.message.find("current sense at ADC full scale: ") != std::string::npos);
    }
}
