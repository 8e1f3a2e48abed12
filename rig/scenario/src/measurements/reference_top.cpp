#include "rig/scenario/reference_top.hpp"

#include <algorithm>
#include <vector>

#include "rig/scenario/scenario.hpp"

#include "instrument_checks.hpp"

namespace rig {

bool anchors_reference_top(const PlanStep& step) {
    return step.kind == StepKind::reference || step.kind == StepKind::set_depth;
}

void ReferenceTopSearch::examine(analysis::TraceView v, const analysis::StrokeOptions& o, std::int64_t end_ns,
                                 bool last) {
    const auto range = analysis::index_range(v, {start_ns_, end_ns});
    const auto strokes =
        range.size() < 2 ? std::vector<analysis::Stroke>{} : analysis::detect_strokes(v, range.begin, range.end, o);
    double sum = 0.0;
    std::size_t n = 0;
    for (const auto& s : strokes) {
        if (s.end_index >= range.end) break;  // not complete in this chunk
        if (!s.valid()) continue;
        sum += checks::top_of(v, s);
        if (++n == checks::kReferenceTopStrokes) {
            decided_ = true;
            top_mm_ = sum / static_cast<double>(n);
            top_end_ns_ = v.t_ns[s.end_index];
            return;
        }
    }
    if (last) return;  // a look at what a trace holds so far: nothing moves on
    if (strokes.empty()) {
        start_ns_ = std::max(start_ns_, end_ns - kOverlapNs);
    } else if (end_ns - start_ns_ >= kGiveUpNs) {
        decided_ = true;  // strokes, but too few valid ones: no reference top
    }
}

void ReferenceTopSearch::advance(analysis::TraceView v, const analysis::StrokeOptions& o, std::int64_t upto_ns) {
    while (!decided_ && next_end_ns_ <= upto_ns) {
        examine(v, o, next_end_ns_, false);
        next_end_ns_ += kChunkNs;
    }
}

std::optional<double> ReferenceTopSearch::top_for(analysis::TraceView v, const analysis::StrokeOptions& o,
                                                  std::int64_t window_end_ns) const {
    ReferenceTopSearch s = *this;
    if (s.open() && !v.t_ns.empty()) {
        // The whole chunks the trace holds, then its rest as a partial one.
        const std::int64_t held = v.t_ns.back() + 1;
        s.advance(v, o, held);
        if (s.open() && held > s.start_ns_) s.examine(v, o, held, true);
    }
    if (s.top_mm_ && s.top_end_ns_ <= window_end_ns) return s.top_mm_;
    return std::nullopt;
}

}  // namespace rig
