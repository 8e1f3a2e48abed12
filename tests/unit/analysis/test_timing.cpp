// Rig timing health and window quality with known lateness and gaps.
#include "catch.hpp"
#include "rig/analysis/timing.hpp"

using namespace rig;
using namespace rig::analysis;

namespace {

// n samples at exactly 100 us; lateness of sample i = (i % 10) x 10 us.
Trace regular(std::size_t n) {
    Trace t;
    for (std::size_t i = 0; i < n; ++i) {
        Sample s;
        s.t_ns = static_cast<std::int64_t>(i) * 100'000;
        s.lateness_ns = static_cast<std::int64_t>(i % 10) * 10'000;
        t.push_back(s);
    }
    return t;
}

TimingBudgetParams budget(std::int64_t lateness_us, double frac, std::uint64_t missed) {
    TimingBudgetParams b;
    b.nominal_period = std::chrono::microseconds(100);
    b.lateness_budget = std::chrono::microseconds(lateness_us);
    b.max_late_fraction = frac;
    b.max_missed_samples = missed;
    return b;
}

}  // namespace

TEST_CASE("timing health: percentiles, late count, histogram and verdict", "[analysis][timing]") {
    const Trace t = regular(1000);
    const TimingHealth h = timing_health(t.view(), 0, t.size(), budget(50, 0.001, 0));
    REQUIRE(h.ok());
    CHECK(h.samples == 1000);
    CHECK(h.mean_period_s == Approx(100e-6).epsilon(1e-12));
    // 100 each of 0, 10, ..., 90 us: nearest rank 500 -> 40 us, rank 990 -> 90 us.
    CHECK(h.p50_lateness_ns == 40'000);
    CHECK(h.p99_lateness_ns == 90'000);
    CHECK(h.max_lateness_ns == 90'000);
    CHECK(h.late_count == 400);  // 60, 70, 80, 90 us > 50 us
    CHECK(h.late_fraction == Approx(0.4));
    CHECK(h.missed_samples == 0);
    // Bins [0,10) [10,20) [20,50) [50,100) ...
    CHECK(h.lateness_histogram[0] == 100);
    CHECK(h.lateness_histogram[1] == 100);
    CHECK(h.lateness_histogram[2] == 300);
    CHECK(h.lateness_histogram[3] == 500);
    CHECK(h.lateness_histogram[4] == 0);
    CHECK(h.budget_broken);
    CHECK_THAT(h.verdict, Catch::Contains("late samples 400/1000"));

    const TimingHealth ok = timing_health(t.view(), 0, t.size(), budget(200, 0.001, 0));
    CHECK_FALSE(ok.budget_broken);
    CHECK(ok.late_count == 0);
    CHECK(ok.verdict == "within budget");
}

TEST_CASE("timing health: missed samples from timestamp gaps and gap flags", "[analysis][timing]") {
    Trace t = regular(1000);
    // Remove samples 500..502: one interval of 400 us = 3 missed samples.
    for (auto* c : {&t.t_ns, &t.lateness_ns}) c->erase(c->begin() + 500, c->begin() + 503);
    for (auto* c : {&t.position_mm, &t.force_n, &t.current_a, &t.setpoint_hz})
        c->erase(c->begin() + 500, c->begin() + 503);
    for (auto* c : {&t.flags, &t.step_index}) c->erase(c->begin() + 500, c->begin() + 503);
    // A flagged gap whose interval looks normal (the loop knows it skipped).
    t.flags[800] |= sample_after_gap;
    const TimingHealth h = timing_health(t.view(), 0, t.size(), budget(200, 0.001, 3));
    REQUIRE(h.ok());
    CHECK(h.samples == 997);
    CHECK(h.missed_samples == 4);
    CHECK(h.gaps == 2);
    CHECK(h.budget_broken);
    CHECK_THAT(h.verdict, Catch::Contains("4 missed sample(s)"));
    CHECK_FALSE(timing_health(t.view(), 0, t.size(), budget(200, 0.001, 4)).budget_broken);

    const WindowQuality q = check_window(t.view(), 0, t.size());
    CHECK(q.gaps == 2);
    CHECK(q.max_interval_ns == 400'000);
    CHECK(q.gap_limit_ns == 150'000);
    CHECK_FALSE(q.ok());
    CHECK(check_window(t.view(), 0, 400).ok());
}

TEST_CASE("timing health needs data", "[analysis][timing]") {
    const Trace t = regular(1);
    CHECK_FALSE(timing_health(t.view(), 0, 1, budget(200, 0.001, 0)).ok());
    const Trace keep = regular(10);
    TraceView no_lateness = keep.view();
    no_lateness.lateness_ns = {};
    CHECK_THAT(*timing_health(no_lateness, 0, 10, budget(200, 0.001, 0)).invalid, Catch::Contains("lateness"));
}

TEST_CASE("window quality: faulty samples and too few samples", "[analysis][quality]") {
    Trace t = regular(100);
    t.flags[50] = sample_encoder_fault;
    const WindowQuality q = check_window(t.view(), 0, 100);
    CHECK(q.faulty_samples == 1);
    CHECK_THAT(*q.invalid, Catch::Contains("faulty"));
    QualityOptions lenient;
    lenient.fault_flags = 0;
    CHECK(check_window(t.view(), 0, 100, lenient).ok());
    CHECK_THAT(*check_window(t.view(), 10, 11).invalid, Catch::Contains("too few samples"));

    std::vector<Event> ev(3);
    ev[0].t_ns = 10;
    ev[0].kind = EventKind::power_on;
    ev[1].t_ns = 20;
    ev[1].kind = EventKind::brake_engaged;
    ev[2].t_ns = 30;
    ev[2].kind = EventKind::power_on;
    CHECK(find_event(ev, EventKind::power_on) == &ev[0]);
    CHECK(find_event(ev, EventKind::power_on, 11) == &ev[2]);
    CHECK(find_event(ev, EventKind::estop) == nullptr);
}
