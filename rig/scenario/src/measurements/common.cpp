// What every measurement kind shares: the measurement's frame (id, limits,
// window), judging against limits, the timing rule, truth strokes.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

#include "kind_parts.hpp"

namespace rig {

using kind_parts::num;


analysis::TimingBudgetParams timing_budget(const FixtureConfig& fx) {
    analysis::TimingBudgetParams b;
    b.nominal_period = std::chrono::nanoseconds(std::llround(1e9 / fx.sample_rate_hz));
    b.lateness_budget = fx.timing.lateness;
    b.max_late_fraction = fx.timing.max_late_fraction;
    b.max_missed_samples = fx.timing.max_missed_samples;
    return b;
}

Measurement MeasureContext::base(std::string_view name) const {
    const Quantity* q = m.what->quantity(name);
    return base(name, q != nullptr ? q->unit : std::string_view{});
}

Measurement MeasureContext::base(std::string_view name, std::string_view unit) const {
    Measurement r;
    r.id = m.id;
    if (name != m.what->name) r.id += "." + std::string(name);
    r.name = std::string(name);
    r.kind = std::string(m.what->name);
    r.label = m.label;
    r.step = static_cast<std::uint32_t>(index);
    r.line = step.where.line;
    r.unit = std::string(unit);
    r.requirements = m.requirements;
    r.decision_rule = sc.spec.decision_rule;
    r.window_start_s = static_cast<double>(window.begin_ns) * 1e-9;
    r.window_end_s = static_cast<double>(window.end_ns) * 1e-9;
    auto it = m.limits.find(r.name);
    if (it != m.limits.end()) {
        r.low = it->second.low;
        r.high = it->second.high;
        r.limits_source = it->second.source;
    } else {
        r.limits_source = "none";
    }
    r.samples = analysis::index_range(data.trace, window).size();
    return r;
}

analysis::TimingBudgetParams MeasureContext::timing_budget() const { return rig::timing_budget(sc.fixture); }

std::chrono::nanoseconds MeasureContext::max_sample_interval() const { return timing_budget().rule().max_interval(); }

analysis::StrokeOptions MeasureContext::stroke_options() const {
    analysis::StrokeOptions o;
    o.max_sample_interval = max_sample_interval();
    return o;
}

std::optional<std::string> MeasureContext::timing_problem() const {
    const auto range = analysis::index_range(data.trace, window);
    if (range.size() < 2) return std::nullopt;  // the measurement's own checks report too few samples
    const auto h = analysis::timing_health(data.trace, range.begin, range.end, timing_budget());
    if (h.ok() && h.budget_broken) return "rig timing budget broken in the window: " + h.verdict;
    return std::nullopt;
}

std::vector<analysis::Stroke> MeasureContext::truth_strokes() const {
    // Ground-truth strokes in the run's time base, as analysis strokes (timing
    // and depth only), so the same analysis gives the true value. Only those
    // near the window (from 1 s before it: analyses that look back, such as
    // the step response's 250 ms, find theirs), found by binary search: a
    // measurement's cost does not grow with the run's length.
    std::vector<analysis::Stroke> out;
    if (data.truth == nullptr) return out;
    // The strokes published so far (the model may be appending on the loop's
    // thread): one snapshot of the end.
    const auto& log = data.truth->strokes;
    const TrueStroke* const first = log.begin();
    const TrueStroke* const last = log.end();
    const std::int64_t from = window.begin_ns - 1'000'000'000 + data.truth_offset_ns;
    const std::int64_t to = window.end_ns + data.truth_offset_ns;
    // A full log kept no stroke after its last: no truth for a window past it.
    if (log.overflowed() && (first == last || (last - 1)->t_bdc_ns < to)) return out;
    auto it = std::lower_bound(first, last, from, [](const TrueStroke& t, std::int64_t v) { return t.t_bdc_ns < v; });
    std::size_t i = 0;
    for (; it != last && it->t_bdc_ns < to; ++it) {
        const auto& t = *it;
        analysis::Stroke s;
        s.begin_index = i;
        s.end_index = i + 1;
        s.bdc_index = i;
        ++i;
        s.t_bdc_ns = static_cast<double>(t.t_bdc_ns - data.truth_offset_ns);
        s.depth_mm = t.depth_mm;
        s.peak_force_n = t.peak_force_n;
        out.push_back(s);
    }
    return out;
}

std::optional<double> MeasureContext::window_truth(
    const std::function<std::optional<double>(std::span<const analysis::Stroke>)>& stat) const {
    if (data.truth == nullptr) return std::nullopt;
    const auto truth = truth_strokes();
    return stat(analysis::strokes_in(truth, window));
}

analysis::WindowMeasurement MeasureContext::window_strokes() const {
    return analysis::measure_window(data.trace, window, stroke_options(), window_stats_options());
}

double encoder_count_mm(const FixtureConfig& fx) {
    const auto* enc = fx.calibration_for("encoder");
    return std::abs(enc != nullptr ? enc->scale : 1e-6) * 1e3;
}

double MeasureContext::encoder_count_mm() const { return rig::encoder_count_mm(sc.fixture); }

void fail_without_value(Measurement& r, std::string why) {
    r.value.reset();
    r.outcome = Outcome::fail;
    r.message = std::move(why);
}

std::optional<std::string> first_problem(std::initializer_list<std::optional<std::string>> problems) {
    for (const auto& p : problems) {
        if (p) return p;
    }
    return std::nullopt;
}

std::optional<double> scaled(std::optional<double> v, double factor) {
    return v ? std::optional<double>(*v * factor) : std::nullopt;
}

void judge(Measurement& r, std::optional<double> value, const std::optional<std::string>& invalid) {
    r.value = value;
    if (invalid) {
        // No guess: an invalid measurement has no value.
        r.outcome = Outcome::error;
        r.message = *invalid;
        r.value.reset();
        return;
    }
    if (!value || !std::isfinite(*value)) {
        r.outcome = Outcome::error;
        r.message = "no valid value";
        r.value.reset();
        return;
    }
    if (r.low && *value < *r.low) {
        r.outcome = Outcome::fail;
        r.message = num(*value) + " " + r.unit + " is below the low limit " + num(*r.low) + " " + r.unit + " (" +
                    r.limits_source + ")";
    } else if (r.high && *value > *r.high) {
        r.outcome = Outcome::fail;
        r.message = num(*value) + " " + r.unit + " is above the high limit " + num(*r.high) + " " + r.unit + " (" +
                    r.limits_source + ")";
    } else {
        r.outcome = Outcome::pass;
    }
}

analysis::StatsOptions window_stats_options() { return analysis::StatsOptions{5}; }

void limits_from_spec(MeasureSpec& m, std::string_view quantity, std::optional<double> low,
                      std::optional<double> high, std::string_view clause) {
    const std::string q(quantity);
    if (m.limits.count(q)) return;
    if (!low && !high) return;
    m.limits[q] = Limits{low, high, "spec:" + std::string(clause)};
}

const Quantity* MeasureKind::quantity(std::string_view q) const {
    for (const auto& x : quantities) {
        if (x.name == q) return &x;
    }
    return nullptr;
}

}  // namespace rig
