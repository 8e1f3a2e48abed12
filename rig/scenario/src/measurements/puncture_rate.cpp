// puncture_rate: 1 / (time between successive BDCs), Hz, over the window;
// judged on the mean (SD, min, max recorded beside it).
#include <algorithm>

#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

#include "kind_parts.hpp"
#include "stroke_statistic.hpp"

namespace rig {
namespace {

struct PunctureRate {
    static constexpr Quantity quantities[] = {
        {"puncture_rate", Dimension::frequency, "Hz", "mean puncture rate over the window (1 / BDC-to-BDC time)"},
    };

    static constexpr kind_parts::Needs needs{.rate = true, .powered = true};

    static void spec_limits(MeasureSpec& m, const PenSpec& spec, const FixtureConfig&, const PlanState& st) {
        if (st.rate_hz > 0.0) {
            limits_from_spec(m, "puncture_rate", st.rate_hz * (1.0 - spec.rate_tolerance),
                             st.rate_hz * (1.0 + spec.rate_tolerance), "rate.tolerance");
        }
    }

    static constexpr std::string_view description =
        "puncture rate: 1 / (time between successive bottom dead centres), Hz; mean, SD, min and max over the "
        "window, judged on the mean; limits: the setpoint +/- the spec's rate tolerance";

    static std::vector<Measurement> measure(const MeasureContext& c) {
        const auto wm = c.window_strokes();
        const auto& rate = wm.rate;
        return {judge_stroke_statistic(
            c, wm,
            {.quantity = "puncture_rate",
             .value = rate.mean_hz,
             .invalid = rate.invalid,
             // The encoder's own consistency over the window's strokes.
             .check = checks::encoder_consistency(c.data.trace, wm.strokes, c.encoder_count_mm()),
             .stats = {{"mean", rate.mean_hz}, {"sd", rate.sd_hz}, {"min", rate.min_hz}, {"max", rate.max_hz},
                       {"intervals", rate.count}, {"setpoint", c.m.setpoint_hz}},
             .of_truth = kind_parts::truth_of(&analysis::puncture_rate, &analysis::RateStats::mean_hz)})};
    }

    /// The mean of n per-interval rates: a BDC instant's error enters two
    /// neighbouring intervals with opposite signs, so over the window the
    /// instants' errors telescope to the first and last (r^2 (e_n - e_0) / n).
    /// The rates' SD over the window bounds the instants' part of their scatter
    /// (r^2 sqrt(2) sd(e) <= SD), hence SD / n: the type A input. The clock's
    /// frequency error scales every rate.
    static Budget budget(const BudgetInput& in) {
        const double sd = in.r.stats.value("sd", 0.0);
        const double n = std::max(1.0, in.r.stats.value("intervals", 1.0));
        Budget b;
        b.type_a("BDC instants (telescoped over the window)", sd, n, "Hz", 1.0,
                 "the per-interval rates' SD over the number of intervals");
        add_time_base(b, in.c.sc.fixture, *in.r.value);
        return b;
    }

    static constexpr std::string_view plot = "rate_band";
    static constexpr std::span<const std::string_view> instruments = kind_parts::kEncoder;
};

}  // namespace

extern const MeasureKind kPunctureRate = kind_parts::describe<PunctureRate>();

}  // namespace rig
