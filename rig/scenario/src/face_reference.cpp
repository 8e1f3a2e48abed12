// The cartridge-face reference of a run (face_reference.hpp).
#include "rig/scenario/face_reference.hpp"

#include <cmath>
#include <sstream>

#include "rig/analysis/touch_off.hpp"
#include "rig/core/units.hpp"

namespace rig {
namespace {
using analysis::format_um;
std::string reference_id(std::size_t step) { return "reference@" + std::to_string(step); }

/// An index reference (drivers/hw/README.md "Cartridge-face reference"): the
/// loop's index_latched event of this step holds the encoder's reading at the
/// mark; face = that reading - the mark's calibrated protrusion; U = the
/// mark's calibration U and one count in quadrature.
void take_index_reference(const Scenario& sc, std::size_t index, const RunData& data, FaceReference& r) {
    const auto& ix = sc.fixture.reference.index;
    r.mark_calibration = ix.calibration;
    const double q = encoder_count_mm(sc.fixture);
    const Event* latch = nullptr;
    for (const auto& e : data.events) {
        if (e.kind == EventKind::index_latched && e.step_index == index) latch = &e;
    }
    if (latch == nullptr || !std::isfinite(latch->value)) {
        const std::string dev = sc.fixture.hardware.encoder_spi.device;
        r.reason = "encoder: no index mark latched within the pass (" +
                   format_quantity(std::chrono::duration<double>(ix.pass_time).count(), "s", 3) + " at " +
                   format_quantity(ix.pass_rate_hz, "Hz", 3) + "; LS7366R" + (dev.empty() ? "" : " on " + dev) +
                   "): no cartridge-face reference";
        return;
    }
    r.valid = true;
    r.value_mm = latch->value - ix.protrusion_m * 1e3;
    r.uncertainty_mm = std::hypot(ix.uncertainty_m * 1e3, q);
    r.points = 1;
    r.uncertainty_counts = *r.uncertainty_mm / q;
    if (const auto* enc = sc.fixture.calibration_for("encoder"); enc != nullptr && enc->scale != 0.0) {
        r.value_counts = (*r.value_mm * 1e-3 - enc->offset) / enc->scale;
    }
}
}  // namespace

double scale_limit(const FixtureConfig& fx) {
    return kScaleBudgetFraction * kDepthAccuracyCounts * encoder_count_mm(fx) / fx.max_depth_mm;
}

FaceReference take_reference(const Scenario& sc, std::size_t index, const RunData& data) {
    const PlanStep& p = sc.plan[index];
    FaceReference r;
    r.id = reference_id(index);
    r.step = static_cast<std::uint32_t>(index);
    r.line = p.where.line;
    r.method = std::string(to_string(p.method));
    const auto* enc = sc.fixture.calibration_for("encoder");
    r.calibration_id = enc != nullptr ? enc->id : "";
    const StepSpan span = data.spans[index];
    r.start_s = static_cast<double>(span.start_ns) * 1e-9;
    r.t_s = static_cast<double>(span.end_ns) * 1e-9;
    if (p.method == ReferenceMethod::index) {
        take_index_reference(sc, index, data, r);
        return r;
    }
    analysis::TouchOffParams ap;
    ap.dwell = sc.fixture.reference.touch_off.dwell;
    ap.stop_force_n = sc.fixture.reference.touch_off.stop_force_n;
    const double q = encoder_count_mm(sc.fixture);
    ap.count_mm = q;
    ap.approach_speed_mm_s = sc.fixture.reference.touch_off.approach_speed_m_s * 1e3;
    ap.scale_limit = scale_limit(sc.fixture);
    r.scale_limit = ap.scale_limit;
    const auto a = analysis::analyse_touch_off(data.trace, analysis::TimeWindow{span.start_ns, span.end_ns}, ap);
    r.baseline_n = a.baseline_n;
    r.rest_return_mm = a.rest_return_mm;
    r.scale_error = a.scale_error;
    r.points = a.points;
    if (a.invalid || !a.face_mm) {
        r.reason = a.invalid.value_or("touch-off: no face found");
    } else {
        r.valid = true;
        r.value_mm = *a.face_mm;
        r.uncertainty_mm = a.uncertainty_mm;
        r.contact_stiffness_n_per_mm = a.stiffness_n_per_mm;
        r.residual_n = a.residual_n;
        if (enc != nullptr && enc->scale != 0.0) {
            // reading = counts x scale + offset (the calibration record's transfer).
            r.value_counts = (*a.face_mm * 1e-3 - enc->offset) / enc->scale;
            r.uncertainty_counts = a.uncertainty_mm / q;
        }
    }
    if (data.truth != nullptr) {
        // The model's face crossings inside the step: the last is the probe's.
        for (const auto& f : data.truth->faces) {
            const std::int64_t t = f.t_ns - data.truth_offset_ns;
            if (t >= span.start_ns && t <= span.end_ns) r.truth_mm = f.encoder_mm;
        }
    }
    return r;
}

const FaceReference* reference_for(std::span<const FaceReference> refs, std::int64_t begin_ns) {
    const FaceReference* found = nullptr;
    for (const auto& r : refs) {
        if (std::llround(r.t_s * 1e9) <= begin_ns) found = &r;
    }
    return found;
}

std::optional<std::string> awaiting_closing(const Scenario& sc, std::size_t step, const Measurement& m) {
    if (m.outcome == Outcome::error) return std::nullopt;
    const auto it = m.stats.find("reference");
    if (it == m.stats.end() || !it->is_object() || !it->value("valid", false)) return std::nullopt;
    for (std::size_t k = step + 1; k < sc.plan.size(); ++k) {
        if (sc.plan[k].kind == StepKind::reference) return reference_id(k);
    }
    return std::nullopt;
}

std::string provisional_outcome(Outcome o) {
    return std::string(to_string(o)) + " (provisional: awaiting closing reference)";
}

void close_reference(std::span<FaceReference> refs, std::span<Measurement> measurements, const FixtureConfig& fx) {
    if (refs.size() < 2) return;
    FaceReference& cur = refs.back();
    FaceReference& prev = refs[refs.size() - 2];
    if (!prev.valid || !prev.value_mm) return;
    double drift = 0.0;
    const double limit = kClosingLimitCounts * encoder_count_mm(fx) +
                         std::hypot(prev.uncertainty_mm.value_or(0.0), cur.uncertainty_mm.value_or(0.0));
    std::optional<std::string> reason;
    if (!cur.valid || !cur.value_mm) {
        // The closing reference failed. On the encoder's evidence (counts lost
        // or gained on the way), the counter is not trusted since the
        // reference either; otherwise (no contact, contact at rest) the
        // closing check was not made and the measurements stay as they are.
        if (cur.reason.rfind("encoder:", 0) != 0) return;
        reason = "encoder: the next reference (" + cur.id + ") failed on the encoder's evidence (" + cur.reason +
                 "): counts lost or gained since " + prev.id;
    } else {
        drift = *cur.value_mm - *prev.value_mm;
        prev.drift_to_next_mm = drift;
        if (std::abs(drift) > limit) {
            reason = "encoder: the cartridge face read " + format_um(drift) + " away at the next reference (" + cur.id +
                     ") from where " + prev.id + " found it (limit " + format_um(limit) +
                     "): counts lost or gained since the reference";
        }
    }
    for (auto& m : measurements) {
        const auto it = m.stats.find("reference");
        if (it == m.stats.end() || !it->is_object() || it->value("id", "") != prev.id) continue;
        nlohmann::json check = {{"instrument", "encoder"}, {"check", "reference_closing"}, {"value", drift},
                                {"limit", limit},          {"unit", "mm"},             {"outcome", reason ? "failed" : "ok"}};
        if (reason) check["reason"] = *reason;
        if (!m.stats.contains("checks") || !m.stats["checks"].is_array()) m.stats["checks"] = nlohmann::json::array();
        m.stats["checks"].push_back(check);
        if (reason && m.outcome != Outcome::error) {
            m.outcome = Outcome::error;
            m.value.reset();
            m.message = *reason;
        }
    }
}

}  // namespace rig
