// startup_time: power on -> rate inside the start-up band and staying there, ms.
#include "rig/drivers/true_rate.hpp"
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

#include "kind_parts.hpp"

namespace rig {
namespace {

struct StartupTime {
    static constexpr Quantity quantities[] = {
        {"startup_time", Dimension::time, "ms", "power-on to the rate entering the start-up band and staying there"},
    };

    static bool anchor(const Scenario&, const Event& e) { return e.kind == EventKind::power_on; }

    static void preconditions(const MeasureSpec&, const PlanState& st, std::vector<std::string>& errors) {
        if (!st.powered_ever) errors.emplace_back("measure startup_time: no 'power: on' before this step");
        kind_parts::require(quantities[0].name, {.rate = true}, st, errors);
    }

    static void spec_limits(MeasureSpec& m, const PenSpec& spec, const FixtureConfig&, const PlanState&) {
        limits_from_spec(m, "startup_time", std::nullopt, scaled(spec.startup_max_s, 1e3), "startup.max_time");
    }

    static constexpr std::string_view description =
        "start-up time: power on to the puncture rate inside the spec's start-up band around the setpoint and "
        "staying there, ms";

    static std::vector<Measurement> measure(const MeasureContext& c) {
        Measurement r = c.base("startup_time");
        const auto range = analysis::index_range(c.data.trace, c.window);
        const auto strokes = analysis::detect_strokes(c.data.trace, range.begin, range.end, c.stroke_options());
        r.strokes = strokes.size();
        analysis::StartupOptions o;
        o.band_fraction = c.sc.spec.startup_band;
        const auto s = analysis::startup_time(strokes, c.window.begin_ns, c.window.end_ns, c.m.setpoint_hz, o);
        r.stats = {{"target_hz", c.m.setpoint_hz}, {"band", c.sc.spec.startup_band}, {"intervals", s.intervals}};
        const auto tp = c.timing_problem();
        if (s.never_settled && !tp) {
            // Valid data, and the pen never reached its band: the pen's failure,
            // with the bound the window gives.
            fail_without_value(r, *s.invalid);
            r.stats["lower_bound_ms"] = s.lower_bound_s * 1e3;
        } else {
            judge(r, s.startup_time_s * 1e3, first_problem({s.invalid, tp}));
        }
        if (c.data.truth != nullptr) {
            // Truth: the model's own rate (its cam phase, true_rate.hpp), never
            // the rig's strokes; never silently absent.
            const std::int64_t off = c.data.truth_offset_ns;
            const auto t = true_startup_time(c.data.truth->rates, c.window.begin_ns + off, c.window.end_ns + off,
                                             c.m.setpoint_hz, o.band_fraction);
            if (t.time_s) r.truth = *t.time_s * 1e3;
            else r.truth_detail["absent"] = t.never_settled ? "the true rate never settled in the band" : *t.absent;
        }
        return {r};
    }

    /// Power-on is the loop tick's own stamp; the band entry is interpolated on
    /// the per-interval rates, where their scatter moves it by scatter / slope
    /// (the rate creeps into a 2 % band: a small slope); the clock's frequency
    /// error scales the duration.
    static Budget budget(const BudgetInput& in) {
        Budget b;
        const double t_entry_ns = static_cast<double>(in.c.window.begin_ns) + *in.r.value * 1e6;
        add_rate_crossing(b, in.c, "band entry", t_entry_ns, std::chrono::nanoseconds(0), 1e3);
        add_time_base(b, in.c.sc.fixture, *in.r.value);
        return b;
    }

    static constexpr std::string_view plot = "startup";
    static constexpr std::span<const std::string_view> instruments = kind_parts::kEncoder;
};

}  // namespace

extern const MeasureKind kStartupTime = kind_parts::describe<StartupTime>();

}  // namespace rig
