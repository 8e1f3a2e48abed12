// The encoder's zero and the touch-off on the simulated fixture: the counter
// is not face-referenced (it starts where the needle rests), and a touch-off
// found by the rig's analysis lands on the model's true face within its
// stated uncertainty. Truth from the model's state (GroundTruth::faces: the
// encoder's reading with the tip at the face), never from the rig's analysis.

#include <cmath>
#include <vector>

#include "catch.hpp"
#include "rig/analysis/touch_off.hpp"
#include "rig/core/samples.hpp"
#include "rig/drivers/touch_off.hpp"
#include "sim_test_support.hpp"

using namespace rig;
using namespace rig::test;

namespace {

struct TouchOffRun {
    std::vector<std::int64_t> t;
    std::vector<double> x, f, c, sp;
    std::vector<std::uint32_t> flags, step;
    std::vector<std::int64_t> late;
    std::int64_t begin = 0, end = 0;
    bool contact = false;

    analysis::TraceView view() const { return {t, x, f, c, sp, flags, late, step, {}, {}}; }
};

/// Runs a touch-off the way the loop does: sample every period, the drive's
/// busy() every actuation tick with the latest force.
TouchOffRun touch_off(SimLoop& loop) {
    TouchOffRun r;
    auto& drive = loop.fx.reference();
    const std::int64_t period = loop.period_ns;
    const auto every = static_cast<std::int64_t>(std::llround(loop.fx.config().sample_rate_hz / 1000.0));
    r.begin = loop.now_ns();
    REQUIRE(drive.start_touch_off(r.begin));
    bool busy = true;
    std::int64_t tick = 0;
    std::optional<double> force;
    while (busy) {
        loop.deadline_ns += period;
        const auto now = loop.fx.clock().sleep_until(Nanos(loop.deadline_ns)).count();
        const auto x = loop.fx.encoder().read_mm();
        force = loop.fx.load_cell().read_n();
        r.t.push_back(now);
        r.x.push_back(x.value_or(0.0));
        r.f.push_back(force.value_or(0.0));
        r.c.push_back(0.0);
        r.sp.push_back(0.0);
        r.flags.push_back(0);
        r.step.push_back(0);
        r.late.push_back(0);
        if (tick++ % every == 0) busy = drive.busy(now, force);
        REQUIRE(now - r.begin < 20'000'000'000);
    }
    r.end = loop.now_ns() + 1;
    r.contact = drive.contact_found();
    return r;
}

analysis::TouchOffParams params(const FixtureConfig& cfg) {
    analysis::TouchOffParams p;
    p.dwell = cfg.reference.touch_off.dwell;
    p.stop_force_n = cfg.reference.touch_off.stop_force_n;
    p.count_mm = 1e-3;
    return p;
}

}  // namespace

TEST_CASE("the sim's encoder reads zero where the needle rests at start, not at the face", "[sim][reference]") {
    auto cfg = default_sim_config();
    SimLoop loop(cfg);
    loop.run_for(0.01);
    // At start the needle rests at TDC with the dial at 0: 3 mm behind the face.
    CHECK(loop.fx.snapshot().protrusion_m == Approx(-3e-3).margin(1e-9));
    CHECK(loop.last.position_mm == Approx(0.0).margin(1e-9));

    cfg.sim.encoder_zero_at_face = true;  // `zero: face`: an absolute scale at the face
    SimLoop abs_loop(cfg);
    abs_loop.run_for(0.01);
    CHECK(abs_loop.last.position_mm == Approx(-3.0).margin(1e-3));
}

TEST_CASE("touch-off: the fitted face is the model's true face within its stated uncertainty",
          "[sim][reference][known-answer]") {
    const auto cfg = default_sim_config();
    for (double zero_error_mm : {0.0, 0.3, -0.45}) {
        for (std::uint64_t seed : {1u, 2u, 3u}) {
            SimLoop loop(cfg, seed);
            if (zero_error_mm != 0.0) {
                REQUIRE(loop.fx.inject_fault(FaultInjection{FaultKind::encoder_zero_error, zero_error_mm * 1e-3}));
            }
            loop.run_for(0.05);
            const auto run = touch_off(loop);
            CHECK(run.contact);
            const auto& faces = loop.truth().faces;
            REQUIRE(!faces.empty());
            const double truth = faces.back().encoder_mm;
            // The true face: 3 mm beyond the rest reading, plus the zero error.
            CHECK(truth == Approx(3.0 + zero_error_mm).margin(1.5e-3));
            const auto a = analysis::analyse_touch_off(run.view(), {run.begin, run.end}, params(cfg));
            INFO("zero error " << zero_error_mm << " mm, seed " << seed << ": "
                               << (a.invalid ? *a.invalid : std::string("valid")));
            REQUIRE(a.face_mm);
            INFO("face " << *a.face_mm << " truth " << truth << " U " << a.uncertainty_mm);
            CHECK(std::abs(*a.face_mm - truth) <= a.uncertainty_mm);
            CHECK(a.uncertainty_mm < 2e-3);                          // within the depth accuracy budget
            CHECK(a.stiffness_n_per_mm == Approx(1.5).epsilon(0.05));  // the phantom's 1500 N/m
            REQUIRE(a.rest_return_mm);
            CHECK(std::abs(*a.rest_return_mm) <= 2e-3);
        }
    }
}

TEST_CASE("touch-off under count loss: the face is the counter's reading at the face, or the return check fails",
          "[sim][reference]") {
    const auto cfg = default_sim_config();
    int invalid = 0;
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        SimLoop loop(cfg, seed);
        REQUIRE(loop.fx.inject_fault(FaultInjection{FaultKind::encoder_count_loss, 0.02}));
        loop.run_for(0.05);
        const auto run = touch_off(loop);
        const auto a = analysis::analyse_touch_off(run.view(), {run.begin, run.end}, params(cfg));
        REQUIRE(!loop.truth().faces.empty());
        const double truth = loop.truth().faces.back().encoder_mm;
        // The counter lost ~60 of its ~3000 counts to the face: the face it
        // reads is ~60 um short of the 3 mm it really is.
        CHECK(truth < 3.0 - 0.02);
        if (!a.face_mm) {
            ++invalid;
            REQUIRE(a.invalid);
            CHECK(a.invalid->find("encoder") != std::string::npos);
            continue;
        }
        // Valid: the counter's own reading at the face (counts lost in the
        // probe's ~0.15 mm are within a few counts).
        CHECK(std::abs(*a.face_mm - truth) <= a.uncertainty_mm + 5e-3);
        CHECK(std::abs(*a.rest_return_mm) <= analysis::kReturnLimitCounts * 1e-3);
    }
    // The rest reading random-walks by ~sqrt(2 x 60) = 11 counts: some runs fail the return check.
    CHECK(invalid >= 1);
}

TEST_CASE("touch-off: the drive refuses while the pen is powered, and the sequence is bounded", "[sim][reference]") {
    const auto cfg = default_sim_config();
    SimLoop loop(cfg);
    loop.fx.power().set(true);
    loop.run_for(0.05);
    CHECK_FALSE(loop.fx.reference().start_touch_off(loop.now_ns()));
    loop.fx.power().set(false);
    // A fixture whose file lists no reference method refuses too.
    auto none = cfg;
    none.reference.methods.clear();
    SimLoop loop2(none);
    loop2.run_for(0.01);
    CHECK_FALSE(loop2.fx.reference().start_touch_off(loop2.now_ns()));
}

TEST_CASE("touch-off sequencer: phases, turning on force above the rest baseline", "[reference][sequencer]") {
    TouchOffParams p;
    p.dwell = std::chrono::milliseconds(10);
    TouchOffSequencer seq(p);
    // A face 1 mm from rest with a 1.5 N/mm contact, and a load-cell zero of 0.4 N.
    double x = 0.0;
    auto force = [&] { return 0.4 + std::max(0.0, (x - 1e-3) * 1500.0); };
    seq.start(0, x);
    std::int64_t t = 0;
    double deepest = 0.0;
    while (seq.running() && t < 20'000'000'000) {
        const double v = seq.update(t, x, force());
        x += v * 1e-3;
        deepest = std::max(deepest, x);
        t += 1'000'000;
    }
    CHECK_FALSE(seq.running());
    CHECK(seq.contact_found());
    CHECK(deepest - 1e-3 == Approx(p.stop_force_n / 1500.0).margin(0.02e-3));  // stopped at the stop force
    CHECK(x <= 0.0);  // back at rest
    CHECK(std::chrono::nanoseconds(t) <= p.time_bound());
}
