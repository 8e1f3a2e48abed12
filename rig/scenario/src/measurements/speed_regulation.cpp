// speed_regulation: (no-load rate - loaded rate) / loaded rate x 100 %, from
// two earlier puncture_rate measurements.
#include <algorithm>
#include <cmath>

#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

#include "kind_parts.hpp"

namespace rig {
namespace {

struct SpeedRegulation {
    static constexpr Quantity quantities[] = {
        {"speed_regulation", Dimension::ratio, "%", "(no-load rate - loaded rate) / loaded rate"},
    };
    static constexpr std::string_view ref_keys[] = {"no_load", "loaded"};
    static constexpr std::string_view refs_kind = "puncture_rate";

    static void spec_limits(MeasureSpec& m, const PenSpec& spec, const FixtureConfig&, const PlanState&) {
        limits_from_spec(m, "speed_regulation", std::nullopt, scaled(spec.regulation_max, 1e2), "speed_regulation.max");
    }

    static constexpr std::string_view description =
        "speed regulation: (no-load rate - loaded rate) / loaded rate x 100 %, from two earlier puncture_rate "
        "measurements (no_load, loaded)";

    static std::vector<Measurement> measure(const MeasureContext& c) {
        Measurement r = c.base("speed_regulation");
        const Measurement* nl = nullptr;
        const Measurement* ld = nullptr;
        const auto ref = [&](const char* key) {
            const auto it = c.m.refs.find(key);
            return it == c.m.refs.end() ? std::string() : it->second;
        };
        const std::string nl_id = ref("no_load"), ld_id = ref("loaded");
        for (const auto& e : c.earlier) {
            if (e.id == nl_id) nl = &e;
            if (e.id == ld_id) ld = &e;
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
        r.stats = {{"no_load_hz", *nl->value},
                   {"loaded_hz", *ld->value},
                   {"no_load_id", nl->id},
                   {"loaded_id", ld->id}};
        judge(r, s.regulation_pct, s.invalid);
        if (nl->truth && ld->truth) {
            const auto t = analysis::speed_regulation(*nl->truth, *ld->truth);
            if (t.ok()) r.truth = t.regulation_pct;
        }
        return {r};
    }

    /// S = (nl - ld) / ld x 100 % from the two rates and their budgets: c_nl =
    /// 100 / ld, c_ld = -100 nl / ld^2. The time base is common to both rates and
    /// cancels in the ratio, so each rate enters with its budget less that input.
    static Budget budget(const BudgetInput& in) {
        const auto& s = in.r.stats;
        const std::string nl_id = s.value("no_load_id", ""), ld_id = s.value("loaded_id", "");
        const double nl = s.value("no_load_hz", 0.0), ld = s.value("loaded_hz", 1.0);
        Budget b;
        for (const auto& e : in.c.earlier) {
            if ((e.id != nl_id && e.id != ld_id) || !e.uncertainty) continue;
            double ss = 0.0;
            for (const auto& x : e.uncertainty->components) {
                if (x.name.rfind("time base", 0) != 0) ss += x.contribution * x.contribution;
            }
            const bool no_load = e.id == nl_id;
            b.certificate(no_load ? "no-load rate" : "loaded rate", 2.0 * std::sqrt(ss), 2.0, "Hz",
                          no_load ? 100.0 / ld : -100.0 * nl / (ld * ld),
                          "budget of " + e.id + " without its time base (common to both rates)");
        }
        return b;
    }

    static constexpr std::span<const std::string_view> instruments = kind_parts::kEncoder;
};

}  // namespace

extern const MeasureKind kSpeedRegulation = kind_parts::describe<SpeedRegulation>();

}  // namespace rig
