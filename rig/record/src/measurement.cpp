#include "rig/record/measurement.hpp"

#include "rig/core/enum_names.hpp"

namespace rig {

namespace {
constexpr EnumName<Outcome> kOutcomes[] = {
    {Outcome::pass, "PASS"},
    {Outcome::fail, "FAIL"},
    {Outcome::error, "ERROR"},
};
constexpr EnumName<DecisionRule> kDecisionRules[] = {
    {DecisionRule::simple, "simple"},
    {DecisionRule::guarded, "guarded"},
};
}  // namespace

const char* to_string(Outcome o) { return enum_name(kOutcomes, o).data(); }

// Anything that is not PASS or FAIL reads as ERROR: never a pass by default.
Outcome outcome_from(std::string_view s) { return enum_from_name(kOutcomes, s).value_or(Outcome::error); }

const char* to_string(DecisionRule d) { return enum_name(kDecisionRules, d).data(); }

std::optional<DecisionRule> decision_rule_from(std::string_view s) { return enum_from_name(kDecisionRules, s); }

namespace {
nlohmann::json uncertainty_json(const Uncertainty& u) {
    nlohmann::json cs = nlohmann::json::array();
    for (const auto& c : u.components) {
        cs.push_back({{"name", c.name},
                      {"type", c.type},
                      {"distribution", c.distribution},
                      {"value", c.value},
                      {"divisor", c.divisor},
                      {"u", c.u},
                      {"unit", c.unit},
                      {"sensitivity", c.sensitivity},
                      {"contribution", c.contribution},
                      {"basis", c.basis}});
    }
    return {{"u_c", u.u_c}, {"k", u.k}, {"U", u.U}, {"components", std::move(cs)}};
}

Uncertainty uncertainty_from(const nlohmann::json& j) {
    Uncertainty u;
    u.u_c = j.value("u_c", 0.0);
    u.k = j.value("k", 2.0);
    u.U = j.value("U", 0.0);
    for (const auto& c : j.value("components", nlohmann::json::array())) {
        UncertaintyComponent x;
        x.name = c.value("name", "");
        x.type = c.value("type", "");
        x.distribution = c.value("distribution", "");
        x.value = c.value("value", 0.0);
        x.divisor = c.value("divisor", 1.0);
        x.u = c.value("u", 0.0);
        x.unit = c.value("unit", "");
        x.sensitivity = c.value("sensitivity", 1.0);
        x.contribution = c.value("contribution", 0.0);
        x.basis = c.value("basis", "");
        u.components.push_back(std::move(x));
    }
    return u;
}
}  // namespace

nlohmann::json Measurement::to_json() const {
    nlohmann::json j;
    j["id"] = id;
    j["name"] = name;
    if (!kind.empty()) j["kind"] = kind;
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
    j["evaluation_s"] = std::chrono::duration<double>(evaluation).count();
    j["requirements"] = requirements;
    j["stats"] = stats;
    if (truth) {
        j["truth"] = *truth;
        if (value) j["error"] = *value - *truth;
    }
    if (!truth_detail.empty()) j["truth_detail"] = truth_detail;
    if (uncertainty) j["uncertainty"] = uncertainty_json(*uncertainty);
    j["decision"] = {{"rule", to_string(decision_rule)}, {"conditional", conditional}};
    return j;
}

namespace {
std::optional<double> opt_number(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}
}  // namespace

Measurement Measurement::from_json(const nlohmann::json& j) {
    Measurement m;
    m.id = j.at("id").get<std::string>();
    m.name = j.at("name").get<std::string>();
    m.kind = j.value("kind", "");
    m.label = j.value("label", "");
    m.step = j.value("step", std::uint32_t{0});
    m.line = j.value("line", 0);
    m.value = opt_number(j, "value");
    m.unit = j.value("unit", "");
    m.low = opt_number(j, "low");
    m.high = opt_number(j, "high");
    m.limits_source = j.value("limits_source", "");
    m.outcome = outcome_from(j.value("outcome", "ERROR"));
    m.message = j.value("message", "");
    if (const auto w = j.find("window"); w != j.end() && w->is_object()) {
        m.window_start_s = w->value("start_s", 0.0);
        m.window_end_s = w->value("end_s", 0.0);
        m.samples = w->value("samples", std::size_t{0});
        m.strokes = w->value("strokes", std::size_t{0});
    }
    m.evaluation = std::chrono::round<std::chrono::microseconds>(
        std::chrono::duration<double>(j.value("evaluation_s", 0.0)));
    m.requirements = j.value("requirements", std::vector<std::string>{});
    m.stats = j.value("stats", nlohmann::json::object());
    m.truth = opt_number(j, "truth");
    m.truth_detail = j.value("truth_detail", nlohmann::json::object());
    if (const auto u = j.find("uncertainty"); u != j.end() && u->is_object()) m.uncertainty = uncertainty_from(*u);
    if (const auto d = j.find("decision"); d != j.end() && d->is_object()) {
        m.decision_rule = decision_rule_from(d->value("rule", "simple")).value_or(DecisionRule::simple);
        m.conditional = d->value("conditional", false);
    }
    return m;
}

void to_json(nlohmann::json& j, const Measurement& m) { j = m.to_json(); }
void from_json(const nlohmann::json& j, Measurement& m) { m = Measurement::from_json(j); }

nlohmann::json Measurement::reproducible(nlohmann::json j) {
    for (const char* key : {"truth", "error", "truth_detail", "evaluation_s"}) j.erase(key);
    return j;
}

}  // namespace rig
