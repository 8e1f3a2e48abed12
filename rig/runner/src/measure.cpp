#include "rig/runner/measure.hpp"

#include <chrono>
#include <cmath>
#include <sstream>

#include "rig/scenario/run_checks.hpp"

namespace rig {

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
const Event* last_event(std::span<const Event> events, std::int64_t at, std::size_t max_step, Pred pred) {
    const Event* found = nullptr;
    for (const auto& e : events) {
        if (e.t_ns > at) break;
        if (e.step_index <= max_step && pred(e)) found = &e;
    }
    return found;
}

}  // namespace

std::vector<Measurement> take_measurement(const Scenario& sc, std::size_t index, std::int64_t at_ns,
                                          const RunData& data, std::span<const Measurement> earlier) {
    const auto started = std::chrono::steady_clock::now();
    const auto timed = [started](std::vector<Measurement> ms) {
        const auto took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
        for (auto& r : ms) r.evaluation = took;
        return ms;
    };
    const PlanStep& step = sc.plan[index];
    const MeasureSpec& m = step.measure;
    const MeasureKind& kind = *m.what;
    MeasureContext c{sc, step, m, index, data, TimeWindow{0, at_ns}, earlier, 0.0};
    std::optional<std::string> window_problem;
    const auto setpoint = [](const Event& e) { return e.kind == EventKind::rate_setpoint; };
    // Resolve the window.
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
            const auto* e = last_event(data.events, at_ns, index, [&](const Event& ev) {
                return ev.kind == EventKind::mark && ev.text == m.window.mark;
            });
            if (e == nullptr) window_problem = "mark '" + m.window.mark + "' was not reached";
            else c.window.begin_ns = e->t_ns;
            break;
        }
        case Window::Kind::since_event: {
            const Event* e = kind.anchor == nullptr
                                 ? nullptr
                                 : last_event(data.events, at_ns, index,
                                              [&](const Event& ev) { return kind.anchor(sc, ev); });
            if (e == nullptr) {
                window_problem = "the event this measurement starts from did not happen";
            } else {
                c.window.begin_ns = e->t_ns;
                // The setpoint in force before the anchor (a step's "from").
                const auto* before = last_event(data.events, at_ns, index, [&](const Event& ev) {
                    return setpoint(ev) && ev.t_ns <= e->t_ns && &ev != e;
                });
                c.setpoint_before_hz = before != nullptr ? before->value : 0.0;
            }
            break;
        }
    }
    if (m.window.kind != Window::Kind::since_event) {
        const auto* before = last_event(data.events, c.window.begin_ns, index, setpoint);
        c.setpoint_before_hz = before != nullptr ? before->value : 0.0;
    }
    if (window_problem) {
        Measurement r = c.base(kind.name, "");
        judge(r, std::nullopt, window_problem);
        return timed({r});
    }
    auto out = kind.measure(c);
    // The instrument checks that do not come from the window's own strokes:
    // the run-start tare and current zero (taken once, before the first
    // power-on) and the ADC full-scale count of the window.
    checks::RunStartChecks local;
    const checks::RunStartChecks* rs = data.run_start;
    if (rs == nullptr) {
        local = checks::run_start_checks(data.trace, data.events, data.spans);
        if (local.taken && local.end_ns <= at_ns) rs = &local;
    }
    for (auto& r : out) {
        checks::apply_instrument_checks(r, kind.instruments, rs, data.trace, c.window);
        // Last: U is stated only for a value the checks left standing.
        state_uncertainty(c, kind, rs, r);
    }
    return timed(std::move(out));
}

Measurement wait_timeout_measurement(const Scenario& sc, std::size_t index, std::int64_t at_ns) {
    const PlanStep& p = sc.plan[index];
    Measurement r;
    static const char* names[] = {"rate_stable", "stopped", "running", "depth_reached"};
    const char* cond = names[static_cast<int>(p.condition)];
    r.id = "wait_until@" + std::to_string(index);
    r.name = "wait_until";
    r.kind = "wait_until";
    r.label = p.label;
    r.step = static_cast<std::uint32_t>(index);
    r.line = p.where.line;
    r.unit = "ms";
    r.value = static_cast<double>(p.duration.count()) / 1e6;
    r.high = r.value;
    r.limits_source = "inline";
    r.requirements = sc.requirements;
    r.decision_rule = sc.spec.decision_rule;
    r.window_start_s = static_cast<double>(at_ns - p.duration.count()) * 1e-9;
    r.window_end_s = static_cast<double>(at_ns) * 1e-9;
    // The depth actuator is the rig's: its timeout is an ERROR, not the pen's FAIL.
    r.outcome = p.condition == WaitCondition::depth_reached ? Outcome::error : Outcome::fail;
    r.message = std::string("condition '") + cond + "' not reached within " + num(*r.value) + " ms";
    return r;
}

}  // namespace rig
