#include "stroke_statistic.hpp"

#include <utility>

namespace rig {

Measurement judge_stroke_statistic(const MeasureContext& c, const analysis::WindowMeasurement& wm, StrokeStatistic s) {
    Measurement r = c.base(s.quantity);
    r.strokes = wm.strokes.size();
    r.stats = std::move(s.stats);
    r.stats["checks"] = std::move(s.check.record);
    judge(r, s.value, first_problem({s.invalid, c.timing_problem(), s.check.failure}));
    r.truth = c.window_truth(s.of_truth);
    return r;
}

}  // namespace rig
