// puncture_rate: 1 / (time between successive BDCs), Hz, over the window;
// judged on the mean (SD, min, max recorded beside it).
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

#include <cmath>

#include "instrument_checks.hpp"

namespace rig {
namespace {

constexpr Quantity kQuantities[] = {
    {"puncture_rate", Dimension::frequency, "Hz", "mean puncture rate over the window (1 / BDC-to-BDC time)"},
};

void preconditions(const MeasureSpec&, const PlanState& st, std::vector<std::string>& errors) {
    if (st.rate_hz <= 0.0) errors.emplace_back("measure puncture_rate: no rate setpoint before this step");
    if (!st.powered_ever) errors.emplace_back("measure puncture_rate: the pen is never powered on before this step");
}

void spec_limits(MeasureSpec& m, const PenSpec& spec, const FixtureConfig&, const PlanState& st) {
    if (st.rate_hz > 0.0) {
        limits_from_spec(m, "puncture_rate", st.rate_hz * (1.0 - spec.rate_tolerance),
                         st.rate_hz * (1.0 + spec.rate_tolerance), "rate.tolerance");
    }
}

std::vector<Measurement> measure(const MeasureContext& c) {
    Measurement r = c.base("puncture_rate", "Hz");
    const auto wm = analysis::measure_window(c.data.trace, c.window, c.stroke_options(), window_stats_options());
    r.strokes = wm.strokes.size();
    r.stats = {{"mean", wm.rate.mean_hz}, {"sd", wm.rate.sd_hz},          {"min", wm.rate.min_hz},
               {"max", wm.rate.max_hz},   {"intervals", wm.rate.count}, {"setpoint", c.m.setpoint_hz}};
    // The encoder's own consistency over the window's strokes (instrument_checks.hpp).
    const auto* enc = c.sc.fixture.calibration_for("encoder");
    const auto ec = checks::encoder_consistency(c.data.trace, wm.strokes,
                                                std::abs(enc != nullptr ? enc->scale : 1e-6) * 1e3);
    r.stats["checks"] = ec.record;
    std::optional<std::string> invalid = wm.rate.invalid ? wm.rate.invalid : c.timing_problem();
    if (!invalid) invalid = ec.failure;
    judge(r, wm.rate.mean_hz, invalid);
    if (c.data.truth != nullptr) {
        const auto truth = c.truth_strokes();
        const auto t = analysis::puncture_rate(analysis::strokes_in(truth, c.window), window_stats_options());
        if (t.ok()) r.truth = t.mean_hz;
    }
    return {r};
}

}  // namespace

/// What its value depends on (the calibration gate).
constexpr std::string_view kInstruments[] = {"encoder"};

extern const MeasureKind kPunctureRate{
    .name = "puncture_rate",
    .description = "puncture rate: 1 / (time between successive bottom dead centres), Hz; mean, SD, min and max "
                   "over the window, judged on the mean; limits: the setpoint +/- the spec's rate tolerance",
    .quantities = kQuantities,
    .preconditions = preconditions,
    .spec_limits = spec_limits,
    .measure = measure,
    .plot = "rate_band",
    .instruments = kInstruments,
};

}  // namespace rig
