// Depth referenced to the cartridge face, through the real runner on the sim:
// the reference step's result in the record, depth relative to it and
// accurate against the model's truth with the encoder's zero anywhere, ERROR
// without a reference, and the closing check catching counts lost after it.

#include <cmath>

#include "run_helpers.hpp"

using namespace rig;
using namespace rig::test;

namespace {
const std::string kOpen = "  - reference: touch_off\n";
const std::string kBody =
    "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n"
    "  - wait_until: {condition: rate_stable, timeout: 2 s}\n  - hold: 200 ms\n"
    "  - measure: {what: protrusion_depth, id: depth, window: 500 ms}\n  - power: off\n";
const std::string kClose =
    "  - wait_until: {condition: stopped, timeout: 3 s}\n  - set_depth: 0 mm\n  - reference: touch_off\n";

/// `rig analyze` of the run folder gives the recorded ERROR of `rec` again.
void check_reanalysis_same_error(const std::filesystem::path& dir, const Measurement& rec) {
    bool found = false;
    for (const auto& m : reanalyze(dir)) {
        if (m.id != rec.id) continue;
        found = true;
        CHECK(m.outcome == Outcome::error);
        CHECK(m.message == rec.message);
    }
    CHECK(found);
}
}  // namespace

TEST_CASE("depth from the reference: accurate against the truth with the encoder's zero anywhere",
          "[runner][sim][reference]") {
    for (const char* zero_error : {"", "0.3 mm", "-0.2 mm"}) {
        for (std::uint64_t seed : {1u, 2u}) {
            SimRun run;
            std::string body = "steps:\n";
            if (*zero_error != '\0') body += std::string("  - fault: {encoder_zero_error: ") + zero_error + "}\n";
            const auto sc = load_text(run.dir, body + kOpen + kBody + kClose);
            const auto& res = run.run(sc, nullptr, seed);
            INFO("zero error '" << zero_error << "', seed " << seed << ": " << res.reason);
            const auto& d = find(res, "depth");
            INFO(d.message);
            REQUIRE(d.outcome == Outcome::pass);
            REQUIRE(d.value);
            REQUIRE(d.truth);
            CHECK(std::abs(*d.value - *d.truth) <= 0.002);  // README: depth within 2 um
            CHECK(d.stats["reference"]["id"] == "reference@" + std::to_string(sc.plan[0].kind == StepKind::reference ? 0 : 1));
            // Both references in the record, valid, on the model's truth within U.
            const auto& refs = res.run_record.references;
            REQUIRE(refs.size() == 2);
            for (const auto& r : refs) {
                REQUIRE(r.valid);
                REQUIRE(r.truth_mm);
                CHECK(std::abs(*r.value_mm - *r.truth_mm) <= *r.uncertainty_mm);
                CHECK(r.method == "touch_off");
                CHECK(r.instrument == "encoder");
                CHECK(r.calibration_id == "SIM-ENC-01");
            }
            REQUIRE(refs[0].drift_to_next_mm);
            CHECK(std::abs(*refs[0].drift_to_next_mm) < 0.01);
            // The closing check is in the depth's checks.
            bool closing = false;
            for (const auto& c : d.stats["checks"]) closing = closing || c["check"] == "reference_closing";
            CHECK(closing);
            require_schema_valid(res.record);
        }
    }
}

TEST_CASE("depth without a reference is ERROR naming the encoder, never a value", "[runner][sim][reference]") {
    SimRun run;
    const auto sc = load_text(run.dir, "steps:\n" + kBody);
    const auto& res = run.run(sc);
    const auto& d = find(res, "depth");
    CHECK(d.outcome == Outcome::error);
    CHECK_FALSE(d.value);
    CHECK(d.message.find("encoder") != std::string::npos);
    CHECK(d.message.find("no cartridge-face reference") != std::string::npos);
    CHECK(res.verdict == Verdict::error);
}

TEST_CASE("an encoder zero that moves after the reference: the closing check makes depth ERROR",
          "[runner][sim][reference]") {
    SimRun run;
    // The zero jumps after the depth's window (the counter lost 80 counts at
    // once): nothing in the window shows it (its strokes' tops agree with
    // the reference top); the next reference finds the face 80 um away, so
    // the depth measured on the first one is in doubt.
    const std::string body = "steps:\n" + kOpen +
                             "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n"
                             "  - wait_until: {condition: rate_stable, timeout: 2 s}\n  - hold: 200 ms\n"
                             "  - measure: {what: protrusion_depth, id: depth, window: 500 ms}\n"
                             "  - fault: {encoder_zero_error: 80 um}\n  - hold: 100 ms\n  - power: off\n" +
                             kClose;
    const auto sc = load_text(run.dir, body);
    const auto& res = run.run(sc);
    const auto& d = find(res, "depth");
    INFO(d.message);
    CHECK(d.outcome == Outcome::error);
    CHECK_FALSE(d.value);
    CHECK(d.message.find("encoder") != std::string::npos);
    CHECK(d.message.find("counts lost or gained since the reference") != std::string::npos);
    REQUIRE(res.run_record.references.size() == 2);
    REQUIRE(res.run_record.references[0].drift_to_next_mm);
    CHECK(*res.run_record.references[0].drift_to_next_mm == Approx(0.08).margin(0.003));
    // `rig analyze` gives the same from the samples.
    check_reanalysis_same_error(res.dir, d);
}

namespace {
/// A run whose encoder zero moves +20 um (20 counts) and back; `before` runs
/// after the pen is stable, `walk` holds the moved zero. Returns the depth.
struct WalkRun {
    SimRun run;
    Scenario sc;
    const RunResult* res = nullptr;
    const Measurement* depth = nullptr;
};

void run_walk(WalkRun& w, const std::string& before, const std::string& walk, const std::string& measure) {
    const std::string body = "steps:\n" + kOpen +
                             "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n"
                             "  - wait_until: {condition: rate_stable, timeout: 2 s}\n" +
                             before + "  - fault: {encoder_zero_error: 20 um}\n" + walk +
                             "  - fault: {encoder_zero_error: -20 um}\n" + measure + "  - power: off\n" + kClose;
    w.sc = load_text(w.run.dir, body);
    w.run.run(w.sc);
    w.res = &w.run.result;
    w.depth = &find(*w.res, "depth");
}

/// The depth is ERROR by top_position_reference alone (the 20-count walk, 3
/// counts of 1 um the limit), the drift check saw nothing, the closing
/// reference found the face where it was, and `rig analyze` agrees.
void check_caught_by_reference_top(const WalkRun& w) {
    const auto& d = *w.depth;
    INFO(d.message);
    CHECK(d.outcome == Outcome::error);
    CHECK_FALSE(d.value);
    CHECK(d.message.find("encoder: stroke ") != std::string::npos);
    CHECK(d.message.find("from the reference top") != std::string::npos);
    bool drift_ok = false, walk_failed = false;
    for (const auto& c : d.stats.at("checks")) {
        if (c.at("check") == "top_position_drift") drift_ok = c.at("outcome") == "ok";
        if (c.at("check") == "top_position_reference") {
            walk_failed = c.at("outcome") == "failed";
            CHECK(c.at("instrument") == "encoder");
            CHECK(c.at("value").get<double>() == Approx(0.020).margin(0.002));  // the walk, 20 counts
            CHECK(c.at("limit").get<double>() == Approx(0.003));                // 3 counts of 1 um
        }
    }
    CHECK(drift_ok);  // the gap this check closes
    CHECK(walk_failed);
    const auto& refs = w.res->run_record.references;
    REQUIRE(refs.size() == 2);
    REQUIRE(refs[0].drift_to_next_mm);
    CHECK(std::abs(*refs[0].drift_to_next_mm) < 0.002);  // walked back: the closing check passes
    check_reanalysis_same_error(w.res->dir, d);
}
}  // namespace

TEST_CASE("a counter that walks away and back inside the window: the per-stroke top check makes depth ERROR",
          "[runner][sim][reference][integrity]") {
    // Known answer: the walk lasts 150 ms in the middle of the depth's 500 ms
    // window. The first and last quarter of the window's strokes agree, the
    // net walk at the closing reference is 0, and the window mean reads ~6
    // um deep; only each stroke's top against the reference top shows it.
    WalkRun w;
    run_walk(w, "  - mark: w\n  - hold: 150 ms\n", "  - hold: 150 ms\n",
             "  - hold: 200 ms\n  - measure: {what: protrusion_depth, id: depth, window: {since: w}}\n");
    check_caught_by_reference_top(w);
}

TEST_CASE("a counter walked away long before the window and back before the closing reference: depth is ERROR",
          "[runner][sim][reference][integrity]") {
    // Known answer: the walk starts 1.5 s before the depth's window and lasts
    // through it. Every stroke of the window agrees with its neighbours and
    // the first and last quarter agree, the net walk at the closing reference
    // is 0, and the mean reads 20 um deep: only the reference top taken after
    // the dial's setting shows it.
    WalkRun w;
    run_walk(w, "  - hold: 200 ms\n",
             "  - hold: 1500 ms\n  - measure: {what: protrusion_depth, id: depth, window: 500 ms}\n",
             "  - hold: 100 ms\n");
    check_caught_by_reference_top(w);
}

TEST_CASE("the reference top outlives a long run's bounded recording: a walk 40 s before the window is ERROR",
          "[runner][sim][reference][integrity][long]") {
    // The same with 40 s between the dial's setting and the window: the
    // recording dropped the samples the reference top came from (it keeps a
    // window and 1 s before it) long before the window; the search kept for
    // the run still has it. `rig analyze` reads the run back in bounded
    // memory and gives the same ERROR.
    WalkRun w;
    run_walk(w, "  - hold: 200 ms\n",
             "  - hold: 40 s\n  - measure: {what: protrusion_depth, id: depth, window: 500 ms}\n",
             "  - hold: 100 ms\n");
    check_caught_by_reference_top(w);
    ReanalysisStats stats;
    (void)reanalyze(w.res->dir, &stats);
    // The recording never held the 40 s from the dial's setting to the window.
    CHECK(static_cast<double>(stats.peak_retained_samples) < 40.0 * w.sc.fixture.sample_rate_hz);
}

TEST_CASE("validation: a reference step needs the pen off and a fixture that can do it", "[scenario][reference]") {
    TempDir dir;
    const auto spec = (source_dir() / "scenarios" / "specs" / "novapen-x2.yaml").string();
    const auto fixture = (source_dir() / "fixtures" / "sim.yaml").string();
    auto load = [&](const std::string& steps, Diagnostics& d) {
        std::ofstream(dir / "v.yaml") << "id: V\ntitle: v\nversion: \"1\"\nspec: " << spec << "\nfixture: " << fixture
                                      << "\nsteps:\n" << steps;
        return load_scenario(dir / "v.yaml", d);
    };
    {
        Diagnostics d;
        CHECK_FALSE(load("  - set_level: 3\n  - power: on\n  - reference: touch_off\n  - power: off\n", d));
        std::ostringstream o;
        d.print(o);
        CHECK(o.str().find("the pen must be off") != std::string::npos);
    }
    {
        Diagnostics d;
        CHECK_FALSE(load("  - reference: gauge_block\n", d));
        std::ostringstream o;
        d.print(o);
        CHECK(o.str().find("unknown method 'gauge_block'") != std::string::npos);
    }
    {
        Diagnostics d;
        auto sc = load(kBody, d);
        REQUIRE(sc);  // a warning, not an error: the run gives ERROR for the depth
        REQUIRE(d.items().size() == 1);
        CHECK(d.items()[0].message.find("no 'reference:' step before it") != std::string::npos);
    }
}
