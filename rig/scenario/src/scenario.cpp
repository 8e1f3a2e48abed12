#include "rig/scenario/scenario.hpp"
#include "rig/scenario/run_checks.hpp"

#include "rig/core/atomic_file.hpp"
#include "rig/drivers/fixture.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <unordered_set>
#include <variant>
#include <cctype>
#include <span>
#include <sstream>

namespace rig {

std::string_view to_string(StepKind k) {
    switch (k) {
        case StepKind::power: return "power";
        case StepKind::set_depth: return "set_depth";
        case StepKind::set_rate: return "set_rate";
        case StepKind::hold: return "hold";
        case StepKind::ramp: return "ramp";
        case StepKind::stall: return "stall";
        case StepKind::release: return "release";
        case StepKind::wait_until: return "wait_until";
        case StepKind::measure: return "measure";
        case StepKind::prompt: return "prompt";
        case StepKind::fault: return "fault";
        case StepKind::mark: return "mark";
        case StepKind::reference: return "reference";
    }
    return "?";
}

bool Scenario::has_tag(std::string_view t) const {
    // Tags are words people type: `Certification` is `certification`.
    const auto lower = [](std::string_view s) {
        std::string l(s);
        for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return l;
    };
    const std::string want = lower(t);
    return std::any_of(tags.begin(), tags.end(), [&](const std::string& x) { return lower(x) == want; });
}

namespace {

using namespace std::chrono_literals;

std::string fmt(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

/// What a step parser gets: the step's value, its whole list item (for
/// locations), its label (with the repeat/sweep suffix) and the suffix.
struct StepArgs {
    const YAML::Node& value;
    const YAML::Node& item;
    const std::string& label;
    const std::string& suffix;
};

class Builder;

/// A scenario step kind: its key in the YAML and the parser that checks it
/// and expands it into plan steps. The table is Builder::step_kinds().
struct StepKindInfo {
    std::string_view key;
    void (Builder::*parse)(const StepArgs&);
};

/// Walks the scenario's steps, expanding repeat/sweep, tracking the state the
/// rig would be in, and checking each step against spec and fixture.
class Builder {
public:
    Builder(const YamlFile& file, const PenSpec& spec, const FixtureConfig& fixture, Diagnostics& diags)
        : file_(file), spec_(spec), fixture_cfg_(fixture), diags_(diags) {}

    void steps(const YAML::Node& list, const std::string& context, const std::string& suffix) {
        if (!list.IsSequence()) {
            diags_.error(location_of(list, file_.path), context + ": expected a list of steps");
            return;
        }
        if (list.size() == 0) diags_.error(location_of(list, file_.path), context + ": the list of steps is empty");
        for (const auto& item : list) step(item, suffix);
    }

    std::vector<PlanStep> plan;
    std::chrono::nanoseconds duration{0};

    /// Every step kind a scenario may use, one row each.
    static std::span<const StepKindInfo> step_kinds();
    static const StepKindInfo* find_step_kind(std::string_view key) {
        for (const auto& k : step_kinds()) {
            if (k.key == key) return &k;
        }
        return nullptr;
    }
    static std::vector<std::string_view> step_keys() {
        std::vector<std::string_view> out;
        for (const auto& k : step_kinds()) out.push_back(k.key);
        return out;
    }
    static std::string step_key_list() {
        std::string out;
        for (const auto& k : step_kinds()) out += (out.empty() ? "" : ", ") + std::string(k.key);
        return out;
    }
    std::vector<std::string> scenario_requirements;

private:
    SourceLocation at(const YAML::Node& n) const { return location_of(n, file_.path); }

    PlanStep& push(StepKind k, const YAML::Node& where, std::string label) {
        PlanStep p;
        p.kind = k;
        p.where = at(where);
        p.label = std::move(label);
        plan.push_back(std::move(p));
        return plan.back();
    }

    bool check_depth(double mm, const YAML::Node& n) {
        if (mm > fixture_cfg_.max_depth_mm + 1e-9) {
            diags_.error(at(n), "depth " + fmt(mm) + " mm is beyond the rig's max_depth " + fmt(fixture_cfg_.max_depth_mm) +
                                    " mm (fixture " + fixture_cfg_.source.path + ")");
            return false;
        }
        if (mm < spec_.depth_min_mm - 1e-9 || mm > spec_.depth_max_mm + 1e-9) {
            diags_.error(at(n), "depth " + fmt(mm) + " mm is outside the pen's range " + fmt(spec_.depth_min_mm) +
                                    ".." + fmt(spec_.depth_max_mm) + " mm (spec " + spec_.source.path + ")");
            return false;
        }
        return true;
    }
    bool check_rate(double hz, const YAML::Node& n) {
        if (hz > fixture_cfg_.max_rate_hz + 1e-9) {
            diags_.error(at(n), "rate " + fmt(hz) + " Hz is beyond the rig's max_rate " + fmt(fixture_cfg_.max_rate_hz) +
                                    " Hz (fixture " + fixture_cfg_.source.path + ")");
            return false;
        }
        return true;
    }
    std::optional<double> level_rate(const YAML::Node& n) {
        int level = -1;
        if (n.IsScalar()) {
            const std::string& s = n.Scalar();
            auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), level);
            if (ec != std::errc{} || p != s.data() + s.size()) level = -1;
        }
        if (level < 0) {
            diags_.error(at(n), "speed level: expected a level number from the spec, found '" +
                                    (n.IsScalar() ? n.Scalar() : std::string("a non-scalar")) + "'");
            return std::nullopt;
        }
        auto it = spec_.levels_hz.find(level);
        if (it == spec_.levels_hz.end()) {
            std::string known;
            for (const auto& [l, hz] : spec_.levels_hz) known += (known.empty() ? "" : ", ") + std::to_string(l);
            diags_.error(at(n), "speed level " + std::to_string(level) + " is not in the spec (levels: " + known + ")");
            return std::nullopt;
        }
        return it->second;
    }
    std::optional<double> rate_value(const YAML::Node& n, const std::string& what) {
        auto hz = read_quantity(n, Dimension::frequency, file_.path, diags_, what, Range{0.0, 1e4, "", ""});
        if (!hz) return std::nullopt;
        if (!check_rate(*hz, n)) return std::nullopt;
        return hz;
    }
    std::optional<std::chrono::nanoseconds> time_value(const YAML::Node& n, const std::string& what) {
        auto s = read_quantity(n, Dimension::time, file_.path, diags_, what, Range{0.0, 24 * 3600.0, "", "24 h"});
        if (!s) return std::nullopt;
        return seconds_to_ns(*s);
    }

    /// The target of a ramp or step: `to: <rate>` or `level: <n>`.
    bool target_rate(MapReader& r, double& hz) {
        if (r.has("level")) {
            r.accept({"to"});
            const auto l = level_rate(r.raw("level"));
            if (!l) return false;
            hz = *l;
            return true;
        }
        const auto q = r.quantity("to", Dimension::frequency);
        if (!q || !check_rate(*q, r.raw("to"))) return false;
        hz = *q;
        return true;
    }

    void set_rate(double hz, const YAML::Node& where, std::string label, bool step_change) {
        auto& p = push(StepKind::set_rate, where, std::move(label));
        p.rate_hz = hz;
        p.is_step_change = step_change;
        st_.rate_hz = hz;
        if (step_change) st_.step_change_seen = true;
    }
    void set_depth(double mm, const YAML::Node& where, std::string label) {
        auto& p = push(StepKind::set_depth, where, std::move(label));
        p.depth_mm = mm;
        st_.depth_mm = mm;
        st_.depth_set = true;
    }

    void step(const YAML::Node& item, const std::string& suffix) {
        if (!item.IsMap()) {
            diags_.error(at(item), "step: expected a mapping such as '- hold: 2 s'");
            return;
        }
        // A step is one step key, plus an optional label.
        std::string label;
        const YAML::Node* key_node = nullptr;
        std::string key;
        for (const auto& kv : item) {
            const std::string k = kv.first.Scalar();
            if (k == "label") {
                label = kv.second.IsScalar() ? kv.second.Scalar() : "";
                continue;
            }
            if (find_step_kind(k) == nullptr) {
                std::string msg = "unknown step '" + k + "'";
                if (auto m = closest_match(k, step_keys())) {
                    msg += " (did you mean '" + *m + "'?)";
                } else {
                    msg += "; steps are: " + step_key_list();
                }
                diags_.error(at(kv.first), msg);
                return;
            }
            if (!key.empty()) {
                diags_.error(at(kv.first), "one step per list item: '" + k + "' follows '" + key +
                                               "' (start a new item with '- ')");
                return;
            }
            key = k;
            key_node = &kv.second;  // valid while `item` lives
            (void)key_node;
        }
        if (key.empty()) {
            diags_.error(at(item), "step: no step key (expected one of power, set_depth, set_rate, ...)");
            return;
        }
        const YAML::Node v = item[key];
        const std::string lbl = (label.empty() ? key : label) + suffix;
        if (const StepKindInfo* kind = find_step_kind(key)) (this->*(kind->parse))(StepArgs{v, item, lbl, suffix});
    }

    void step_power(const StepArgs& a) {
        const YAML::Node& v = a.value;
        if (!v.IsScalar() || (v.Scalar() != "on" && v.Scalar() != "off")) {
            diags_.error(at(v), "power: expected 'on' or 'off'");
            return;
        }
        auto& p = push(StepKind::power, a.item, a.label);
        p.on = v.Scalar() == "on";
        // The first power-on waits for the run-start instrument checks.
        if (p.on && !st_.powered_ever) duration += checks::kRunStartWindow;
        if (p.on) st_.powered_ever = true;
        st_.power = p.on;
    }

    void step_set_depth(const StepArgs& a) {
        const YAML::Node& v = a.value;
        auto m = read_quantity(v, Dimension::length, file_.path, diags_, "set_depth", Range{0.0, 1.0, "", ""});
        if (m && check_depth(*m * 1e3, v)) set_depth(*m * 1e3, a.item, a.label);
    }

    void step_set_rate(const StepArgs& a) {
        const YAML::Node& v = a.value;
        if (auto hz = rate_value(v, "set_rate")) set_rate(*hz, a.item, a.label, false);
    }

    void step_set_level(const StepArgs& a) {
        const YAML::Node& v = a.value;
        if (auto hz = level_rate(v)) set_rate(*hz, a.item, a.label, false);
    }

    void step_hold(const StepArgs& a) {
        const YAML::Node& v = a.value;
        if (auto d = time_value(v, "hold")) {
            push(StepKind::hold, a.item, a.label).duration = *d;
            duration += *d;
        }
    }

    // The mapping of a ramp or a step: its target rate (`to` or `level`, Hz)
    // and its time under `time_key` (s); nothing after the diagnostics.
    struct RateAndTime {
        double rate_hz;
        double time_s;
    };
    std::optional<RateAndTime> rate_and_time(const YAML::Node& v, const char* step, std::string_view time_key,
                                             const Range& range) {
        MapReader r(v, file_.path, diags_, step);
        if (!r.valid()) return std::nullopt;
        double to = 0.0;
        const bool to_ok = target_rate(r, to);
        auto t = r.quantity(time_key, Dimension::time, Need::required, range);
        r.finish();
        if (!to_ok || !t) return std::nullopt;
        return RateAndTime{to, *t};
    }

    void step_ramp(const StepArgs& a) {
        if (const auto rt = rate_and_time(a.value, "ramp", "over", Range{1e-3, 3600.0, "", ""})) {
            auto& p = push(StepKind::ramp, a.item, a.label);
            p.rate_hz = rt->rate_hz;
            p.duration = seconds_to_ns(rt->time_s);
            duration += p.duration;
            st_.rate_hz = rt->rate_hz;
        }
    }

    void step_step(const StepArgs& a) {
        if (const auto rt = rate_and_time(a.value, "step", "hold", Range{0.0, 3600.0, "", ""})) {
            if (!st_.power) diags_.warning(at(a.item), "step: the pen is not powered on at this point");
            set_rate(rt->rate_hz, a.item, a.label, true);
            auto& h = push(StepKind::hold, a.item, a.label + " (hold)");
            h.duration = seconds_to_ns(rt->time_s);
            duration += h.duration;
        }
    }

    void step_stall(const StepArgs& a) {
        const YAML::Node& v = a.value;
        MapReader r(v, file_.path, diags_, "stall");
        if (!r.valid()) return;
        auto d = r.quantity("for", Dimension::time, Need::required, Range{1e-3, 600.0, "", ""});
        auto rel = r.boolean("release", Need::optional);
        r.finish();
        if (d) {
            if (!st_.power || st_.rate_hz <= 0.0) {
                diags_.error(at(a.item), "stall: the pen must be powered and running (power: on and a rate set) "
                                       "before the brake is engaged");
            }
            auto& p = push(StepKind::stall, a.item, a.label);
            p.duration = seconds_to_ns(*d);
            p.release_after = rel.value_or(true);
            duration += p.duration;
            st_.brake = !p.release_after;
            st_.stall_seen = true;
        }
    }

    void step_release(const StepArgs& a) {
        const YAML::Node& v = a.value;
        if (!v.IsScalar() || v.Scalar() != "brake") {
            diags_.error(at(v), "release: expected 'release: brake'");
            return;
        }
        push(StepKind::release, a.item, a.label);
        st_.brake = false;
    }

    void step_wait_until(const StepArgs& a) {
        const YAML::Node& v = a.value;
        MapReader r(v, file_.path, diags_, "wait_until");
        if (!r.valid()) return;
        auto c = r.choice("condition", {"rate_stable", "stopped", "running", "depth_reached"});
        auto t = r.quantity("timeout", Dimension::time, Need::required, Range{1e-3, 3600.0, "", ""});
        r.finish();
        if (c && t) {
            auto& p = push(StepKind::wait_until, a.item, a.label + " " + *c);
            p.condition = *c == "rate_stable" ? WaitCondition::rate_stable
                          : *c == "stopped"   ? WaitCondition::stopped
                          : *c == "running"   ? WaitCondition::running
                                              : WaitCondition::depth_reached;
            p.duration = seconds_to_ns(*t);
            duration += p.duration;
            if (p.condition == WaitCondition::rate_stable && st_.rate_hz <= 0.0) {
                diags_.error(at(a.item), "wait_until rate_stable: no rate setpoint before this step");
            }
        }
    }

    void step_repeat(const StepArgs& a) {
        const YAML::Node& v = a.value;
        MapReader r(v, file_.path, diags_, "repeat");
        if (!r.valid()) return;
        auto n = r.integer("count", Need::required, 1, 10000);
        auto body = r.raw("steps");
        if (!body.IsDefined()) r.error("steps", "repeat: missing required key 'steps'");
        r.finish();
        if (!n || !body.IsDefined()) return;
        if (++depth_ > 8) {
            diags_.error(at(a.item), "repeat: nested more than 8 levels deep");
            --depth_;
            return;
        }
        if (!within_limits(a.item, *n, body)) {
            --depth_;
            return;
        }
        for (long long i = 1; i <= *n; ++i) {
            const std::size_t errs = diags_.error_count();
            steps(body, "repeat.steps", a.suffix + " [" + std::to_string(i) + "/" + std::to_string(*n) + "]");
            if (diags_.error_count() > errs) break;  // one report per problem, not one per iteration
        }
        --depth_;
    }

    void step_sweep(const StepArgs& a) {
        const YAML::Node& v = a.value;
        sweep(v, a.item, a.suffix);
    }

    void step_measure(const StepArgs& a) {
        const YAML::Node& v = a.value;
        measure(v, a.item, a.label, a.suffix);
    }

    // A step whose value is a word or text: it, or nullptr after an error
    // saying what was `expected`.
    const std::string* text_value(const YAML::Node& v, const char* expected) {
        if (!v.IsScalar() || v.Scalar().empty()) {
            diags_.error(at(v), expected);
            return nullptr;
        }
        return &v.Scalar();
    }

    void step_prompt(const StepArgs& a) {
        if (const auto* text = text_value(a.value, "prompt: expected the text to show the operator")) {
            push(StepKind::prompt, a.item, a.label).text = *text;
        }
    }

    void step_fault(const StepArgs& a) {
        const YAML::Node& v = a.value;
        if (!capabilities_of(fixture_cfg_).injects_faults) {
            diags_.error(at(a.item), "fault: fixture '" + fixture_cfg_.name +
                                       "' cannot inject faults (fault injection needs the sim backend)");
            return;
        }
        if (!v.IsMap() || v.size() == 0) {
            diags_.error(at(v), "fault: expected a mapping such as 'fault: {weak_spring: 50 %}'");
            return;
        }
        for (const auto& kv : v) {
            if (auto f = parse_fault(kv.first.Scalar(), kv.second, file_.path, diags_)) {
                push(StepKind::fault, a.item, a.label + " " + kv.first.Scalar()).fault = *f;
            }
        }
    }

    void step_mark(const StepArgs& a) {
        if (const auto* name = text_value(a.value, "mark: expected a name")) {
            push(StepKind::mark, a.item, a.label).text = *name;
            marks_.insert(*name);
        }
    }

    void step_reference(const StepArgs& a) {
        const YAML::Node& v = a.value;
        const YAML::Node& item = a.item;
        if (!text_value(v, "reference: expected a method such as 'reference: touch_off'")) return;
        const auto method = reference_method_from_string(v.Scalar());
        if (!method) {
            diags_.error(at(v), "reference: unknown method '" + v.Scalar() + "' (known: touch_off, index)");
            return;
        }
        // Ask the fixture what it can do (its file's `reference.methods`).
        if (!fixture_cfg_.reference.supports(*method)) {
            std::string have;
            for (auto m : fixture_cfg_.reference.methods) have += (have.empty() ? "" : ", ") + std::string(to_string(m));
            diags_.error(at(v), "reference: fixture '" + fixture_cfg_.name + "' has no '" + v.Scalar() +
                                    "' method (its reference.methods: " + (have.empty() ? "none" : have) + ")");
            return;
        }
        if (st_.power) {
            diags_.error(at(item), *method == ReferenceMethod::index
                                       ? "reference: the pen must be off (power: off) for an index reference: the "
                                         "step runs the pen itself at the fixture's pass rate and switches it off"
                                       : "reference: the pen must be off (power: off) for a touch-off: the needle is "
                                         "moved onto the face gauge with the cam at rest");
            return;
        }
        if (st_.brake) diags_.error(at(item), "reference: release the brake first");
        auto& p = push(StepKind::reference, item, a.label + " " + v.Scalar());
        p.method = *method;
        p.duration = fixture_cfg_.reference.time_bound(*method);
        duration += p.duration;
        st_.referenced = true;
    }

    /// What a list of steps expands to, counted without expanding it (a
    /// nested repeat multiplies): steps in the plan and seconds of run time.
    /// Linear in the size of the text, whatever the counts say.
    struct Cost {
        double steps = 0.0;
        double seconds = 0.0;
    };
    static Cost cost_of(const YAML::Node& list) {
        Cost c;
        if (!list.IsSequence()) return c;
        for (const auto& item : list) {
            if (!item.IsMap()) continue;
            for (const auto& kv : item) {
                const std::string k = kv.first.Scalar();
                if (k == "label") continue;
                const YAML::Node& v = kv.second;
                if (k == "repeat" && v.IsMap()) {
                    double count = 0.0;
                    if (v["count"] && v["count"].IsScalar()) {
                        try {
                            count = std::max(0.0, std::stod(v["count"].Scalar()));
                        } catch (const std::exception&) {
                        }
                    }
                    const Cost inner = cost_of(v["steps"]);
                    c.steps += count * inner.steps;
                    c.seconds += count * inner.seconds;
                    continue;
                }
                c.steps += (k == "sweep") ? 64.0 : 2.0;  // generous: a sweep is bounded by its value list
                auto add_time = [&](const YAML::Node& t) {
                    if (!t || !t.IsScalar()) return;
                    const auto q = parse_quantity(t.Scalar(), Dimension::time);
                    if (const auto* sec = std::get_if<double>(&q)) c.seconds += std::max(0.0, *sec);
                };
                if (k == "hold") add_time(v);
                if (v.IsMap()) {
                    for (const char* tk : {"duration", "over", "hold", "timeout", "for"}) add_time(v[tk]);
                }
            }
        }
        return c;
    }

    /// A repeat whose expansion would pass the plan's size or duration limit
    /// is an error at the repeat, found before anything is expanded.
    bool within_limits(const YAML::Node& item, long long count, const YAML::Node& body) {
        const Cost one = cost_of(body);
        const double steps = static_cast<double>(plan.size()) + static_cast<double>(count) * one.steps;
        const double seconds = std::chrono::duration<double>(duration).count() + static_cast<double>(count) * one.seconds;
        if (steps > static_cast<double>(kMaxPlanSteps)) {
            diags_.error(at(item), "repeat: expands to about " + fmt(steps) + " steps; a scenario may have at most " +
                                       std::to_string(kMaxPlanSteps) + " (the plan size limit)");
            return false;
        }
        if (seconds > std::chrono::duration<double>(kMaxScenarioDuration).count()) {
            diags_.error(at(item), "repeat: the scenario would run about " + fmt(seconds / 3600.0) +
                                       " h; a scenario may run at most " +
                                       std::to_string(std::chrono::duration_cast<std::chrono::hours>(kMaxScenarioDuration).count()) +
                                       " h (the scenario duration limit)");
            return false;
        }
        return true;
    }

    void sweep(const YAML::Node& v, const YAML::Node& item, const std::string& suffix) {
        MapReader r(v, file_.path, diags_, "sweep");
        if (!r.valid()) return;
        auto over = r.choice("over", {"depth", "rate", "level"});
        auto values = r.raw("values");
        auto body = r.raw("steps");
        if (!values.IsDefined()) r.error("values", "sweep: missing required key 'values'");
        if (!body.IsDefined()) r.error("steps", "sweep: missing required key 'steps'");
        r.finish();
        if (!over || !values.IsDefined() || !body.IsDefined()) return;
        // Values: a list, or `all` (every dial step / every speed level of the spec).
        std::vector<std::pair<double, std::string>> vals;  // (value, label)
        if (values.IsScalar() && values.Scalar() == "all") {
            if (*over == "depth") {
                for (double mm : spec_.dial_settings_mm()) {
                    if (mm <= fixture_cfg_.max_depth_mm + 1e-9) vals.emplace_back(mm, fmt(mm) + " mm");
                }
            } else if (*over == "level") {
                for (const auto& [l, hz] : spec_.levels_hz) vals.emplace_back(hz, "level " + std::to_string(l));
            } else {
                diags_.error(at(values), "sweep over rate: 'all' is only for depth and level; list the rates");
                return;
            }
        } else if (values.IsSequence()) {
            for (const auto& x : values) {
                if (*over == "depth") {
                    auto m = read_quantity(x, Dimension::length, file_.path, diags_, "sweep value");
                    if (m && check_depth(*m * 1e3, x)) vals.emplace_back(*m * 1e3, fmt(*m * 1e3) + " mm");
                } else if (*over == "rate") {
                    if (auto hz = rate_value(x, "sweep value")) vals.emplace_back(*hz, fmt(*hz) + " Hz");
                } else if (auto hz = level_rate(x)) {
                    vals.emplace_back(*hz, "level " + x.Scalar());
                }
            }
        } else {
            diags_.error(at(values), "sweep.values: expected a list or 'all'");
            return;
        }
        if (vals.empty()) {
            diags_.error(at(values), "sweep.values: no values to sweep over");
            return;
        }
        for (std::size_t i = 0; i < vals.size(); ++i) {
            // The value's label names what is swept ("level 3", "0.5 mm"): a
            // level sweep is " [level 3]", not " [level level 3]".
            const std::string s =
                suffix + " [" + (*over == "level" ? vals[i].second : *over + " " + vals[i].second) + "]";
            if (*over == "depth") {
                set_depth(vals[i].first, item, "set_depth" + s);
            } else {
                set_rate(vals[i].first, item, "set_rate" + s, false);
            }
            const std::size_t errs = diags_.error_count();
            steps(body, "sweep.steps", s);
            if (diags_.error_count() > errs) break;
        }
    }

    void measure(const YAML::Node& v, const YAML::Node& item, const std::string& lbl, const std::string& suffix) {
        MapReader r(v, file_.path, diags_, "measure");
        if (!r.valid()) return;
        MeasureSpec m;
        auto what_s = r.string("what");
        const MeasureKind* what = nullptr;
        if (what_s) {
            what = find_measure_kind(*what_s);
            if (what == nullptr) {
                std::vector<std::string_view> names;
                std::string list;
                for (const auto* k : measure_kinds()) {
                    names.push_back(k->name);
                    list += (list.empty() ? "" : ", ") + std::string(k->name);
                }
                std::string msg = "measure: unknown quantity '" + *what_s + "'";
                if (auto s = closest_match(*what_s, names)) msg += " (did you mean '" + *s + "'?)";
                msg += "; expected one of: " + list;
                r.error("what", msg);
            }
        }
        if (auto id = r.string("id", Need::optional)) m.id = *id;
        if (auto l = r.string("label", Need::optional)) m.label = *l;
        if (auto req = r.string_list("requirements", Need::optional)) m.requirements = *req;
        {
            // Linear: a long requirement list must not make validation quadratic.
            std::unordered_set<std::string> have(m.requirements.begin(), m.requirements.end());
            for (const auto& q : scenario_requirements) {
                if (have.insert(q).second) m.requirements.push_back(q);
            }
        }
        // Window.
        const bool event_based = what != nullptr && what->anchor != nullptr;
        m.window.kind = event_based ? Window::Kind::since_event : Window::Kind::previous;
        YAML::Node w = r.raw("window");
        if (w.IsDefined()) {
            if (w.IsScalar() && w.Scalar() == "previous") {
                m.window.kind = Window::Kind::previous;
                if (plan.empty()) diags_.error(at(w), "measure: window 'previous' but there is no previous step");
            } else if (w.IsScalar()) {
                if (auto d = time_value(w, "measure.window")) {
                    m.window.kind = Window::Kind::duration;
                    m.window.duration = *d;
                    duration += *d;
                }
            } else if (w.IsMap()) {
                MapReader wr(w, file_.path, diags_, "measure.window");
                if (auto s = wr.string("since")) {
                    m.window.kind = Window::Kind::since_mark;
                    m.window.mark = *s;
                    if (!marks_.count(*s)) {
                        wr.error("since", "measure.window: no 'mark: " + *s + "' before this step");
                    }
                }
                wr.finish();
            } else {
                diags_.error(at(w), "measure.window: expected a duration ('2 s'), 'previous' or {since: <mark>}");
            }
        } else if (!event_based && plan.empty()) {
            diags_.error(at(item), "measure: no window given and there is no previous step to measure over");
        }
        // References to earlier measurements (speed_regulation's no_load/loaded).
        for (const auto* k : measure_kinds()) {
            for (const auto key : k->ref_keys) {
                const std::string ks(key);
                if (!r.has(ks)) continue;
                if (what != k) {
                    if (what != nullptr) {
                        r.accept({key});
                        r.error(ks, "measure: '" + ks + "' only applies to " + std::string(k->name));
                    }
                    continue;
                }
                auto val = r.string(ks);
                if (!val) continue;
                auto it = measure_ids_.find(*val);
                if (it == measure_ids_.end()) {
                    r.error(ks, "measure: '" + ks + "' refers to '" + *val +
                                    "', which is not the id of an earlier measure step");
                } else if (it->second->name != k->refs_kind) {
                    r.error(ks, "measure: '" + ks + "' must refer to a " + std::string(k->refs_kind) + " measurement");
                }
                m.refs[ks] = *val + suffix_of(*val);
            }
        }
        if (what != nullptr) {
            for (const auto key : what->ref_keys) {
                if (!r.has(std::string(key))) r.string(std::string(key));  // required: reports it missing
            }
        }
        YAML::Node lim = r.raw("limits");
        r.finish();
        if (what == nullptr) return;
        m.what = what;
        m.setpoint_hz = st_.rate_hz;
        m.dial_mm = st_.depth_mm;
        limits(m, lim, item);
        std::vector<std::string> problems;
        if (what->preconditions != nullptr) what->preconditions(m, st_, problems);
        for (auto& e : problems) diags_.error(at(item), std::move(e));
        if (what->face_referenced && !st_.referenced) {
            diags_.warning(at(item), "measure " + std::string(what->name) +
                                         ": no 'reference:' step before it: the cartridge face is not known in "
                                         "encoder counts and the run will give ERROR for it");
        }
        // Ids: unique across the expanded plan; a repeated body gets its iteration suffix.
        if (m.id.empty()) m.id = std::string(what->name) + "_" + std::to_string(++auto_id_);
        const std::string base_id = m.id;
        m.id += id_suffix(suffix);
        if (std::any_of(plan.begin(), plan.end(),
                        [&](const PlanStep& p) { return p.kind == StepKind::measure && p.measure.id == m.id; })) {
            diags_.error(at(item), "measure: duplicate id '" + m.id + "'");
        }
        measure_ids_[base_id] = what;
        last_suffix_[base_id] = id_suffix(suffix);
        if (m.label.empty()) m.label = lbl;
        auto& ps = push(StepKind::measure, item, lbl + " " + std::string(what->name));
        if (m.window.kind == Window::Kind::duration) ps.duration = m.window.duration;  // the step holds for its window
        ps.measure = std::move(m);
    }

    /// The id suffix of a repeat/sweep iteration: " [2/5]" -> "@2/5",
    /// " [level 3]" -> "@level_3", nested " [2/5] [level 3]" -> "@2/5_level_3".
    static std::string id_suffix(const std::string& suffix) {
        std::string s;
        for (char c : suffix) {
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '/') s += c;
            else if (!s.empty() && s.back() != '_') s += '_';
        }
        while (!s.empty() && s.back() == '_') s.pop_back();
        return s.empty() ? "" : "@" + s;
    }
    std::string suffix_of(const std::string& id) const {
        auto it = last_suffix_.find(id);
        return it == last_suffix_.end() ? "" : it->second;
    }

    // Limits: inline (`limits:`) or from the spec; a measure with neither is an error.
    void limits(MeasureSpec& m, const YAML::Node& lim, const YAML::Node& item) {
        const MeasureKind& k = *m.what;
        std::vector<std::string> names;
        for (const auto& q : k.quantities) {
            if (q.inline_limits) names.emplace_back(q.name);
        }
        if (lim.IsDefined() && !names.empty()) {
            MapReader lr(lim, file_.path, diags_, "measure.limits");
            if (k.grouped_limits()) {
                for (const auto& n : names) {
                    if (auto sub = lr.map(n, Need::optional)) m.limits[n] = inline_limits(*sub, n);
                }
                lr.finish();
            } else if (lr.valid()) {
                m.limits[names[0]] = inline_limits(lr, names[0]);
            }
        }
        // Spec-derived limits for what is not inline.
        if (k.spec_limits != nullptr) k.spec_limits(m, spec_, fixture_cfg_, st_);
        bool any = false;
        for (const auto& n : names) any = any || m.limits.count(n) > 0;
        if (!any) {
            diags_.error(at(item), "measure " + std::string(k.name) +
                                       ": no limits, neither inline ('limits:') nor in the spec (" +
                                       spec_.source.path + ")");
        }
    }

    Limits inline_limits(MapReader& lr, const std::string& name) {
        const Quantity* q = find_quantity(name);
        Limits l;
        l.source = "inline";
        if (q == nullptr) return l;
        auto conv = [&](double si) { return to_unit(si, q->unit); };
        if (auto lo = lr.quantity("low", q->dim, Need::optional)) l.low = conv(*lo);
        if (auto hi = lr.quantity("high", q->dim, Need::optional)) l.high = conv(*hi);
        if (!lr.has("low") && !lr.has("high")) {
            diags_.error(lr.where(), "measure.limits: give 'low', 'high' or both");
        }
        if (l.low && l.high && *l.high < *l.low) lr.error("high", "measure.limits: 'high' is below 'low'");
        lr.finish();
        return l;
    }

    const YamlFile& file_;
    const PenSpec& spec_;
    const FixtureConfig& fixture_cfg_;
    Diagnostics& diags_;
    PlanState st_;
    int depth_ = 0;
    int auto_id_ = 0;
    std::set<std::string> marks_;
    std::map<std::string, const MeasureKind*> measure_ids_;
    std::map<std::string, std::string> last_suffix_;
};

std::span<const StepKindInfo> Builder::step_kinds() {
    static constexpr StepKindInfo kKinds[] = {
        {"power", &Builder::step_power},         {"set_depth", &Builder::step_set_depth},
        {"set_rate", &Builder::step_set_rate},   {"set_level", &Builder::step_set_level},
        {"hold", &Builder::step_hold},           {"ramp", &Builder::step_ramp},
        {"step", &Builder::step_step},           {"stall", &Builder::step_stall},
        {"release", &Builder::step_release},     {"wait_until", &Builder::step_wait_until},
        {"repeat", &Builder::step_repeat},       {"sweep", &Builder::step_sweep},
        {"measure", &Builder::step_measure},     {"prompt", &Builder::step_prompt},
        {"fault", &Builder::step_fault},         {"mark", &Builder::step_mark},
        {"reference", &Builder::step_reference},
    };
    return kKinds;
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
    std::filesystem::path q(p);
    // Normalised: the record and the report show "fixtures/sim.yaml", not
    // "scenarios/../fixtures/sim.yaml".
    return (q.is_absolute() ? q : base / q).lexically_normal();
}

}  // namespace

std::optional<Scenario> load_scenario_text(std::string name, std::string text, const std::filesystem::path& base_dir,
                                           Diagnostics& diags, const LoadOptions& opts) {
    auto file = load_yaml_text(std::move(name), std::move(text), diags);
    if (!file) return std::nullopt;
    const std::size_t errors_before = diags.error_count();
    Scenario sc;
    MapReader r(file->root, file->path, diags, "scenario");
    if (auto v = r.string("id")) sc.id = *v;
    if (auto v = r.string("title")) sc.title = *v;
    if (auto v = r.string("version")) sc.version = *v;
    if (auto v = r.string_list("requirements", Need::optional)) sc.requirements = *v;
    if (auto v = r.string_list("tags", Need::optional)) sc.tags = *v;
    if (auto v = r.integer("seed", Need::optional, 0, std::numeric_limits<long long>::max())) {
        sc.seed = static_cast<std::uint64_t>(*v);
    }
    r.string("description", Need::optional);
    if (auto ex = r.map("expect", Need::optional)) {
        sc.expect_verdict = ex->choice("verdict", {"PASS", "FAIL", "ERROR", "ABORTED"});
        if (auto om = ex->map("outcomes", Need::optional)) {
            for (const auto& kv : om->node()) {
                om->accept({});
                const std::string o = kv.second.IsScalar() ? kv.second.Scalar() : "";
                if (o != "PASS" && o != "FAIL" && o != "ERROR") {
                    diags.error(location_of(kv.second, file->path), "expect.outcomes: expected PASS, FAIL or ERROR");
                } else {
                    sc.expect_outcomes[kv.first.Scalar()] = o;
                }
            }
        }
        ex->finish();
    }
    // Spec and fixture: referenced files, relative to the scenario's folder.
    std::optional<PenSpec> spec;
    if (opts.spec_text) {
        r.accept({"spec"});
        if (auto f = load_yaml_text(opts.spec_text->name, opts.spec_text->text, diags)) spec = parse_spec(std::move(*f), diags);
    } else if (auto sp = r.string("spec")) {
        const auto path = opts.spec_override ? *opts.spec_override : resolve(base_dir, *sp);
        std::error_code ec;
        if (opts.read_include && !opts.spec_override) {
            if (auto inc = opts.read_include(*sp, path)) {
                if (auto f = load_yaml_text(path.string(), std::move(*inc), diags)) spec = parse_spec(std::move(*f), diags);
            } else {
                r.error("spec", "spec: " + quote_token(*sp) + " was not sent with the submission and is not a spec of the rig's library");
            }
        } else if (!std::filesystem::exists(path, ec)) {
            r.error("spec", "spec: no such file '" + path.string() + "'");
        } else {
            spec = load_spec(path, diags);
        }
    }
    std::optional<FixtureConfig> fixture;
    {
        std::filesystem::path fpath;
        bool from_scenario = false;
        if (opts.fixture_text) {
            r.accept({"fixture"});
        } else if (opts.fixture_override) {
            fpath = *opts.fixture_override;
            r.accept({"fixture"});
        } else if (auto fx = r.string("fixture", Need::optional)) {
            fpath = resolve(base_dir, *fx);
            from_scenario = true;
        } else {
            fpath = opts.default_fixture;
        }
        std::error_code ec;
        if (opts.fixture_text) {
            if (auto f = load_yaml_text(opts.fixture_text->name, opts.fixture_text->text, diags)) {
                fixture = parse_fixture(std::move(*f), diags);
            }
        } else if (!std::filesystem::exists(fpath, ec)) {
            if (from_scenario) {
                r.error("fixture", "fixture: no such file '" + fpath.string() + "'");
            } else {
                diags.error({fpath.string(), 0, 0}, "no such file (fixture)");
            }
        } else {
            fixture = load_fixture(fpath, diags);
        }
    }
    YAML::Node steps = r.raw("steps");
    if (!steps.IsDefined()) r.error("steps", "scenario: missing required key 'steps'");
    r.finish();
    if (spec && fixture && steps.IsDefined()) {
        Builder b(*file, *spec, *fixture, diags);
        b.scenario_requirements = sc.requirements;
        b.steps(steps, "steps", "");
        sc.plan = std::move(b.plan);
        sc.expected_duration = b.duration;
        if (sc.expected_duration > kMaxScenarioDuration) {
            diags.error(location_of(steps, file->path),
                        "scenario: runs about " + std::to_string(std::chrono::duration_cast<std::chrono::minutes>(sc.expected_duration).count()) +
                            " min; a scenario may run at most " +
                            std::to_string(std::chrono::duration_cast<std::chrono::hours>(kMaxScenarioDuration).count()) +
                            " h (the scenario duration limit)");
        }
        if (std::none_of(sc.plan.begin(), sc.plan.end(), [](const PlanStep& p) { return p.kind == StepKind::measure; })) {
            diags.warning(location_of(steps, file->path),
                          "scenario: no measure step; a run of it ends ERROR (nothing was measured)");
        }
    }
    if (diags.error_count() > errors_before || !spec || !fixture) return std::nullopt;
    sc.spec = std::move(*spec);
    sc.fixture = std::move(*fixture);
    sc.source = std::move(*file);
    return sc;
}

std::optional<Scenario> load_scenario(const std::filesystem::path& path, Diagnostics& diags, const LoadOptions& opts) {
    auto text = read_input_file(path, diags);
    if (!text) return std::nullopt;
    const auto base = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    return load_scenario_text(path.string(), std::move(*text), base, diags, opts);
}

std::string detect_file_kind(const YamlFile& file) {
    if (!file.root.IsMap()) return "";
    if (file.root["steps"]) return "scenario";
    if (file.root["backend"]) return "fixture";
    if (file.root["levels"] || file.root["model"]) return "spec";
    return "";
}

bool validate_file(const std::filesystem::path& path, Diagnostics& diags, const LoadOptions& opts) {
    const std::size_t before = diags.error_count();
    auto file = load_yaml_file(path, diags);
    if (!file) return false;
    const std::string kind = detect_file_kind(*file);
    if (kind == "scenario") {
        load_scenario(path, diags, opts);
    } else if (kind == "fixture") {
        parse_fixture(std::move(*file), diags);
    } else if (kind == "spec") {
        parse_spec(std::move(*file), diags);
    } else {
        diags.error({path.string(), 1, 1},
                    "cannot tell what this file is: a scenario has 'steps', a fixture 'backend', a pen spec 'levels'");
    }
    return diags.error_count() == before;
}

}  // namespace rig
