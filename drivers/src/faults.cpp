#include <array>
#include <limits>

#include "rig/drivers/fixture_config.hpp"

namespace rig {
namespace {
struct FaultDef {
    std::string_view name;
    FaultKind kind;
    std::optional<Dimension> dim;
    double min;  // accepted range of the value, SI
    double max;
    bool instrument;  // one of the rig's instruments goes wrong
};
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::array kFaults{
    FaultDef{"brake_torque", FaultKind::brake_torque, Dimension::torque, 0.0, kInf, false},
    FaultDef{"weak_spring", FaultKind::weak_spring, Dimension::ratio, 0.01, 1.0, false},
    FaultDef{"extra_friction", FaultKind::extra_friction, Dimension::torque, 0.0, kInf, false},
    FaultDef{"depth_offset", FaultKind::depth_offset, Dimension::length, -1e-3, 1e-3, false},
    FaultDef{"stall_protection_missing", FaultKind::stall_protection_missing, std::nullopt, 0.0, 0.0, false},
    FaultDef{"stall_protection_slow", FaultKind::stall_protection_slow, Dimension::time, 0.0, kInf, false},
    FaultDef{"encoder_count_loss", FaultKind::encoder_count_loss, Dimension::ratio, 0.0, 1.0, true},
    FaultDef{"load_cell_drift", FaultKind::load_cell_drift, Dimension::force_per_time, -kInf, kInf, true},
    FaultDef{"loop_overrun", FaultKind::loop_overrun, Dimension::ratio, 0.0, 1.0, true},
    FaultDef{"rate_error", FaultKind::rate_error, Dimension::ratio, -0.5, 0.5, false},
    FaultDef{"winding_resistance", FaultKind::winding_resistance, Dimension::resistance, 0.1, 1000.0, false},
    FaultDef{"encoder_count_gain", FaultKind::encoder_count_gain, Dimension::ratio, 0.0, 1.0, true},
    FaultDef{"encoder_zero_error", FaultKind::encoder_zero_error, Dimension::length, -10e-3, 10e-3, true},
    FaultDef{"load_cell_offset", FaultKind::load_cell_offset, Dimension::force, -100.0, 100.0, true},
    FaultDef{"current_offset", FaultKind::current_offset, Dimension::current, -10.0, 10.0, true},
    FaultDef{"current_noise", FaultKind::current_noise, Dimension::current, 0.0, 10.0, true},
    FaultDef{"loop_lateness", FaultKind::loop_lateness, Dimension::time, 0.0, 1.0, true},
    FaultDef{"load_cell_full_scale", FaultKind::load_cell_full_scale, Dimension::force, 1e-3, 1000.0, true},
    FaultDef{"current_full_scale", FaultKind::current_full_scale, Dimension::current, 1e-4, 1000.0, true},
    FaultDef{"encoder_scale_error", FaultKind::encoder_scale_error, Dimension::ratio, -0.5, 0.5, true},
};
constexpr std::array<std::string_view, kFaults.size()> kNames = [] {
    std::array<std::string_view, kFaults.size()> n{};
    for (std::size_t i = 0; i < kFaults.size(); ++i) n[i] = kFaults[i].name;
    return n;
}();
const FaultDef* def_of(FaultKind k) {
    for (const auto& f : kFaults) {
        if (f.kind == k) return &f;
    }
    return nullptr;
}
}  // namespace

std::string_view to_string(FaultKind k) {
    const auto* d = def_of(k);
    return d != nullptr ? d->name : "?";
}
std::optional<FaultKind> fault_kind_from_string(std::string_view name) {
    for (const auto& f : kFaults) {
        if (f.name == name) return f.kind;
    }
    return std::nullopt;
}
std::optional<Dimension> fault_value_dimension(FaultKind k) {
    const auto* d = def_of(k);
    return d != nullptr ? d->dim : std::nullopt;
}
std::span<const std::string_view> fault_names() { return kNames; }
bool is_instrument_fault(FaultKind k) {
    const auto* d = def_of(k);
    return d != nullptr && d->instrument;
}

std::optional<FaultInjection> parse_fault(std::string_view name, const YAML::Node& value, const std::string& file,
                                          Diagnostics& diags) {
    const auto kind = fault_kind_from_string(name);
    const auto at = location_of(value, file);
    if (!kind) {
        std::string msg = "unknown fault '" + std::string(name) + "'";
        if (auto m = closest_match(name, fault_names())) {
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
    const auto* d = def_of(*kind);
    Range range;
    if (d != nullptr) {
        range.min = d->min;
        range.max = d->max;
    }
    auto v = read_quantity(value, *dim, file, diags, "fault '" + std::string(name) + "'", range);
    if (!v) return std::nullopt;
    return FaultInjection{*kind, *v};
}

}  // namespace rig
