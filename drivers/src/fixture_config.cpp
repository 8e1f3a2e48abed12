#include "rig/drivers/fixture_config.hpp"

#include <regex>

namespace rig {
namespace {

bool is_iso_date(const std::string& s) {
    static const std::regex re(R"(^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$)");
    return std::regex_match(s, re);
}

void parse_calibration(const YAML::Node& list, const std::string& file, Diagnostics& diags,
                       std::vector<CalibrationRecord>& out) {
    if (!list.IsSequence()) {
        diags.error(location_of(list, file), "calibration: expected a list of calibration records");
        return;
    }
    int i = 0;
    for (const auto& item : list) {
        ++i;
        MapReader r(item, file, diags, "calibration record " + std::to_string(i));
        if (!r.valid()) continue;
        CalibrationRecord c;
        auto inst = r.choice("instrument", {"load_cell", "encoder", "current_sense"});
        if (inst) c.instrument = *inst;
        const Dimension dim = c.instrument == "encoder"   ? Dimension::length
                              : c.instrument == "current_sense" ? Dimension::current
                                                              : Dimension::force;
        c.unit = std::string(si_unit(dim));
        if (auto v = r.string("id")) c.id = *v;
        if (auto v = r.quantity("scale", dim)) {
            if (*v == 0.0) {
                r.error("scale", "'scale' must not be zero");
            }
            c.scale = *v;
        }
        if (auto v = r.quantity("offset", dim, Need::optional)) c.offset = *v;
        if (auto v = r.quantity("uncertainty", Dimension::ratio, Need::optional, Range{0.0, 0.1, "", "10 %"})) {
            c.scale_uncertainty = *v;
        }
        for (auto [key, dst] : {std::pair{"date", &c.date}, std::pair{"due", &c.due}}) {
            if (auto v = r.string(key)) {
                if (!is_iso_date(*v)) {
                    r.error(key, std::string("'") + key + "': expected a date as YYYY-MM-DD, found '" + *v + "'");
                } else {
                    *dst = *v;
                }
            }
        }
        if (!c.date.empty() && !c.due.empty() && c.due < c.date) {
            r.error("due", "'due' (" + c.due + ") is before the calibration 'date' (" + c.date + ")");
        }
        if (auto v = r.string("reference")) c.reference = *v;
        if (auto v = r.string("result", Need::optional)) c.result = *v;
        if (auto v = r.string("performed_by", Need::optional)) c.performed_by = *v;
        r.finish();
        for (const auto& prev : out) {
            if (prev.instrument == c.instrument && !c.instrument.empty()) {
                diags.error(location_of(item, file), "calibration: two records for instrument '" + c.instrument + "'");
            }
        }
        out.push_back(std::move(c));
    }
}

}  // namespace

const CalibrationRecord* FixtureConfig::calibration_for(std::string_view instrument) const {
    for (const auto& c : calibration) {
        if (c.instrument == instrument) return &c;
    }
    return nullptr;
}

std::optional<FixtureConfig> parse_fixture(YamlFile file, Diagnostics& diags) {
    const std::size_t errors_before = diags.error_count();
    FixtureConfig cfg;
    MapReader r(file.root, file.path, diags, "fixture");
    if (auto v = r.string("name")) cfg.name = *v;
    if (auto v = r.string("description", Need::optional)) cfg.description = *v;
    if (auto v = r.choice("backend", {"sim", "hardware"})) cfg.backend = *v == "sim" ? Backend::sim : Backend::hardware;
    if (auto v = r.quantity("sample_rate", Dimension::frequency, Need::required,
                            Range{100.0, 50'000.0, "acquisition loop floor", "ADS1256 limit"})) {
        cfg.sample_rate_hz = *v;
    }
    if (auto v = r.quantity("actuation_rate", Dimension::frequency, Need::optional,
                            Range{1000.0, 50'000.0, "DESIGN: actuation at >= 1 kHz", ""})) {
        cfg.actuation_rate_hz = *v;
    }
    if (cfg.actuation_rate_hz > cfg.sample_rate_hz) {
        r.error("actuation_rate", "'actuation_rate' must not exceed 'sample_rate'");
    }
    if (auto lim = r.map("limits")) {
        if (auto v = lim->quantity("max_depth", Dimension::length, Need::required, Range{0.0, 5e-3, "", "5 mm"})) {
            cfg.max_depth_mm = *v * 1e3;
        }
        if (auto v = lim->quantity("max_rate", Dimension::frequency, Need::required, Range{1.0, 1000.0, "", ""})) {
            cfg.max_rate_hz = *v;
        }
        lim->finish();
    }
    if (auto t = r.map("timing", Need::optional)) {
        if (auto v = t->quantity("lateness_budget", Dimension::time, Need::optional, Range{1e-6, 0.1, "", ""})) {
            cfg.timing.lateness = seconds_to_ns(*v);
        }
        if (auto v = t->quantity("max_late_fraction", Dimension::ratio, Need::optional, Range{0.0, 1.0, "", ""})) {
            cfg.timing.max_late_fraction = *v;
        }
        if (auto v = t->quantity("clock_tolerance", Dimension::ratio, Need::optional, Range{0.0, 0.01, "", "1 %"})) {
            cfg.timing.clock_tolerance = *v;
        }
        if (auto v = t->integer("max_missed_samples", Need::optional, 0, 1'000'000)) {
            cfg.timing.max_missed_samples = static_cast<std::uint32_t>(*v);
        }
        t->finish();
    }
    if (auto ref = r.map("reference", Need::optional)) {
        if (auto ms = ref->string_list("methods", Need::required)) {
            for (const auto& m : *ms) {
                if (auto k = reference_method_from_string(m)) {
                    cfg.reference.methods.push_back(*k);
                } else {
                    ref->error("methods", "reference.methods: unknown method '" + m + "' (known: touch_off, index)");
                }
            }
        }
        if (auto t = ref->map("touch_off", Need::optional)) {
            auto& p = cfg.reference.touch_off;
            // Speeds as time per mm (no speed unit in the files; like the sim's dial_time_per_mm).
            if (auto v = t->quantity("approach_time_per_mm", Dimension::time, Need::optional, Range{1e-3, 100.0, "", ""})) {
                p.approach_speed_m_s = 1e-3 / *v;
            }
            if (auto v = t->quantity("probe_time_per_mm", Dimension::time, Need::optional, Range{1e-3, 1000.0, "", ""})) {
                p.probe_speed_m_s = 1e-3 / *v;
            }
            if (auto v = t->quantity("contact_force", Dimension::force, Need::optional, Range{1e-3, 10.0, "", ""})) {
                p.contact_force_n = *v;
            }
            if (auto v = t->quantity("back_off", Dimension::length, Need::optional, Range{0.0, 1e-3, "", "1 mm"})) {
                p.back_off_m = *v;
            }
            if (auto v = t->quantity("stop_force", Dimension::force, Need::optional, Range{1e-3, 10.0, "", ""})) {
                p.stop_force_n = *v;
            }
            if (auto v = t->quantity("max_travel", Dimension::length, Need::optional, Range{1e-4, 20e-3, "", "20 mm"})) {
                p.max_travel_m = *v;
            }
            if (auto v = t->quantity("dwell", Dimension::time, Need::optional, Range{10e-3, 10.0, "10 ms", ""})) {
                p.dwell = seconds_to_ns(*v);
            }
            if (p.stop_force_n <= p.contact_force_n) {
                t->error("stop_force", "reference.touch_off: 'stop_force' must exceed 'contact_force' (the probe "
                                       "goes through the contact the approach found)");
            }
            t->finish();
        }
        const bool wants_index = cfg.reference.supports(ReferenceMethod::index);
        if (auto x = ref->map("index", Need::optional)) {
            auto& p = cfg.reference.index;
            // The mark's calibration: where the tip is relative to the face
            // when the latch fires (+ = beyond the face), its U and record.
            if (auto v = x->quantity("protrusion", Dimension::length, Need::required, Range{-20e-3, 20e-3, "-20 mm", "20 mm"})) {
                p.protrusion_m = *v;
            }
            if (auto v = x->quantity("uncertainty", Dimension::length, Need::required, Range{0.0, 0.1e-3, "", "0.1 mm"})) {
                p.uncertainty_m = *v;
            }
            if (auto v = x->string("calibration", Need::required)) {
                if (v->empty()) x->error("calibration", "reference.index: 'calibration' must name the mark's calibration record");
                p.calibration = *v;
            }
            if (auto v = x->quantity("pass_rate", Dimension::frequency, Need::optional, Range{0.5, 50.0, "", ""})) {
                p.pass_rate_hz = *v;
            }
            if (auto v = x->quantity("pass_time", Dimension::time, Need::optional, Range{0.1, 60.0, "", ""})) {
                p.pass_time = seconds_to_ns(*v);
            }
            if (auto v = x->quantity("spin_down", Dimension::time, Need::optional, Range{10e-3, 10.0, "10 ms", ""})) {
                p.spin_down = seconds_to_ns(*v);
            }
            if (!wants_index) {
                ref->error("index", "reference.index given but reference.methods does not list 'index'");
            }
            x->finish();
        } else if (wants_index) {
            ref->error("methods", "reference.methods lists 'index' but there is no reference.index block (the mark's "
                                  "protrusion, uncertainty and calibration record)");
        }
        ref->finish();
    }
    if (r.has("calibration")) {
        parse_calibration(r.raw("calibration"), file.path, diags, cfg.calibration);
    } else {
        r.accept({"calibration"});
    }
    const bool is_sim = cfg.backend == Backend::sim;
    if (is_sim && cfg.reference.supports(ReferenceMethod::index)) {
        // The index latch is the LS7366R's (MDR0 bits 5:4); the model has no mark.
        r.error("reference", "reference.methods: 'index' needs the hardware backend's LS7366R index input (the sim "
                             "has touch_off)");
    }
    if (is_sim) {
        if (auto s = r.map("sim", Need::optional)) {
            parse_sim_section(*s, cfg.sim, cfg.faults);
            s->finish();
        }
        if (r.has("hardware")) r.error("hardware", "'hardware' section given for a 'sim' backend");
        r.accept({"hardware"});
    } else {
        if (auto h = r.map("hardware")) {
            parse_hw_section(*h, cfg.hardware);
            h->finish();
        }
        if (r.has("sim")) r.error("sim", "'sim' section given for a 'hardware' backend");
        r.accept({"sim"});
    }
    r.finish();
    for (const char* inst : {"load_cell", "encoder", "current_sense"}) {
        if (cfg.calibration_for(inst) == nullptr && diags.error_count() == errors_before) {
            diags.error(location_of(file.root, file.path),
                        std::string("fixture: no calibration record for instrument '") + inst +
                            "' (every measuring instrument must be traceable)");
        }
    }
    cfg.source = std::move(file);
    if (diags.error_count() > errors_before) return std::nullopt;
    return cfg;
}

std::optional<FixtureConfig> load_fixture(const std::filesystem::path& path, Diagnostics& diags) {
    auto f = load_yaml_file(path, diags);
    if (!f) return std::nullopt;
    return parse_fixture(std::move(*f), diags);
}

}  // namespace rig
