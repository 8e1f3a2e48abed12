// strike_force: peak load-cell force per stroke (tare removed), N, over the
// window; judged on the mean.
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

#include <algorithm>
#include <cmath>

#include "rig/scenario/run_checks.hpp"

#include "kind_parts.hpp"
#include "stroke_statistic.hpp"

namespace rig {
namespace {

struct StrikeForce {
    static constexpr Quantity quantities[] = {
        {"strike_force", Dimension::force, "N", "mean peak strike force per stroke over the window"},
    };

    static constexpr kind_parts::Needs needs{.depth_set = true, .powered = true};

    static void spec_limits(MeasureSpec& m, const PenSpec& spec, const FixtureConfig&, const PlanState&) {
        limits_from_spec(m, "strike_force", spec.force_min_n, spec.force_max_n, "strike_force");
    }

    static constexpr std::string_view description =
        "strike force: peak load-cell force per stroke, tare removed, N; judged on the window mean; limits: "
        "the spec's strike_force min..max";

    static std::vector<Measurement> measure(const MeasureContext& c) {
        const auto wm = c.window_strokes();
        const auto& f = wm.force;
        // Baseline-corrected force (instrument_checks.hpp): each stroke's peak
        // minus its own no-contact baseline, so a load-cell zero away from its
        // calibration is removed; a baseline that drifts over the window is ERROR.
        const auto baselines = checks::force_baselines(c.data.trace, wm.strokes);
        const auto lim = c.m.limits.find("strike_force");
        double drift_limit = checks::kBaselineDriftN;
        if (lim != c.m.limits.end() && lim->second.low && lim->second.high) {
            drift_limit = checks::kBaselineDriftFraction * (*lim->second.high - *lim->second.low);
        }
        double sum = 0.0;
        std::size_t n = 0;
        for (std::size_t i = 0; i < wm.strokes.size(); ++i) {
            if (std::isfinite(baselines[i])) sum += wm.strokes[i].peak_force_n - baselines[i], ++n;
        }
        const double corrected = n > 0 ? sum / static_cast<double>(n) : std::nan("");
        double bsum = 0.0;
        for (double b : baselines) bsum += std::isfinite(b) ? b : 0.0;
        return {judge_stroke_statistic(
            c, wm,
            {.quantity = "strike_force",
             .value = corrected,
             .invalid = f.invalid,
             .check = checks::load_cell_baseline(baselines, drift_limit),
             .stats = {{"mean", corrected}, {"raw_mean", f.mean_n}, {"sd", f.sd_n}, {"min", f.min_n}, {"max", f.max_n},
                       {"strokes", f.count}, {"baseline_n", n > 0 ? bsum / static_cast<double>(n) : 0.0}},
             .of_truth = kind_parts::truth_of(&analysis::strike_force_stats, &analysis::ForceStats::mean_n)})};
    }

    /// Force = mean (peak - the stroke's no-contact baseline). The largest of
    /// noisy samples is biased up, by +0.4 sigma at the sim's noise and +0.8
    /// sigma at 4x it (README "Accuracy", test_force_peak_bias): a bound of one
    /// sigma either side, sigma the load cell's noise at the run-start tare. The
    /// baselines' spread over the window bounds what the per-stroke baseline
    /// leaves of a drifting zero. ADC resolution: half a count for the peak and
    /// for the baseline.
    static Budget budget(const BudgetInput& in) {
        const auto& c = in.c;
        const double v = *in.r.value;
        const auto* cal = c.sc.fixture.calibration_for("load_cell");
        const double lsb = cal != nullptr ? std::abs(cal->scale) : 0.0;
        const double noise = in.run_start != nullptr && in.run_start->taken ? in.run_start->tare_sd_n : 0.0;
        const double sd = in.r.stats.value("sd", 0.0);
        const double n = std::max(1.0, in.r.stats.value("strokes", 1.0));
        double baseline_spread = 0.0;
        for (const auto& k : in.r.stats.value("checks", nlohmann::json::array())) {
            if (k.value("check", "") == "baseline_drift") baseline_spread = k.value("value", 0.0);
        }
        Budget b;
        b.rectangular("ADC resolution (peak and baseline)", lsb, "N", 1.0, "one count of the calibration record");
        b.rectangular("peak of noisy samples (bias)", noise, "N", 1.0, "load-cell noise SD at the run-start tare");
        b.rectangular("tare (baseline drift over the window)", baseline_spread / 2.0, "N", 1.0,
                      "half the no-contact baselines' range");
        add_scale_calibration(b, c.sc.fixture, "load_cell", v);
        b.type_a("statistical (window spread)", sd, std::sqrt(n), "N", 1.0, "SD of the per-stroke peaks / sqrt(n)");
        return b;
    }

    static constexpr std::span<const std::string_view> instruments = kind_parts::kEncoderLoadCell;
    static constexpr std::string_view plot = "per_stroke_force";
};

}  // namespace

extern const MeasureKind kStrikeForce = kind_parts::describe<StrikeForce>();

}  // namespace rig
