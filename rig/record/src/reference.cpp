#include "rig/record/reference.hpp"

namespace rig {
namespace {
std::optional<double> opt_number(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}
void put(nlohmann::json& j, const char* key, const std::optional<double>& v) {
    if (v) j[key] = *v;
}
}  // namespace

nlohmann::json FaceReference::to_json() const {
    nlohmann::json j;
    j["id"] = id;
    j["step"] = step;
    j["line"] = line;
    j["method"] = method;
    j["instrument"] = instrument;
    j["calibration_id"] = calibration_id;
    if (!mark_calibration.empty()) j["mark_calibration"] = mark_calibration;
    j["start_s"] = start_s;
    j["t_s"] = t_s;
    j["valid"] = valid;
    if (!reason.empty()) j["reason"] = reason;
    j["value_mm"] = value_mm ? nlohmann::json(*value_mm) : nlohmann::json(nullptr);
    j["value_counts"] = value_counts ? nlohmann::json(*value_counts) : nlohmann::json(nullptr);
    j["uncertainty_mm"] = uncertainty_mm ? nlohmann::json(*uncertainty_mm) : nlohmann::json(nullptr);
    put(j, "uncertainty_counts", uncertainty_counts);
    put(j, "contact_stiffness_n_per_mm", contact_stiffness_n_per_mm);
    put(j, "residual_n", residual_n);
    j["points"] = points;
    put(j, "rest_return_mm", rest_return_mm);
    put(j, "baseline_n", baseline_n);
    put(j, "scale_error", scale_error);
    put(j, "scale_limit", scale_limit);
    put(j, "drift_to_next_mm", drift_to_next_mm);
    if (truth_mm) {
        j["truth_mm"] = *truth_mm;
        if (value_mm) j["error_mm"] = *value_mm - *truth_mm;
    }
    return j;
}

FaceReference FaceReference::from_json(const nlohmann::json& j) {
    FaceReference r;
    r.id = j.at("id").get<std::string>();
    r.step = j.value("step", std::uint32_t{0});
    r.line = j.value("line", 0);
    r.method = j.value("method", "");
    r.instrument = j.value("instrument", "encoder");
    r.calibration_id = j.value("calibration_id", "");
    r.mark_calibration = j.value("mark_calibration", "");
    r.start_s = j.value("start_s", 0.0);
    r.t_s = j.value("t_s", 0.0);
    r.valid = j.value("valid", false);  // a reference not stated valid is not one
    r.reason = j.value("reason", "");
    r.value_mm = opt_number(j, "value_mm");
    r.value_counts = opt_number(j, "value_counts");
    r.uncertainty_mm = opt_number(j, "uncertainty_mm");
    r.uncertainty_counts = opt_number(j, "uncertainty_counts");
    r.contact_stiffness_n_per_mm = opt_number(j, "contact_stiffness_n_per_mm");
    r.residual_n = opt_number(j, "residual_n");
    r.points = j.value("points", std::size_t{0});
    r.rest_return_mm = opt_number(j, "rest_return_mm");
    r.baseline_n = opt_number(j, "baseline_n");
    r.scale_error = opt_number(j, "scale_error");
    r.scale_limit = opt_number(j, "scale_limit");
    r.drift_to_next_mm = opt_number(j, "drift_to_next_mm");
    r.truth_mm = opt_number(j, "truth_mm");
    return r;
}

void to_json(nlohmann::json& j, const FaceReference& r) { j = r.to_json(); }
void from_json(const nlohmann::json& j, FaceReference& r) { r = FaceReference::from_json(j); }

}  // namespace rig
