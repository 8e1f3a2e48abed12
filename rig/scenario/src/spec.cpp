#include "rig/scenario/spec.hpp"

#include <charconv>
#include <cmath>

namespace rig {

std::vector<double> PenSpec::dial_settings_mm() const {
    std::vector<double> out;
    if (dial_step_mm <= 0.0) return out;
    // Integer stepping avoids accumulating floating-point error over the dial.
    const auto n = static_cast<long>(std::floor((depth_max_mm - depth_min_mm) / dial_step_mm + 1e-9));
    for (long i = 0; i <= n; ++i) {
        out.push_back(std::round((depth_min_mm + static_cast<double>(i) * dial_step_mm) * 1e6) / 1e6);
    }
    return out;
}

std::optional<PenSpec> parse_spec(YamlFile file, Diagnostics& diags) {
    const std::size_t errors_before = diags.error_count();
    PenSpec s;
    MapReader r(file.root, file.path, diags, "spec");
    if (auto v = r.string("model")) s.model = *v;
    if (auto v = r.string("version")) s.version = *v;
    if (auto v = r.string("manufacturer", Need::optional)) s.manufacturer = *v;
    // How a value near a limit is judged given its U (README "How good is the rig?").
    if (auto v = r.choice("decision_rule", {"simple", "guarded"}, Need::optional)) {
        s.decision_rule = decision_rule_from(*v).value_or(DecisionRule::simple);
    }

    if (auto lv = r.map("levels")) {
        for (const auto& kv : lv->node()) {
            const std::string key = kv.first.Scalar();
            int level = 0;
            auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), level);
            if (ec != std::errc{} || p != key.data() + key.size() || level < 0 || level > 99) {
                diags.error(location_of(kv.first, file.path),
                            "spec.levels: level '" + key + "' is not a whole number 0..99");
                continue;
            }
            lv->accept({});
            if (auto hz = read_quantity(kv.second, Dimension::frequency, file.path, diags,
                                        "level " + key, Range{1.0, 1000.0, "", ""})) {
                s.levels_hz[level] = *hz;
            }
        }
        if (lv->node().size() == 0) diags.error(lv->where(), "spec.levels: at least one speed level is required");
        // Keys are level numbers, not names: nothing to report as unknown.
    }
    if (auto rate = r.map("rate")) {
        if (auto v = rate->quantity("tolerance", Dimension::ratio, Need::required, Range{0.0, 0.5, "", "50 %"})) {
            s.rate_tolerance = *v;
        }
        if (auto v = rate->quantity("startup_band", Dimension::ratio, Need::optional, Range{0.0, 0.5, "", "50 %"})) {
            s.startup_band = *v;
        }
        rate->finish();
    }
    if (auto d = r.map("depth")) {
        if (auto v = d->quantity("min", Dimension::length, Need::required, Range{0.0, 5e-3, "", "5 mm"})) {
            s.depth_min_mm = *v * 1e3;
        }
        if (auto v = d->quantity("max", Dimension::length, Need::required, Range{0.0, 5e-3, "", "5 mm"})) {
            s.depth_max_mm = *v * 1e3;
        }
        if (auto v = d->quantity("dial_step", Dimension::length, Need::required, Range{1e-5, 5e-3, "", ""})) {
            s.dial_step_mm = *v * 1e3;
        }
        if (auto v = d->quantity("tolerance", Dimension::length, Need::required, Range{0.0, 1e-3, "", "1 mm"})) {
            s.depth_tolerance_mm = *v * 1e3;
        }
        if (s.depth_max_mm < s.depth_min_mm) d->error("max", "spec.depth: 'max' is below 'min'");
        d->finish();
    }
    if (auto f = r.map("strike_force", Need::optional)) {
        if (auto v = f->quantity("min", Dimension::force, Need::optional, Range{0.0, 100.0, "", ""})) s.force_min_n = *v;
        if (auto v = f->quantity("max", Dimension::force, Need::optional, Range{0.0, 100.0, "", ""})) s.force_max_n = *v;
        if (s.force_min_n && s.force_max_n && *s.force_max_n < *s.force_min_n) {
            f->error("max", "spec.strike_force: 'max' is below 'min'");
        }
        f->finish();
    }
    if (auto st = r.map("startup", Need::optional)) {
        if (auto v = st->quantity("max_time", Dimension::time, Need::required, Range{0.0, 60.0, "", ""})) {
            s.startup_max_s = *v;
        }
        st->finish();
    }
    if (auto sr = r.map("step_response", Need::optional)) {
        if (auto v = sr->quantity("max_rise_time", Dimension::time, Need::optional, Range{0.0, 60.0, "", ""})) s.rise_max_s = *v;
        if (auto v = sr->quantity("max_overshoot", Dimension::ratio, Need::optional, Range{0.0, 10.0, "", ""})) s.overshoot_max = *v;
        if (auto v = sr->quantity("max_settling_time", Dimension::time, Need::optional, Range{0.0, 60.0, "", ""})) s.settling_max_s = *v;
        sr->finish();
    }
    if (auto reg = r.map("speed_regulation", Need::optional)) {
        if (auto v = reg->quantity("max", Dimension::ratio, Need::required, Range{0.0, 1.0, "", "100 %"})) s.regulation_max = *v;
        reg->finish();
    }
    if (auto st = r.map("stall", Need::optional)) {
        if (auto v = st->quantity("max_latency", Dimension::time, Need::required, Range{0.0, 10.0, "", ""})) s.stall_latency_max_s = *v;
        if (auto v = st->quantity("cutoff_current", Dimension::current, Need::optional, Range{0.0, 10.0, "", ""})) s.stall_cutoff_current_a = *v;
        if (auto v = st->choice("after", {"retry", "latch"})) s.after_stall = *v == "retry" ? AfterStall::retry : AfterStall::latch;
        if (auto v = st->quantity("retry_delay", Dimension::time, s.after_stall == AfterStall::retry ? Need::required : Need::optional,
                                  Range{0.0, 60.0, "", ""})) {
            s.retry_delay_s = *v;
        }
        if (auto v = st->quantity("retry_tolerance", Dimension::time, Need::optional, Range{0.0, 60.0, "", ""})) s.retry_tolerance_s = *v;
        st->finish();
    }
    r.finish();
    s.source = std::move(file);
    if (diags.error_count() > errors_before) return std::nullopt;
    return s;
}

std::optional<PenSpec> load_spec(const std::filesystem::path& path, Diagnostics& diags) {
    auto f = load_yaml_file(path, diags);
    if (!f) return std::nullopt;
    return parse_spec(std::move(*f), diags);
}

}  // namespace rig
