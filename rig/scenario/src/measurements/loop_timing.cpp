// loop_timing: the rig's own acquisition timing health over the window (p99
// lateness, us); outside the fixture's budget the rig could not measure
// validly, which is ERROR, never a FAIL of the pen.
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

#include "kind_parts.hpp"

namespace rig {
namespace {

struct LoopTiming {
    static constexpr Quantity quantities[] = {
        {"loop_timing", Dimension::time, "us", "p99 wake-up lateness of the acquisition loop over the window"},
    };

    static void spec_limits(MeasureSpec& m, const PenSpec&, const FixtureConfig& fx, const PlanState&) {
        m.limits["loop_timing"] = Limits{std::nullopt, static_cast<double>(fx.timing.lateness.count()) / 1e3,
                                         "fixture:timing.lateness_budget"};
    }

    static constexpr std::string_view description =
        "rig timing health: the acquisition loop's p99 wake-up lateness over the window, judged against the "
        "fixture's lateness budget, late fraction and missed samples (ERROR when broken)";

    static std::vector<Measurement> measure(const MeasureContext& c) {
        Measurement r = c.base("loop_timing");
        const auto range = analysis::index_range(c.data.trace, c.window);
        const auto h = analysis::timing_health(c.data.trace, range.begin, range.end, c.timing_budget());
        r.stats = {{"p50_us", static_cast<double>(h.p50_lateness_ns) / 1e3},
                   {"p99_us", static_cast<double>(h.p99_lateness_ns) / 1e3},
                   {"max_us", static_cast<double>(h.max_lateness_ns) / 1e3},
                   {"late_samples", h.late_count},
                   {"missed_samples", h.missed_samples},
                   {"verdict", h.verdict}};
        // The rig's own health: outside the budget the rig could not measure
        // validly, which is an ERROR (with no value: never a guess, never 0.0).
        if (h.invalid) {
            judge(r, std::nullopt, h.invalid);
        } else if (h.budget_broken) {
            judge(r, std::nullopt, "rig timing budget broken: " + h.verdict);
        } else {
            r.value = static_cast<double>(h.p99_lateness_ns) / 1e3;
            r.outcome = Outcome::pass;
        }
        return {r};
    }

    /// The lateness is the stamp of each wake minus its schedule, both read from
    /// the same clock: one tick of it either way (the ARM generic timer of a Pi
    /// 4/5 at 54 MHz: 18.5 ns).
    static Budget budget(const BudgetInput&) {
        constexpr double kTick_us = 1.0 / 54.0;
        Budget b;
        b.triangular("clock read resolution (stamp - schedule)", kTick_us, "us", 1.0, "one tick of a 54 MHz timer");
        return b;
    }

    static constexpr std::span<const std::string_view> instruments{};  // the rig's own clock only
};

}  // namespace

extern const MeasureKind kLoopTiming = kind_parts::describe<LoopTiming>();

}  // namespace rig
