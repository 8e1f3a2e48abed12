// protrusion_depth: needle tip position at BDC relative to the cartridge-face
// reference, mm, over the window; judged on the mean.
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/face_reference.hpp"
#include "rig/scenario/scenario.hpp"

#include <cmath>

#include "instrument_checks.hpp"

namespace rig {
namespace {

constexpr Quantity kQuantities[] = {
    {"protrusion_depth", Dimension::length, "mm", "mean protrusion depth at bottom dead centre over the window"},
};

void preconditions(const MeasureSpec&, const PlanState& st, std::vector<std::string>& errors) {
    if (!st.depth_set) errors.emplace_back("measure protrusion_depth: no set_depth before this step");
    if (!st.powered_ever) errors.emplace_back("measure protrusion_depth: the pen is never powered on before this step");
}

void spec_limits(MeasureSpec& m, const PenSpec& spec, const FixtureConfig&, const PlanState& st) {
    limits_from_spec(m, "protrusion_depth", st.depth_mm - spec.depth_tolerance_mm, st.depth_mm + spec.depth_tolerance_mm,
                     "depth.tolerance");
}

std::vector<Measurement> measure(const MeasureContext& c) {
    Measurement r = c.base("protrusion_depth", "mm");
    const auto wm = analysis::measure_window(c.data.trace, c.window, c.stroke_options(), window_stats_options());
    r.strokes = wm.strokes.size();
    // Depth is the BDC reading relative to the cartridge face found by the
    // reference in force when the window began (face_reference.hpp); the
    // encoder's zero is wherever its counter started.
    const FaceReference* ref = reference_for(c.data.references, c.window.begin_ns);
    const double face = ref != nullptr && ref->valid && ref->value_mm ? *ref->value_mm : 0.0;
    r.stats = {{"mean", wm.depth.mean_mm - face}, {"sd", wm.depth.sd_mm},   {"min", wm.depth.min_mm - face},
               {"max", wm.depth.max_mm - face},   {"strokes", wm.depth.count}, {"dial", c.m.dial_mm}};
    if (ref != nullptr) {
        r.stats["reference"] = {{"id", ref->id}, {"valid", ref->valid}, {"t_s", ref->t_s},
                                {"face_mm", ref->value_mm ? nlohmann::json(*ref->value_mm) : nlohmann::json(nullptr)},
                                {"uncertainty_mm", ref->uncertainty_mm ? nlohmann::json(*ref->uncertainty_mm)
                                                                       : nlohmann::json(nullptr)}};
    }
    // The encoder's own consistency over the window's strokes (instrument_checks.hpp).
    const auto ec = checks::encoder_consistency(c.data.trace, wm.strokes, encoder_count_mm(c.sc.fixture));
    r.stats["checks"] = ec.record;
    std::optional<std::string> invalid = wm.depth.invalid ? wm.depth.invalid : c.timing_problem();
    if (!invalid && ref == nullptr) {
        invalid = "encoder: no cartridge-face reference before this window (add a 'reference:' step with the pen "
                  "off before measuring depth): the counter's zero is not the face";
    } else if (!invalid && !ref->valid) {
        invalid = "encoder: no cartridge-face reference: the reference in force (" + ref->id +
                  ") is not valid: " + ref->reason;
    }
    if (!invalid) invalid = ec.failure;
    judge(r, wm.depth.mean_mm - face, invalid);
    if (c.data.truth != nullptr) {
        const auto truth = c.truth_strokes();
        const auto t = analysis::depth_stats(analysis::strokes_in(truth, c.window), window_stats_options());
        if (t.ok()) r.truth = t.mean_mm;
    }
    return {r};
}

}  // namespace

/// What its value depends on (the calibration gate).
constexpr std::string_view kInstruments[] = {"encoder"};

extern const MeasureKind kProtrusionDepth{
    .name = "protrusion_depth",
    .description = "protrusion depth: needle tip position at bottom dead centre relative to the cartridge-face "
                   "reference, mm; judged on the window mean; limits: the dial setting +/- the spec's depth tolerance",
    .quantities = kQuantities,
    .preconditions = preconditions,
    .spec_limits = spec_limits,
    .measure = measure,
    .plot = "per_stroke_depth",
    .instruments = kInstruments,
    .face_referenced = true,
};

}  // namespace rig
