#include <array>

#include "rig/drivers/fixture_config.hpp"

namespace rig {
namespace {
struct FaultDef {
    std::string_view name;
    FaultKind kind;
    std::optional<Dimension> dim;
};
constexpr std::array kFaults{
    FaultDef{"brake_torque", FaultKind::brake_torque, Dimension::torque},
    FaultDef{"weak_spring", FaultKind::weak_spring, Dimension::ratio},
    FaultDef{"extra_friction", FaultKind::extra_friction, Dimension::torque},
    FaultDef{"depth_offset", FaultKind::depth_offset, Dimension::length},
    FaultDef{"stall_protection_missing", FaultKind::stall_protection_missing, std::nullopt},
    FaultDef{"stall_protection_slow", FaultKind::stall_protection_slow, Dimension::time},
    FaultDef{"encoder_count_loss", FaultKind::encoder_count_loss, Dimension::ratio},
    FaultDef{"load_cell_drift", FaultKind::load_cell_drift, Dimension::force_per_time},
    FaultDef{"loop_overrun", FaultKind::loop_overrun, Dimension::ratio},
};
}  // namespace

std::string_view to_string(FaultKind k) {
    for (const auto& f : kFaults) {
        if (f.kind == k) return f.name;
    }
    return "?";
}
std::optional<FaultKind> fault_kind_from_string(std::string_view name) {
    for (const auto& f : kFaults) {
        if (f.name == name) return f.kind;
    }
    return std::nullopt;
}
std::optional<Dimension> fault_value_dimension(FaultKind k) {
    for (const auto& f : kFaults) {
        if (f.kind == k) return f.dim;
    }
    return std::nullopt;
}
const std::initializer_list<std::string_view>& fault_names() {
    static const std::initializer_list<std::string_view> names{
        "brake_torque",       "weak_spring",     "extra_friction", "depth_offset", "stall_protection_missing",
        "stall_protection_slow", "encoder_count_loss", "load_cell_drift", "loop_overrun"};
    return names;
}

std::optional<FaultInjection> parse_fault(std::string_view name, const YAML::Node& value, const std::string& file,
                                          Diagnostics& diags) {
    const auto kind = fault_kind_from_string(name);
    const auto at = location_of(value, file);
    if (!kind) {
        std::string msg = "unknown fault '" + std::string(name) + "'";
        const auto& names = fault_names();
        if (auto m = closest_match(name, std::span<const std::string_view>(names.begin(), names.size()))) {
            msg += " (did you mean '" + *m + "'?)";
        }
        diags.error(at, msg);
        return std::nullopt;
    }
    const auto dim = fault_value_dimension(*kind);
    if (!dim) {
        if (!value.IsScalar() || (value.Scalar() != "true" && value.Scalar() != "yes")) {
            diags.error(at, "fault '" + std::string(name) + "': expected 'true'");
            return std::nullopt;
        }
        return FaultInjection{*kind, 1.0};
    }
    Range range;
    range.min = 0.0;
    if (*dim == Dimension::ratio && *kind != FaultKind::weak_spring) range.max = 1.0;
    if (*kind == FaultKind::weak_spring) {
        range.min = 0.01;
        range.max = 1.0;
    }
    if (*kind == FaultKind::depth_offset) range.min = -1e-3, range.max = 1e-3;
    auto v = read_quantity(value, *dim, file, diags, "fault '" + std::string(name) + "'", range);
    if (!v) return std::nullopt;
    return FaultInjection{*kind, *v};
}

}  // namespace rig
