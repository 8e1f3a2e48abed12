// protrusion_depth: needle tip position at BDC relative to the cartridge-face
// reference, mm, over the window; judged on the mean.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/face_reference.hpp"
#include "rig/scenario/scenario.hpp"

#include "kind_parts.hpp"
#include "stroke_statistic.hpp"

namespace rig {
namespace {

/// The reference top for the window's dial setting (instrument_checks.hpp,
/// top_position_reference; reference_top.hpp): the search anchored at the
/// last reference or set_depth step that ended before the window (the run's
/// start without one), as the recording ran it; without the recording's
/// searches, the same search over the trace.
std::optional<double> reference_top(const MeasureContext& c) {
    std::size_t anchor = ReferenceTopSearch::kRunStart;
    for (std::size_t i = 0; i < c.index && i < c.sc.plan.size() && i < c.data.spans.size(); ++i) {
        const auto& span = c.data.spans[i];
        if (anchors_reference_top(c.sc.plan[i]) && span.end_ns >= 0 && span.end_ns <= c.window.begin_ns) {
            anchor = i;
        }
    }
    const auto opt = c.stroke_options();
    for (const auto& s : c.data.reference_tops) {
        if (s.anchor_step() == anchor) return s.top_for(c.data.trace, opt, c.window.end_ns);
    }
    const std::int64_t from = anchor != ReferenceTopSearch::kRunStart ? c.data.spans[anchor].end_ns
                              : c.data.trace.t_ns.empty()             ? 0
                                                                      : c.data.trace.t_ns.front();
    return ReferenceTopSearch(anchor, from).top_for(c.data.trace, opt, c.window.end_ns);
}

struct ProtrusionDepth {
    static constexpr Quantity quantities[] = {
        {"protrusion_depth", Dimension::length, "mm", "mean protrusion depth at bottom dead centre over the window"},
    };

    static constexpr kind_parts::Needs needs{.depth_set = true, .powered = true};

    static void spec_limits(MeasureSpec& m, const PenSpec& spec, const FixtureConfig&, const PlanState& st) {
        limits_from_spec(m, "protrusion_depth", st.depth_mm - spec.depth_tolerance_mm,
                         st.depth_mm + spec.depth_tolerance_mm, "depth.tolerance");
    }

    static constexpr std::string_view description =
        "protrusion depth: needle tip position at bottom dead centre relative to the cartridge-face "
        "reference, mm; judged on the window mean; limits: the dial setting +/- the spec's depth tolerance";

    static std::vector<Measurement> measure(const MeasureContext& c) {
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
        {
            // The needle's travel over the window (the budget's interpolation term).
            const auto range = analysis::index_range(c.data.trace, c.window);
            const auto pos = c.data.trace.position_mm.subspan(range.begin, range.size());
            const auto [lo, hi] = std::minmax_element(pos.begin(), pos.end());
            stats["stroke_mm"] = pos.empty() ? 0.0 : *hi - *lo;
        }
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
             .check = checks::depth_encoder_checks(c.data.trace, wm.strokes, c.encoder_count_mm(), ref,
                                                    reference_top(c)),
             .stats = std::move(stats),
             .of_truth = kind_parts::truth_of(&analysis::depth_stats, &analysis::DepthStats::mean_mm)})};
    }

    /// Depth = mean BDC reading - the face's reading. The BDC reading's
    /// quantisation averages over the strokes (the stroke rate is not locked to
    /// the sample clock, so each stroke's vertex is interpolated from samples at
    /// a different phase); the parabola through the
    /// three samples at the top misses a cosine's vertex by at most
    /// A (w T)^4 / 43 (A the half stroke, w the stroke's angular rate, T the
    /// sample period; computed over all phases): A (w T)^4 / 32 is stated. The
    /// face comes with its own U (face_reference.hpp). The scale error acts on
    /// the distance from the face. The window's spread over sqrt(n) bounds the
    /// random part of the readings that does average (noise, interpolation).
    static Budget budget(const BudgetInput& in) {
        const auto& c = in.c;
        const double v = *in.r.value;
        const double count = c.encoder_count_mm();
        const double sd = in.r.stats.value("sd", 0.0);
        const double n = std::max(1.0, in.r.stats.value("strokes", 1.0));
        const double span_s = std::max(1e-9, in.r.window_end_s - in.r.window_start_s);
        const double w = 2.0 * 3.141592653589793 * static_cast<double>(in.r.strokes) / span_s;
        const double wt = w / c.sc.fixture.sample_rate_hz;
        const double half_stroke = in.r.stats.value("stroke_mm", 0.0) / 2.0;
        Budget b;
        b.rectangular("encoder resolution (BDC reading)", count / 2.0, "mm", 1.0 / std::sqrt(n),
                      "half a count (calibration record), over sqrt(n) strokes: the BDC falls at a different phase of "
                      "the samples each stroke, so the rounding of the interpolated vertex varies stroke to stroke");
        b.rectangular("BDC interpolation (parabola at the top)", half_stroke * wt * wt * wt * wt / 32.0, "mm", 1.0,
                      "A (w T)^4 / 32 at the window's stroke and rate");
        add_scale_calibration(b, c.sc.fixture, "encoder", v);
        const FaceReference* ref = reference_for(c.data.references, c.window.begin_ns);
        b.certificate("cartridge-face reference", ref != nullptr ? ref->uncertainty_mm.value_or(0.0) : 0.0, 2.0, "mm",
                      1.0, ref != nullptr ? "U (k = 2) of " + ref->id : std::string("no reference"));
        b.type_a("statistical (window spread)", sd, std::sqrt(n), "mm", 1.0, "SD of the per-stroke depths / sqrt(n)");
        return b;
    }

    static constexpr std::string_view plot = "per_stroke_depth";
    static constexpr bool face_referenced = true;
    static constexpr std::span<const std::string_view> instruments = kind_parts::kEncoder;
};

}  // namespace

extern const MeasureKind kProtrusionDepth = kind_parts::describe<ProtrusionDepth>();

}  // namespace rig
