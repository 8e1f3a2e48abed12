// stall_protection: brake engaged -> needle motion ceases (stall onset) ->
// motor current below cut-off: latency from onset to cut-off, then the retry
// (its delay) or the latch as the spec says.
#include <cmath>

#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig {
namespace {

constexpr Quantity kQuantities[] = {
    {"stall_latency", Dimension::time, "ms", "stall onset (needle motion ceased) to motor current below the cut-off"},
    {"stall_retry_delay", Dimension::time, "ms", "cut-off to the firmware's retry (current back above the cut-off)", false},
    {"stall_retries", Dimension::ratio, "count", "retries seen after the cut-off (0 = latched)", false},
};

bool anchor(const Scenario&, const Event& e) { return e.kind == EventKind::brake_engaged; }

void preconditions(const MeasureSpec& m, const PlanState& st, std::vector<std::string>& errors) {
    if (!st.stall_seen && m.window.kind == Window::Kind::since_event) {
        errors.emplace_back("measure stall_protection: no 'stall:' before this step");
    }
}

void spec_limits(MeasureSpec& m, const PenSpec& spec, const FixtureConfig&, const PlanState&) {
    limits_from_spec(m, "stall_latency", std::nullopt,
                     spec.stall_latency_max_s ? std::optional<double>(*spec.stall_latency_max_s * 1e3) : std::nullopt,
                     "stall.max_latency");
    if (spec.after_stall == AfterStall::retry) {
        m.limits["stall_retry_delay"] = Limits{(spec.retry_delay_s - spec.retry_tolerance_s) * 1e3,
                                               (spec.retry_delay_s + spec.retry_tolerance_s) * 1e3,
                                               "spec:stall.retry_delay"};
    } else {
        m.limits["stall_retries"] = Limits{std::nullopt, 0.0, "spec:stall.after"};
    }
}

std::vector<Measurement> measure(const MeasureContext& c) {
    analysis::StallOptions o;
    o.current_threshold_a = c.sc.spec.stall_cutoff_current_a;
    o.max_sample_interval = c.max_sample_interval();
    // Two encoder counts: motion smaller than that is not motion.
    const auto* enc = c.sc.fixture.calibration_for("encoder");
    o.stillness_band_mm = 2.0 * std::abs(enc != nullptr ? enc->scale : 1e-6) * 1e3;
    const auto s = analysis::analyze_stall(c.data.trace, c.window.begin_ns, c.window.end_ns, o);
    const auto tp = c.timing_problem();
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
    Measurement lat = c.base("stall_latency", "ms");
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
        if (truth->cutoff_ns >= 0) {
            lat.truth_detail["model_drive_cut_s"] = static_cast<double>(truth->cutoff_ns - c.data.truth_offset_ns) * 1e-9;
        }
    }
    if (true_result) {
        lat.truth_detail["onset_s"] = static_cast<double>(true_result->onset_ns) * 1e-9;
        lat.truth_detail["cutoff_s"] = true_result->cutoff_ns * 1e-9;
    }
    judge(lat, s.latency_s * 1e3, s.invalid ? s.invalid : tp);
    if (true_result) lat.truth = true_result->latency_s * 1e3;
    out.push_back(std::move(lat));
    if (c.m.limits.count("stall_retry_delay")) {
        Measurement r = c.base("stall_retry_delay", "ms");
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
        Measurement r = c.base("stall_retries", "count");
        r.stats = stats;
        judge(r, s.retried ? 1.0 : 0.0, s.invalid ? s.invalid : tp);
        if (r.outcome == Outcome::fail) r.message = "the pen retried after the stall; the spec expects it to latch";
        if (true_result) r.truth = true_result->retried ? 1.0 : 0.0;
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

extern const MeasureKind kStallProtection{
    .name = "stall_protection",
    .description = "stall protection: brake engaged, needle motion ceases (onset: the first sample of 20 ms within "
                   "two encoder counts), motor current falls below the spec's cut-off; latency onset to cut-off, "
                   "then the retry delay or the latch the spec expects",
    .quantities = kQuantities,
    .grouped_limits = true,
    .anchor = anchor,
    .preconditions = preconditions,
    .spec_limits = spec_limits,
    .measure = measure,
    .plot = "stall_trace",
};

}  // namespace rig
