#pragma once
// Fault injections: from a fixture file (`sim.faults`, active from t = 0) or a
// scenario `fault:` step (active from that step on). Only the sim backend can
// apply them; validation rejects fault steps on hardware fixtures.

#include <optional>
#include <span>
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
    load_cell_drift,           // value: load-cell zero drift, N/s (signed)
    loop_overrun,              // value: fraction of loop wake-ups that overrun (ratio)
    // The pen (device under test).
    rate_error,                // value: the pen's rate error at the current level, ratio (signed):
                               //   it runs at setpoint x (1 + value); inject one per level
    winding_resistance,        // value: the motor's winding resistance, ohm (the firmware's IR
                               //   compensation keeps its own estimate: worse speed regulation)
    // The rig's own instruments.
    encoder_count_gain,        // value: fraction of encoder counts doubled (ratio)
    encoder_zero_error,        // value: the encoder's zero moves by this, m (signed): readings
                               //   that much deeper, a reference that is not at the face
    load_cell_offset,          // value: load-cell zero away from its calibration, N (signed)
    current_offset,            // value: current-sense zero away from its calibration, A (signed)
    current_noise,             // value: current-sense noise, A RMS (replaces the fixture's)
    loop_lateness,             // value: every loop wake-up is late by up to this, s (uniform,
                               //   never a whole period: late samples, none missed)
    load_cell_full_scale,      // value: the load-cell ADC reaches its full-scale code at this
                               //   force, N (a PGA gain too high for the load): strikes clip
    current_full_scale,        // value: the current ADC reaches its full-scale code at this
                               //   current, A: start-up and stall currents clip
    encoder_scale_error,       // value: the counter counts (1 + value) counts per true count, ratio
                               //   (signed; a wrong scale pitch or interpolation): every distance
                               //   that fraction long or short
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
std::span<const std::string_view> fault_names();
/// Whether a fault corrupts one of the rig's own instruments (as opposed to
/// the pen or the mechanism): a run under such a fault must never PASS.
bool is_instrument_fault(FaultKind k);

}  // namespace rig
