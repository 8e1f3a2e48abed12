#pragma once
// Fault injections: from a fixture file (`sim.faults`, active from t = 0) or a
// scenario `fault:` step (active from that step on). Only the sim backend can
// apply them; validation rejects fault steps on hardware fixtures.

#include <optional>
#include <string_view>

#include "rig/core/units.hpp"

namespace rig {

enum class FaultKind {
    brake_torque,              // value: torque the stall brake applies, N*m
    weak_spring,               // value: return-spring stiffness as a ratio of nominal (0..1)
    extra_friction,            // value: added Coulomb friction torque (worn bearing), N*m
    depth_offset,              // value: depth-dial offset (true - dial), m
    stall_protection_missing,  // value: unused (the firmware never cuts the drive)
    stall_protection_slow,     // value: the firmware's stall detection time, s
    encoder_count_loss,        // value: fraction of encoder counts lost (ratio)
    load_cell_drift,           // value: load-cell zero drift, N/s
    loop_overrun,              // value: fraction of loop wake-ups that overrun (ratio)
};

struct FaultInjection {
    FaultKind kind = FaultKind::brake_torque;
    double value = 0.0;  // SI, see FaultKind
};

/// YAML name of a fault ("weak_spring"...), and back.
std::string_view to_string(FaultKind k);
std::optional<FaultKind> fault_kind_from_string(std::string_view name);
/// The dimension of a fault's value in YAML; std::nullopt for faults without a value.
std::optional<Dimension> fault_value_dimension(FaultKind k);
/// All fault names, for "did you mean" and docs.
const std::initializer_list<std::string_view>& fault_names();

}  // namespace rig
