// protrusion_depth: needle tip position at BDC relative to the cartridge-face
// reference, mm, over the window; judged on the mean.
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/face_reference.hpp"
#include "rig/scenario/scenario.hpp"

#include "stroke_statistic.hpp"

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
    const auto wm = c.window_strokes();
    const auto& d = wm.depth;
    // Depth is the BDC reading relative to the cartridge face found by the
    // reference in force when the window began (face_reference.hpp): the
    // encoder's zero is wherever its counter started.
    const FaceReference* ref = reference_for(c.data.references, c.window.begin_ns);
    const bool referenced = ref != nullptr && ref->valid && ref->value_mm;
    const double face = referenced ? *ref->value_mm : 0.0;
    std::optional<std::string> invalid = d.invalid;
    if (!invalid && ref == nullptr) {
        invalid = "encoder: no cartridge-face reference before this window (add a 'reference:' step with the pen "
                  "off before measuring depth): the counter's zero is not the face";
    } else if (!invalid && !referenced) {
        invalid = "encoder: no cartridge-face reference: the reference in force (" + ref->id +
                  ") is not valid: " + ref->reason;
    }
    nlohmann::json stats = {{"mean", d.mean_mm - face}, {"sd", d.sd_mm},        {"min", d.min_mm - face},
                            {"max", d.max_mm - face},   {"strokes", d.count}, {"dial", c.m.dial_mm}};
    if (ref != nullptr) {
        stats["reference"] = {{"id", ref->id}, {"valid", ref->valid}, {"t_s", ref->t_s},
                              {"face_mm", ref->value_mm ? nlohmann::json(*ref->value_mm) : nlohmann::json(nullptr)},
                              {"uncertainty_mm", ref->uncertainty_mm ? nlohmann::json(*ref->uncertainty_mm)
                                                                     : nlohmann::json(nullptr)}};
    }
    return {judge_stroke_statistic(
        c, wm,
        {.quantity = "protrusion_depth",
         .value = d.mean_mm - face,
         .invalid = invalid,
         // The encoder's own consistency over the window's strokes.
         .check = checks::depth_encoder_checks(c.data.trace, wm.strokes, c.encoder_count_mm(), ref),
         .stats = std::move(stats),
         .of_truth = [](std::span<const analysis::Stroke> truth) {
             const auto t = analysis::depth_stats(truth, window_stats_options());
             return t.ok() ? std::optional<double>(t.mean_mm) : std::nullopt;
         }})};
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
