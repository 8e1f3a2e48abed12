#include "rig/record/record.hpp"

#include <cmath>

#include "rig/core/atomic_file.hpp"

namespace rig::run_record {

using nlohmann::json;

// Plain parts: nlohmann's type macros (every field written; missing fields
// read as their defaults).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Software, name, version, commit)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Operator, name, source)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Dut, serial, lot)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Calibration, instrument, id, scale, offset, unit, date, due, reference,
                                                result, performed_by, status)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Lateness, p50, p99, max)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Step, index, kind, line, label, start_s, end_s)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(GroundTruthCounts, strokes, stalls)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SamplesInfo, file, format, count, sha256, complete)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(QuantityInfo, unit, description)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(KindInfo, description, plot, quantities)

namespace {

/// Optional numbers as JSON null (series where a point has no valid value).
json opt_array(const std::vector<std::optional<double>>& v) {
    json a = json::array();
    for (const auto& x : v) a.push_back(x ? json(*x) : json(nullptr));
    return a;
}
std::vector<std::optional<double>> opt_vector(const json& j, const char* key) {
    std::vector<std::optional<double>> out;
    const auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return out;
    out.reserve(it->size());
    for (const auto& x : *it) out.push_back(x.is_number() ? std::optional<double>(x.get<double>()) : std::nullopt);
    return out;
}
template <typename T>
T value_or(const json& j, const char* key, T def) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    return it->get<T>();
}

void put_input(json& j, const InputFile& f) {
    j["path"] = f.path;
    j["sha256"] = f.sha256;
    j["text"] = f.text;
}
void get_input(const json& j, InputFile& f) {
    f.path = j.value("path", "");
    f.sha256 = j.value("sha256", "");
    f.text = j.value("text", "");
}

json to(const ScenarioFile& f) {
    json j;
    put_input(j, f);
    j["id"] = f.id;
    j["title"] = f.title;
    j["version"] = f.version;
    j["requirements"] = f.requirements;
    return j;
}
json to(const SpecFile& f) {
    json j;
    put_input(j, f);
    j["model"] = f.model;
    j["id"] = f.id;
    j["version"] = f.version;
    return j;
}
json to(const FixtureFile& f) {
    json j;
    put_input(j, f);
    j["name"] = f.name;
    j["backend"] = f.backend;
    return j;
}

json to(const Timing& t) {
    json upper = opt_array(t.histogram.upper_us);
    json h = {{"upper_us", upper}, {"counts", t.histogram.counts}};
    if (!t.histogram.lower_us.empty()) h["lower_us"] = t.histogram.lower_us;
    json j = {{"sample_rate_hz", t.sample_rate_hz}, {"samples", t.samples},   {"missed_samples", t.missed_samples},
              {"late_samples", t.late_samples},     {"lateness_us", t.lateness_us}, {"budget_us", t.budget_us},
              {"histogram", h},                     {"outcome", t.outcome}};
    if (t.samples > 1) j["mean_period_us"] = t.mean_period_us;
    if (!t.verdict.empty()) j["verdict"] = t.verdict;
    if (t.work_us) {
        j["work_us"] = {{"max", t.work_us->max_us},
                        {"histogram", {{"lower_us", t.work_us->lower_us}, {"counts", t.work_us->counts}}}};
    }
    if (t.adc) {
        auto in = [](const AdcInputTiming& a) {
            return json{{"fresh_samples", a.fresh_samples},
                        {"held_samples", a.held_samples},
                        {"effective_rate_hz", a.effective_rate_hz},
                        {"age_us", {{"mean", a.age_mean_us}, {"max", a.age_max_us}}}};
        };
        j["adc"] = {{"force", in(t.adc->force)}, {"current", in(t.adc->current)}};
    }
    return j;
}
Timing timing_from(const json& j) {
    Timing t;
    t.sample_rate_hz = j.value("sample_rate_hz", 0.0);
    t.samples = j.value("samples", std::uint64_t{0});
    t.mean_period_us = j.value("mean_period_us", 0.0);
    t.missed_samples = j.value("missed_samples", std::uint64_t{0});
    t.late_samples = j.value("late_samples", std::uint64_t{0});
    t.lateness_us = j.value("lateness_us", Lateness{});
    t.budget_us = j.value("budget_us", 0.0);
    if (const auto h = j.find("histogram"); h != j.end() && h->is_object()) {
        t.histogram.lower_us = h->value("lower_us", std::vector<double>{});
        t.histogram.upper_us = opt_vector(*h, "upper_us");
        t.histogram.counts = h->value("counts", std::vector<std::uint64_t>{});
    }
    t.verdict = j.value("verdict", "");
    t.outcome = j.value("outcome", "ERROR");
    if (const auto w = j.find("work_us"); w != j.end() && w->is_object()) {
        WorkTime wt;
        wt.max_us = w->value("max", 0.0);
        if (const auto h = w->find("histogram"); h != w->end() && h->is_object()) {
            wt.lower_us = h->value("lower_us", std::vector<double>{});
            wt.counts = h->value("counts", std::vector<std::uint64_t>{});
        }
        t.work_us = wt;
    }
    if (const auto a = j.find("adc"); a != j.end() && a->is_object()) {
        auto in = [](const json& x) {
            AdcInputTiming r;
            r.fresh_samples = x.value("fresh_samples", std::uint64_t{0});
            r.held_samples = x.value("held_samples", std::uint64_t{0});
            r.effective_rate_hz = x.value("effective_rate_hz", 0.0);
            if (const auto g = x.find("age_us"); g != x.end() && g->is_object()) {
                r.age_mean_us = g->value("mean", 0.0);
                r.age_max_us = g->value("max", 0.0);
            }
            return r;
        };
        AdcTiming at;
        if (a->contains("force")) at.force = in((*a)["force"]);
        if (a->contains("current")) at.current = in((*a)["current"]);
        t.adc = at;
    }
    return t;
}

json to(const RecordEvent& e) {
    json j = {{"t_s", e.t_s}, {"kind", e.kind}, {"value", e.value}, {"step", e.step}};
    if (!e.text.empty()) j["text"] = e.text;
    return j;
}
RecordEvent event_from(const json& j) {
    RecordEvent e;
    e.t_s = j.at("t_s").get<double>();
    e.kind = j.at("kind").get<std::string>();
    e.value = value_or(j, "value", 0.0);
    e.step = j.at("step").get<std::uint32_t>();
    e.text = j.value("text", "");
    return e;
}

json to(const Strokes& s) {
    return {{"t_s", s.t_s}, {"depth_mm", opt_array(s.depth_mm)}, {"force_n", s.force_n}, {"rate_hz", opt_array(s.rate_hz)}};
}
Strokes strokes_from(const json& j) {
    Strokes s;
    s.t_s = j.value("t_s", std::vector<double>{});
    s.depth_mm = opt_vector(j, "depth_mm");
    for (const auto& f : opt_vector(j, "force_n")) s.force_n.push_back(f.value_or(0.0));
    s.rate_hz = opt_vector(j, "rate_hz");
    return s;
}

}  // namespace

RecordEvent RecordEvent::from(const Event& e) {
    return RecordEvent{static_cast<double>(e.t_ns) * 1e-9, to_string(e.kind), e.value, e.step_index, e.text};
}

std::optional<Event> RecordEvent::to_event() const {
    // Every value of the enum's underlying type is tried against core's one
    // name table (to_string), so a kind added there round-trips without a
    // second list here.
    for (unsigned k = 0; k <= 0xffu; ++k) {
        const auto ek = static_cast<EventKind>(k);
        if (kind == to_string(ek)) {
            Event e;
            e.t_ns = std::llround(t_s * 1e9);
            e.kind = ek;
            e.value = value;
            e.step_index = step;
            e.text = text;
            return e;
        }
    }
    return std::nullopt;
}

void to_json(json& j, const RunRecord& r) {
    j = json::object();
    j["schema"] = r.schema;
    j["run_id"] = r.run_id;
    j["complete"] = r.complete;
    j["verdict"] = r.verdict;
    j["verdict_reason"] = r.verdict_reason;
    j["started_utc"] = r.started_utc;
    if (r.ended_utc) j["ended_utc"] = *r.ended_utc;
    j["software"] = r.software;
    j["host"] = r.host;
    j["operator"] = r.operator_id;
    j["dut"] = r.dut;
    j["tags"] = r.tags;
    j["seed"] = r.seed;
    if (!r.realtime.is_null()) j["realtime"] = r.realtime;
    j["scenario"] = to(r.scenario);
    j["spec"] = to(r.spec);
    j["fixture"] = to(r.fixture);
    j["calibration"] = r.calibration;
    j["measurements"] = json::array();
    for (const auto& m : r.measurements) j["measurements"].push_back(m.to_json());
    if (!r.references.empty()) {
        j["references"] = json::array();
        for (const auto& f : r.references) j["references"].push_back(f.to_json());
    }
    if (!r.kinds.empty()) j["kinds"] = r.kinds;
    j["timing"] = to(r.timing);
    j["steps"] = r.steps;
    j["events"] = json::array();
    for (const auto& e : r.events) j["events"].push_back(to(e));
    if (r.strokes) j["strokes"] = to(*r.strokes);
    if (r.ground_truth) j["ground_truth"] = *r.ground_truth;
    j["samples"] = r.samples;
}

void from_json(const json& j, RunRecord& r) {
    r = RunRecord{};
    r.schema = j.value("schema", std::string(kSchema));
    r.run_id = j.at("run_id").get<std::string>();
    r.complete = j.value("complete", false);
    r.verdict = j.value("verdict", "INCOMPLETE");
    r.verdict_reason = j.value("verdict_reason", "");
    r.started_utc = j.value("started_utc", "");
    if (j.contains("ended_utc")) r.ended_utc = j["ended_utc"].get<std::string>();
    r.software = j.value("software", Software{});
    r.host = j.value("host", "");
    r.operator_id = j.value("operator", Operator{});
    r.dut = j.value("dut", Dut{});
    r.tags = j.value("tags", std::vector<std::string>{});
    r.seed = j.value("seed", std::uint64_t{0});
    r.realtime = j.value("realtime", json());
    if (const auto s = j.find("scenario"); s != j.end()) {
        get_input(*s, r.scenario);
        r.scenario.id = s->value("id", "");
        r.scenario.title = s->value("title", "");
        r.scenario.version = s->value("version", "");
        r.scenario.requirements = s->value("requirements", std::vector<std::string>{});
    }
    if (const auto s = j.find("spec"); s != j.end()) {
        get_input(*s, r.spec);
        r.spec.model = s->value("model", "");
        r.spec.id = s->value("id", "");
        r.spec.version = s->value("version", "");
    }
    if (const auto s = j.find("fixture"); s != j.end()) {
        get_input(*s, r.fixture);
        r.fixture.name = s->value("name", "");
        r.fixture.backend = s->value("backend", "");
    }
    r.calibration = j.value("calibration", std::vector<Calibration>{});
    for (const auto& m : j.value("measurements", json::array())) r.measurements.push_back(Measurement::from_json(m));
    for (const auto& f : j.value("references", json::array())) r.references.push_back(FaceReference::from_json(f));
    r.kinds = j.value("kinds", std::map<std::string, KindInfo>{});
    if (const auto t = j.find("timing"); t != j.end()) r.timing = timing_from(*t);
    r.steps = j.value("steps", std::vector<Step>{});
    for (const auto& e : j.value("events", json::array())) r.events.push_back(event_from(e));
    if (const auto s = j.find("strokes"); s != j.end() && s->is_object()) r.strokes = strokes_from(*s);
    if (const auto g = j.find("ground_truth"); g != j.end()) r.ground_truth = g->get<GroundTruthCounts>();
    r.samples = j.value("samples", SamplesInfo{});
}

RunRecord parse_record(std::string_view text) { return json::parse(text).get<RunRecord>(); }

RunRecord read_record(const std::string& path) { return parse_record(read_file(path)); }

}  // namespace rig::run_record
