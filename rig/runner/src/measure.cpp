#include "rig/runner/measure.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace rig {

const char* to_string(Outcome o) {
    switch (o) {
        case Outcome::pass: return "PASS";
        case Outcome::fail: return "FAIL";
        case Outcome::error: return "ERROR";
    }
    return "?";
}

nlohmann::json Measurement::to_json() const {
    nlohmann::json j;
    j["id"] = id;
    j["name"] = name;
    j["label"] = label;
    j["step"] = step;
    j["line"] = line;
    j["value"] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    j["unit"] = unit;
    if (low) j["low"] = *low;
    if (high) j["high"] = *high;
    j["limits_source"] = limits_source;
    j["outcome"] = to_string(outcome);
    if (!message.empty()) j["message"] = message;
    j["window"] = {{"start_s", window_start_s}, {"end_s", window_end_s}, {"samples", samples}, {"strokes", strokes}};
    j["requirements"] = requirements;
    j["stats"] = stats;
    if (truth) {
        j["truth"] = *truth;
        if (value) j["error"] = *value - *truth;
    }
    if (!truth_detail.empty()) j["truth_detail"] = truth_detail;
    return j;
}

analysis::TimingBudgetParams timing_budget(const FixtureConfig& fx) {
    analysis::TimingBudgetParams b;
    b.nominal_period = std::chrono::nanoseconds(std::llround(1e9 / fx.sample_rate_hz));
    b.lateness_budget = fx.timing.lateness;
    b.max_late_fraction = fx.timing.max_late_fraction;
    b.max_missed_samples = fx.timing.max_missed_samples;
    return b;
}

namespace {

using analysis::TimeWindow;

std::string num(double v, int prec = 6) {
    std::ostringstream o;
    o.precision(prec);
    o << v;
    return o.str();
}

/// The last event of `kind` at or before `at` that belongs to a step up to
/// `max_step` (events of later steps can share the measure step's timestamp:
/// they happened after it in the plan), optionally matching a predicate.
template <typename Pred>
const Event* last_event(std::span<const Event> events, EventKind kind, std::int64_t at, std::size_t max_step, Pred pred) {
    const Event* found = nullptr;
    for (const auto& e : events) {
        if (e.t_ns > at) break;
        if (e.kind == kind && e.step_index <= max_step && pred(e)) found = &e;
    }
    return found;
}
const Event* last_event(std::span<const Event> events, EventKind kind, std::int64_t at, std::size_t max_step) {
    return last_event(events, kind, at, max_step, [](const Event&) { return true; });
}

struct Ctx {
    const Scenario& sc;
    const PlanStep& step;
    const MeasureSpec& m;
    std::size_t index;
    const RunData& data;
    TimeWindow window;
    std::optional<std::string> window_problem;
};

Measurement base(const Ctx& c, std::string name, std::string unit) {
    Measurement r;
    r.id = c.m.id;
    if (name != to_string(c.m.what)) r.id += "." + name;
    r.name = std::move(name);
    r.label = c.m.label;
    r.step = static_cast<std::uint32_t>(c.index);
    r.line = c.step.where.line;
    r.unit = std::move(unit);
    r.requirements = c.m.requirements;
    r.window_start_s = static_cast<double>(c.window.begin_ns) * 1e-9;
    r.window_end_s = static_cast<double>(c.window.end_ns) * 1e-9;
    auto it = c.m.limits.find(r.name);
    if (it != c.m.limits.end()) {
        r.low = it->second.low;
        r.high = it->second.high;
        r.limits_source = it->second.source;
    } else {
        r.limits_source = "none";
    }
    const auto range = analysis::index_range(c.data.trace, c.window);
    r.samples = range.size();
    return r;
}

/// Judges a value against the limits; an invalid reason makes it ERROR.
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

/// Timing budget inside a window: broken budget makes a measurement ERROR.
std::optional<std::string> timing_problem(const Ctx& c) {
    const auto range = analysis::index_range(c.data.trace, c.window);
    if (range.size() < 2) return std::nullopt;  // the measurement's own checks report too few samples
    const auto h = analysis::timing_health(c.data.trace, range.begin, range.end, timing_budget(c.sc.fixture));
    if (h.ok() && h.budget_broken) return "rig timing budget broken in the window: " + h.verdict;
    return std::nullopt;
}

/// Ground-truth strokes in the run's time base, as analysis strokes (timing
/// and depth only), so the same analysis gives the true value.
std::vector<analysis::Stroke> truth_strokes(const RunData& d) {
    std::vector<analysis::Stroke> out;
    if (d.truth == nullptr) return out;
    out.reserve(d.truth->strokes.size());
    std::size_t i = 0;
    for (const auto& t : d.truth->strokes) {
        analysis::Stroke s;
        s.begin_index = i;
        s.end_index = i + 1;
        s.bdc_index = i;
        ++i;
        s.t_bdc_ns = static_cast<double>(t.t_bdc_ns - d.truth_offset_ns);
        s.depth_mm = t.depth_mm;
        s.peak_force_n = t.peak_force_n;
        out.push_back(s);
    }
    return out;
}

analysis::StatsOptions stats_opts() { return analysis::StatsOptions{5}; }

/// On a real-time loop a sample may be late by up to the lateness budget
/// without anything being lost; missed samples are flagged by the loop
/// (sample_after_gap). So an interval is a gap only beyond period + budget.
std::chrono::nanoseconds max_interval(const Scenario& sc) {
    const auto b = timing_budget(sc.fixture);
    return b.nominal_period + b.lateness_budget;
}
analysis::StrokeOptions stroke_opts(const Scenario& sc) {
    analysis::StrokeOptions o;
    o.max_sample_interval = max_interval(sc);
    return o;
}

std::vector<Measurement> window_measure(const Ctx& c) {
    const auto name = std::string(to_string(c.m.what));
    const std::string unit = c.m.what == MeasureWhat::puncture_rate      ? "Hz"
                             : c.m.what == MeasureWhat::protrusion_depth ? "mm"
                                                                         : "N";
    Measurement r = base(c, name, unit);
    const auto wm = analysis::measure_window(c.data.trace, c.window, stroke_opts(c.sc), stats_opts());
    r.strokes = wm.strokes.size();
    const auto tp = timing_problem(c);
    const auto truth = truth_strokes(c.data);
    const auto tw = analysis::strokes_in(truth, c.window);
    if (c.m.what == MeasureWhat::puncture_rate) {
        r.stats = {{"mean", wm.rate.mean_hz}, {"sd", wm.rate.sd_hz}, {"min", wm.rate.min_hz},
                   {"max", wm.rate.max_hz}, {"intervals", wm.rate.count}, {"setpoint", c.m.setpoint_hz}};
        judge(r, wm.rate.mean_hz, wm.rate.invalid ? wm.rate.invalid : tp);
        if (c.data.truth != nullptr) {
            const auto t = analysis::puncture_rate(tw, stats_opts());
            if (t.ok()) r.truth = t.mean_hz;
        }
    } else if (c.m.what == MeasureWhat::protrusion_depth) {
        r.stats = {{"mean", wm.depth.mean_mm}, {"sd", wm.depth.sd_mm}, {"min", wm.depth.min_mm},
                   {"max", wm.depth.max_mm}, {"strokes", wm.depth.count}, {"dial", c.m.dial_mm}};
        judge(r, wm.depth.mean_mm, wm.depth.invalid ? wm.depth.invalid : tp);
        if (c.data.truth != nullptr) {
            const auto t = analysis::depth_stats(tw, stats_opts());
            if (t.ok()) r.truth = t.mean_mm;
        }
    } else {
        r.stats = {{"mean", wm.force.mean_n}, {"sd", wm.force.sd_n}, {"min", wm.force.min_n},
                   {"max", wm.force.max_n}, {"strokes", wm.force.count}};
        judge(r, wm.force.mean_n, wm.force.invalid ? wm.force.invalid : tp);
        if (c.data.truth != nullptr) {
            const auto t = analysis::strike_force_stats(tw, stats_opts());
            if (t.ok()) r.truth = t.mean_n;
        }
    }
    return {r};
}

std::vector<analysis::Stroke> strokes_over(const Ctx& c) {
    const auto range = analysis::index_range(c.data.trace, c.window);
    return analysis::detect_strokes(c.data.trace, range.begin, range.end, stroke_opts(c.sc));
}

std::vector<Measurement> startup(const Ctx& c) {
    Measurement r = base(c, "startup_time", "ms");
    const auto strokes = strokes_over(c);
    r.strokes = strokes.size();
    analysis::StartupOptions o;
    o.band_fraction = c.sc.spec.startup_band;
    const auto s = analysis::startup_time(strokes, c.window.begin_ns, c.window.end_ns, c.m.setpoint_hz, o);
    r.stats = {{"target_hz", c.m.setpoint_hz}, {"band", c.sc.spec.startup_band}, {"intervals", s.intervals}};
    judge(r, s.startup_time_s * 1e3, s.invalid ? s.invalid : timing_problem(c));
    if (c.data.truth != nullptr) {
        const auto truth = truth_strokes(c.data);
        const auto t = analysis::startup_time(truth, c.window.begin_ns, c.window.end_ns, c.m.setpoint_hz, o);
        if (t.ok()) r.truth = t.startup_time_s * 1e3;
    }
    return {r};
}

/// Mean per-interval rate of strokes whose interval midpoints lie in [a, b).
std::optional<double> mean_rate(std::span<const analysis::Stroke> strokes, std::int64_t a, std::int64_t b) {
    const auto rs = analysis::rate_samples(strokes, TimeWindow{a, b});
    if (rs.rate_hz.size() < 3 || rs.any_invalid) return std::nullopt;
    double sum = 0.0;
    for (double r : rs.rate_hz) sum += r;
    return sum / static_cast<double>(rs.rate_hz.size());
}

std::vector<Measurement> step_response(const Ctx& c, double setpoint_before, double setpoint_after) {
    // stepinfo's convention for measured data: yinit and yfinal are the
    // response's own levels (mean rate over the 200 ms before the step and
    // over the last quarter of the window), not the setpoints, so that a
    // steady-state offset (judged by puncture_rate) does not distort rise,
    // overshoot and settling. Strokes are detected from 250 ms before the step
    // so the stroke that straddles it is whole.
    constexpr std::int64_t kPre = 200'000'000, kLead = 250'000'000;
    const std::int64_t t_step = c.window.begin_ns, t_end = c.window.end_ns;
    const std::int64_t tail = std::max<std::int64_t>((t_end - t_step) / 4, 50'000'000);
    auto levels = [&](std::span<const analysis::Stroke> strokes) {
        return std::pair{mean_rate(strokes, t_step - kPre, t_step), mean_rate(strokes, t_end - tail, t_end)};
    };
    const auto range = analysis::index_range(c.data.trace, TimeWindow{t_step - kLead, t_end});
    const auto strokes = analysis::detect_strokes(c.data.trace, range.begin, range.end, stroke_opts(c.sc));
    const auto [y0, y1] = levels(strokes);
    analysis::StepInfo info;
    if (!y0 || !y1) {
        info.invalid = "too few valid strokes before the step or at the end of the window to find the rate levels";
    } else {
        info = analysis::step_response_of_rate(strokes, t_step, *y0, *y1, t_end);
    }
    std::optional<analysis::StepInfo> tinfo;
    if (c.data.truth != nullptr) {
        const auto truth = truth_strokes(c.data);
        const auto [ty0, ty1] = levels(truth);
        if (ty0 && ty1) {
            auto t = analysis::step_response_of_rate(truth, t_step, *ty0, *ty1, t_end);
            if (t.ok()) tinfo = t;
        }
    }
    const double y_initial = y0.value_or(setpoint_before), y_final = y1.value_or(setpoint_after);
    const auto tp = timing_problem(c);
    std::vector<Measurement> out;
    // Marker instants for the report's plot: 10 % and 90 % crossings (first,
    // linearly interpolated), the settling instant and the peak.
    auto crossing = [&](double level) -> nlohmann::json {
        const auto rs = analysis::rate_samples(strokes, c.window);
        const double sgn = y_final >= y_initial ? 1.0 : -1.0;
        for (std::size_t k = 1; k < rs.rate_hz.size(); ++k) {
            const double a = sgn * (rs.rate_hz[k - 1] - level), b = sgn * (rs.rate_hz[k] - level);
            if (a < 0.0 && b >= 0.0) {
                const double f = -a / (b - a);
                return (rs.t_ns[k - 1] + f * (rs.t_ns[k] - rs.t_ns[k - 1])) * 1e-9;
            }
        }
        return nullptr;
    };
    const double t0_s = static_cast<double>(t_step) * 1e-9;
    const double dy = y_final - y_initial;
    nlohmann::json marks = {{"t0_s", t0_s},
                            {"initial_hz", y_initial},
                            {"final_hz", y_final},
                            {"t10_s", crossing(y_initial + 0.1 * dy)},
                            {"t90_s", crossing(y_initial + 0.9 * dy)}};
    if (info.ok()) {
        marks["settled_s"] = t0_s + info.settling_time_s;
        marks["peak_hz"] = y_initial + (dy >= 0 ? info.peak : -info.peak);
    }
    nlohmann::json stats = {{"from_hz", y_initial},          {"to_hz", y_final},
                                  {"setpoint_from_hz", setpoint_before}, {"setpoint_to_hz", setpoint_after},
                                  {"peak_time_ms", info.peak_time_s * 1e3}, {"undershoot_pct", info.undershoot_pct},
                                  {"settling_min_hz", info.settling_min},  {"settling_max_hz", info.settling_max}};
    stats.update(marks);
    struct Q {
        const char* name;
        const char* unit;
        double v;
        double tv;
    };
    const Q qs[] = {{"rise_time", "ms", info.rise_time_s * 1e3, tinfo ? tinfo->rise_time_s * 1e3 : 0.0},
                    {"overshoot", "%", info.overshoot_pct, tinfo ? tinfo->overshoot_pct : 0.0},
                    {"settling_time", "ms", info.settling_time_s * 1e3, tinfo ? tinfo->settling_time_s * 1e3 : 0.0}};
    for (const auto& q : qs) {
        if (!c.m.limits.count(q.name)) continue;
        Measurement r = base(c, q.name, q.unit);
        r.strokes = analysis::strokes_in(strokes, c.window).size();
        r.stats = stats;
        judge(r, q.v, info.invalid ? info.invalid : tp);
        if (tinfo) r.truth = q.tv;
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<Measurement> stall(const Ctx& c) {
    analysis::StallOptions o;
    o.current_threshold_a = c.sc.spec.stall_cutoff_current_a;
    o.max_sample_interval = max_interval(c.sc);
    // Two encoder counts: motion smaller than that is not motion.
    const auto* enc = c.sc.fixture.calibration_for("encoder");
    o.stillness_band_mm = 2.0 * std::abs(enc != nullptr ? enc->scale : 1e-6) * 1e3;
    const auto s = analysis::analyze_stall(c.data.trace, c.window.begin_ns, c.window.end_ns, o);
    const auto tp = timing_problem(c);
    // Truth: the same definition applied to the true needle position and
    // motor current (GroundTruth::channels), so the difference is the rig's
    // own error; the model's own events are kept beside it.
    const TrueStall* truth = nullptr;
    std::optional<analysis::StallResult> true_result;
    if (c.data.truth != nullptr) {
        for (const auto& t : c.data.truth->stalls) {
            const auto onset = t.onset_ns - c.data.truth_offset_ns;
            if (onset >= c.window.begin_ns && onset < c.window.end_ns) {
                truth = &t;
                break;
            }
        }
        const auto& ch = c.data.truth->channels;
        std::vector<std::int64_t> tt;
        std::vector<double> pos, cur, zero;
        std::vector<std::uint32_t> flags;
        for (const auto& x : ch) {
            const std::int64_t t = x.t_ns - c.data.truth_offset_ns;
            if (t < c.window.begin_ns || t >= c.window.end_ns) continue;
            tt.push_back(t);
            pos.push_back(x.position_mm);
            cur.push_back(x.current_a);
        }
        zero.assign(tt.size(), 0.0);
        flags.assign(tt.size(), 0u);
        if (tt.size() > 2) {
            analysis::TraceView tv;
            tv.t_ns = tt;
            tv.position_mm = pos;
            tv.current_a = cur;
            tv.force_n = zero;
            tv.setpoint_hz = zero;
            tv.flags = flags;
            auto tr = analysis::analyze_stall(tv, c.window.begin_ns, c.window.end_ns, o);
            if (tr.ok()) true_result = tr;
        }
    }
    const nlohmann::json stats = {{"onset_s", static_cast<double>(s.onset_ns) * 1e-9},
                                  {"cutoff_s", s.cutoff_ns * 1e-9},
                                  {"retried", s.retried},
                                  {"retry_s", s.retried ? nlohmann::json(s.retry_ns * 1e-9) : nlohmann::json(nullptr)},
                                  {"threshold_a", o.current_threshold_a},
                                  {"cutoff_a", o.current_threshold_a}};
    std::vector<Measurement> out;
    Measurement lat = base(c, "stall_latency", "ms");
    lat.stats = stats;
    {
        // Needle position and motor current over the window, for the report's
        // stall plot (at most ~1500 points).
        const auto range = analysis::index_range(c.data.trace, c.window);
        const std::size_t every = std::max<std::size_t>(1, range.size() / 1500 + 1);
        nlohmann::json ts = nlohmann::json::array(), ps = nlohmann::json::array(), cs = nlohmann::json::array();
        for (std::size_t k = range.begin; k < range.end; k += every) {
            ts.push_back(static_cast<double>(c.data.trace.t_ns[k]) * 1e-9);
            ps.push_back(c.data.trace.position_mm[k]);
            cs.push_back(c.data.trace.current_a[k]);
        }
        lat.stats["trace"] = {{"t_s", ts}, {"position_mm", ps}, {"current_a", cs}};
    }
    if (truth != nullptr) {
        lat.truth_detail["model_rotor_stop_s"] = static_cast<double>(truth->onset_ns - c.data.truth_offset_ns) * 1e-9;
        if (truth->cutoff_ns >= 0) lat.truth_detail["model_drive_cut_s"] = static_cast<double>(truth->cutoff_ns - c.data.truth_offset_ns) * 1e-9;
    }
    if (true_result) {
        lat.truth_detail["onset_s"] = static_cast<double>(true_result->onset_ns) * 1e-9;
        lat.truth_detail["cutoff_s"] = true_result->cutoff_ns * 1e-9;
    }
    judge(lat, s.latency_s * 1e3, s.invalid ? s.invalid : tp);
    if (true_result) lat.truth = true_result->latency_s * 1e3;
    out.push_back(std::move(lat));
    if (c.m.limits.count("stall_retry_delay")) {
        Measurement r = base(c, "stall_retry_delay", "ms");
        r.stats = stats;
        std::optional<std::string> inv = s.invalid ? s.invalid : tp;
        if (!inv && !s.retried) {
            // Expected a retry and saw none: the pen latched when it should not.
            r.limits_source = c.m.limits.at("stall_retry_delay").source;
            r.value.reset();
            r.outcome = Outcome::fail;
            r.message = "no retry seen before the window's end (the pen stayed off; the spec expects a retry)";
        } else {
            judge(r, s.retry_delay_s * 1e3, inv);
        }
        if (true_result && true_result->retried) r.truth = true_result->retry_delay_s * 1e3;
        out.push_back(std::move(r));
    } else if (c.m.limits.count("stall_retries")) {
        Measurement r = base(c, "stall_retries", "count");
        r.stats = stats;
        judge(r, s.retried ? 1.0 : 0.0, s.invalid ? s.invalid : tp);
        if (r.outcome == Outcome::fail) r.message = "the pen retried after the stall; the spec expects it to latch";
        if (true_result) r.truth = true_result->retried ? 1.0 : 0.0;
        out.push_back(std::move(r));
    }
    return out;
}

std::vector<Measurement> regulation(const Ctx& c, std::span<const Measurement> earlier) {
    Measurement r = base(c, "speed_regulation", "%");
    const Measurement* nl = nullptr;
    const Measurement* ld = nullptr;
    for (const auto& e : earlier) {
        if (e.id == c.m.no_load_id) nl = &e;
        if (e.id == c.m.loaded_id) ld = &e;
    }
    if (nl == nullptr || ld == nullptr || !nl->value || !ld->value || nl->outcome == Outcome::error ||
        ld->outcome == Outcome::error) {
        judge(r, std::nullopt, std::string("the no-load or loaded rate measurement is not valid"));
        return {r};
    }
    r.window_start_s = std::min(nl->window_start_s, ld->window_start_s);
    r.window_end_s = std::max(nl->window_end_s, ld->window_end_s);
    r.samples = nl->samples + ld->samples;
    const auto s = analysis::speed_regulation(*nl->value, *ld->value);
    r.stats = {{"no_load_hz", *nl->value}, {"loaded_hz", *ld->value}, {"no_load_id", nl->id}, {"loaded_id", ld->id}};
    judge(r, s.regulation_pct, s.invalid);
    if (nl->truth && ld->truth) {
        const auto t = analysis::speed_regulation(*nl->truth, *ld->truth);
        if (t.ok()) r.truth = t.regulation_pct;
    }
    return {r};
}

std::vector<Measurement> loop_timing(const Ctx& c) {
    Measurement r = base(c, "loop_timing", "us");
    const auto range = analysis::index_range(c.data.trace, c.window);
    const auto h = analysis::timing_health(c.data.trace, range.begin, range.end, timing_budget(c.sc.fixture));
    r.stats = {{"p50_us", static_cast<double>(h.p50_lateness_ns) / 1e3},
               {"p99_us", static_cast<double>(h.p99_lateness_ns) / 1e3},
               {"max_us", static_cast<double>(h.max_lateness_ns) / 1e3},
               {"late_samples", h.late_count},
               {"missed_samples", h.missed_samples},
               {"verdict", h.verdict}};
    r.value = static_cast<double>(h.p99_lateness_ns) / 1e3;
    // The rig's own health: outside the budget the rig could not measure
    // validly, which is an ERROR, never a FAIL of the pen.
    if (h.invalid) {
        r.outcome = Outcome::error;
        r.message = *h.invalid;
    } else if (h.budget_broken) {
        r.outcome = Outcome::error;
        r.message = "rig timing budget broken: " + h.verdict;
    } else {
        r.outcome = Outcome::pass;
    }
    return {r};
}

}  // namespace

std::vector<Measurement> take_measurement(const Scenario& sc, std::size_t index, std::int64_t at_ns,
                                          const RunData& data, std::span<const Measurement> earlier) {
    const PlanStep& step = sc.plan[index];
    const MeasureSpec& m = step.measure;
    Ctx c{sc, step, m, index, data, TimeWindow{0, at_ns}, std::nullopt};
    // Resolve the window.
    double y_initial = 0.0;
    switch (m.window.kind) {
        case Window::Kind::duration: c.window.begin_ns = data.spans[index].start_ns; break;
        case Window::Kind::previous:
            if (index > 0) {
                c.window.begin_ns = data.spans[index - 1].start_ns;
                c.window.end_ns = data.spans[index - 1].end_ns;
                // Measures in a row share a window: `previous` after a measure
                // step means that measure's window, not its zero-length step.
                if (sc.plan[index - 1].kind == StepKind::measure) {
                    for (auto it = earlier.rbegin(); it != earlier.rend(); ++it) {
                        if (it->step == index - 1) {
                            c.window.begin_ns = std::llround(it->window_start_s * 1e9);
                            c.window.end_ns = std::llround(it->window_end_s * 1e9);
                            break;
                        }
                    }
                }
            }
            break;
        case Window::Kind::since_mark: {
            const auto* e = last_event(data.events, EventKind::mark, at_ns, index,
                                       [&](const Event& ev) { return ev.text == m.window.mark; });
            if (e == nullptr) c.window_problem = "mark '" + m.window.mark + "' was not reached";
            else c.window.begin_ns = e->t_ns;
            break;
        }
        case Window::Kind::since_event: {
            const Event* e = nullptr;
            if (m.what == MeasureWhat::startup_time) {
                e = last_event(data.events, EventKind::power_on, at_ns, index);
            } else if (m.what == MeasureWhat::step_response) {
                e = last_event(data.events, EventKind::rate_setpoint, at_ns, index,
                               [&](const Event& ev) { return sc.plan[ev.step_index].is_step_change; });
                if (e != nullptr) {
                    const auto* before = last_event(data.events, EventKind::rate_setpoint, at_ns, index,
                                                    [&](const Event& ev) { return ev.t_ns <= e->t_ns && &ev != e; });
                    y_initial = before != nullptr ? before->value : 0.0;
                }
            } else if (m.what == MeasureWhat::stall_protection) {
                e = last_event(data.events, EventKind::brake_engaged, at_ns, index);
            }
            if (e == nullptr) c.window_problem = "the event this measurement starts from did not happen";
            else c.window.begin_ns = e->t_ns;
            break;
        }
    }
    if (m.what == MeasureWhat::step_response && m.window.kind != Window::Kind::since_event) {
        const auto* before = last_event(data.events, EventKind::rate_setpoint, c.window.begin_ns, index);
        y_initial = before != nullptr ? before->value : 0.0;
    }
    if (c.window_problem) {
        Measurement r = base(c, std::string(to_string(m.what)), "");
        judge(r, std::nullopt, c.window_problem);
        return {r};
    }
    switch (m.what) {
        case MeasureWhat::puncture_rate:
        case MeasureWhat::protrusion_depth:
        case MeasureWhat::strike_force: return window_measure(c);
        case MeasureWhat::startup_time: return startup(c);
        case MeasureWhat::step_response: return step_response(c, y_initial, m.setpoint_hz);
        case MeasureWhat::stall_protection: return stall(c);
        case MeasureWhat::speed_regulation: return regulation(c, earlier);
        case MeasureWhat::loop_timing: return loop_timing(c);
    }
    return {};
}

Measurement wait_timeout_measurement(const Scenario& sc, std::size_t index, std::int64_t at_ns) {
    const PlanStep& p = sc.plan[index];
    Measurement r;
    static const char* names[] = {"rate_stable", "stopped", "running", "depth_reached"};
    const char* cond = names[static_cast<int>(p.condition)];
    r.id = "wait_until@" + std::to_string(index);
    r.name = "wait_until";
    r.label = p.label;
    r.step = static_cast<std::uint32_t>(index);
    r.line = p.where.line;
    r.unit = "ms";
    r.value = static_cast<double>(p.duration.count()) / 1e6;
    r.high = r.value;
    r.limits_source = "inline";
    r.requirements = sc.requirements;
    r.window_start_s = static_cast<double>(at_ns - p.duration.count()) * 1e-9;
    r.window_end_s = static_cast<double>(at_ns) * 1e-9;
    // The depth actuator is the rig's: its timeout is an ERROR, not the pen's FAIL.
    r.outcome = p.condition == WaitCondition::depth_reached ? Outcome::error : Outcome::fail;
    r.message = std::string("condition '") + cond + "' not reached within " + num(*r.value) + " ms";
    return r;
}

}  // namespace rig
