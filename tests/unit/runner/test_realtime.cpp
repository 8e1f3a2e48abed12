// The acquisition thread on the sim with the real monotonic clock (the code
// path hardware uses): samples are stamped with real, increasing times,
// lateness is recorded, and a broken budget turns measurements into ERROR.
#include <thread>

#include "rig/hw/realtime.hpp"
#include "rig/runner/samples_file.hpp"
#include "run_helpers.hpp"

using namespace rig;

namespace {
Scenario short_scenario(const test::TempDir& dir, const std::string& timing) {
    // A copy of the default fixture with a chosen timing budget.
    return test::load_on_fixture(dir, test::sim_fixture_with("timing:", "\n\n", timing), "RT",
                                 "steps:\n  - set_level: 3\n  - set_depth: 1 mm\n  - power: on\n"
                                 "  - hold: 400 ms\n  - measure: {what: puncture_rate, id: rate, window: 300 ms}\n"
                                 "  - measure: {what: loop_timing, id: timing, window: previous}\n");
}

RunResult run_realtime(const Scenario& sc, const test::TempDir& dir) {
    auto fx = make_sim_fixture(sc.fixture, 1, SimClockMode::realtime);
    REQUIRE(fx->clock().is_real_time());
    std::atomic<bool> abort{false};
    RunOptions o;
    o.runs_root = dir / "runs";
    o.realtime_setup = [] {
        hw::RealtimeOptions ro;
        ro.priority = 10;
        ro.prefault_stack_kib = 64;
        const auto rep = hw::apply_realtime(ro);
        return nlohmann::json{{"applied", rep.applied}, {"failed", rep.failed}};
    };
    Runner r(sc, *fx, o, abort);
    return r.run();
}
}  // namespace

TEST_CASE("realtime sim: real timestamps, lateness recorded, real-time setup in the record", "[runner][realtime]") {
    test::TempDir dir;
    // A generous budget: a loaded CI machine must still pass.
    const auto sc = short_scenario(dir, "timing:\n  lateness_budget: 50 ms\n  max_late_fraction: 5 %\n  max_missed_samples: 1000");
    const auto r = run_realtime(sc, dir);
    test::require_schema_valid(r.record);
    const auto samples = read_samples(r.dir / "samples.bin");
    REQUIRE(samples.size() > 1000);
    std::int64_t max_late = 0;
    for (std::size_t i = 1; i < samples.size(); ++i) {
        REQUIRE(samples[i].t_ns > samples[i - 1].t_ns);
        REQUIRE(samples[i].lateness_ns >= 0);
        max_late = std::max(max_late, samples[i].lateness_ns);
    }
    CHECK(max_late > 0);  // a real clock never wakes exactly on time
    CHECK(r.record["timing"]["lateness_us"]["max"].get<double>() == Approx(static_cast<double>(max_late) / 1e3));
    CHECK(r.record.contains("realtime"));
    CHECK(r.record["realtime"]["applied"].size() + r.record["realtime"]["failed"].size() >= 1);
    // Elapsed sample time follows the wall clock: about the scenario's length.
    const double span_s = static_cast<double>(samples.back().t_ns - samples.front().t_ns) * 1e-9;
    CHECK(span_s > 0.69);
    CHECK(span_s < 10.0);
}

TEST_CASE("realtime sim: a broken lateness budget makes the measurements ERROR, never PASS", "[runner][realtime]") {
    test::TempDir dir;
    // 1 ns of lateness allowed and none of it tolerated: no real loop meets that.
    const auto sc = short_scenario(dir, "timing:\n  lateness_budget: 1 us\n  max_late_fraction: 0 %\n  max_missed_samples: 0");
    const auto r = run_realtime(sc, dir);
    CHECK(r.verdict == Verdict::error);
    const auto& timing = test::find(r, "timing");
    CHECK(timing.outcome == Outcome::error);
    CHECK_THAT(timing.message, Catch::Contains("budget"));
    const auto& rate = test::find(r, "rate");
    CHECK(rate.outcome == Outcome::error);
    CHECK_FALSE(rate.value.has_value());
    CHECK(r.record["timing"]["late_samples"].get<std::size_t>() > 0);
}

TEST_CASE("realtime sim: a slow operator prompt loses no samples", "[runner][realtime][prompt]") {
    test::TempDir dir;
    auto sc = short_scenario(dir, "timing:\n  lateness_budget: 50 ms\n  max_late_fraction: 5 %\n  max_missed_samples: 1000");
    // Insert a prompt after power-on: the operator takes 2.5 s, longer than
    // the sample ring holds (16384 samples: 1.6 s at 10 kHz).
    PlanStep prompt;
    prompt.kind = StepKind::prompt;
    prompt.text = "Check the cartridge";
    prompt.label = "prompt";
    sc.plan.insert(sc.plan.begin() + 3, prompt);
    auto fx = make_sim_fixture(sc.fixture, 1, SimClockMode::realtime);
    std::atomic<bool> abort{false};
    RunOptions o;
    o.runs_root = dir / "runs";
    std::atomic<int> asked{0};
    o.prompt = [&asked](const std::string& text) {
        CHECK(text == "Check the cartridge");
        ++asked;
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        return true;
    };
    Runner r(sc, *fx, o, abort);
    const auto res = r.run();
    CHECK(asked == 1);
    INFO(res.reason);
    // Nothing was lost to a full ring while the operator took their time
    // (before the prompt ran on its own thread, 0.9 s of samples were). Late
    // wake-ups of this non-real-time machine may still show as missed samples.
    CHECK_THAT(res.reason, !Catch::Contains("lost"));
    CHECK(res.verdict != Verdict::aborted);
    const auto samples = res.record["samples"]["count"].get<double>();
    const auto missed = res.record["timing"]["missed_samples"].get<double>();
    CHECK(samples + missed > 10000.0 * (0.4 + 0.3 + 2.5) * 0.95);
    bool prompt_event = false;
    for (const auto& e : res.record["events"]) prompt_event = prompt_event || e["kind"] == "prompt";
    CHECK(prompt_event);
}

TEST_CASE("an operator prompt that cannot be answered ends the run ERROR", "[runner][prompt]") {
    test::TempDir dir;
    auto sc = test::load_text(dir, "steps:\n  - set_level: 3\n  - power: on\n  - prompt: Fit cartridge\n  - hold: 300 ms\n"
                                   "  - measure: {what: puncture_rate, window: 200 ms}\n");
    auto fx = make_sim_fixture(sc.fixture, 1);
    std::atomic<bool> abort{false};
    RunOptions o;
    o.runs_root = dir / "runs";
    o.prompt = [](const std::string&) { return false; };  // no operator (not a terminal)
    Runner r(sc, *fx, o, abort);
    const auto res = r.run();
    CHECK(res.verdict == Verdict::error);
    CHECK_THAT(res.reason, Catch::Contains("prompt could not be acknowledged: Fit cartridge"));
    CHECK_FALSE(fx->power().is_on());
}
