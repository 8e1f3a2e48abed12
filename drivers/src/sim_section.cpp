// The fixture file's `sim:` section: parameters of the simulated pen and rig
// (rig::SimParams) and the faults active from t = 0. Every key is optional and
// defaults to the SimParams default; quantities carry their unit; unknown keys
// are reported by finish() with "did you mean".
//
//   sim:
//     motor:     {supply_voltage, resistance, inductance, back_emf, inertia,
//                 viscous_friction, coulomb_friction}
//     mechanism: {strokes_per_rev, stroke, needle_mass, spring_stiffness,
//                 spring_preload, brake_torque, dial_time_per_mm}
//     phantom:   {enabled, stiffness, damping, seating_offset, seating_sd}
//     firmware:  {speed_control, max_rate, loop_rate, boot_delay, ramp_time,
//                 speed_gain, integral_time, speed_filter, resistance_estimate,
//                 stall_rate, stall_detection, after_stall, retry_delay}
//     sensors:   {encoder: {scale, offset, zero},
//                 load_cell: {scale, offset, noise, bandwidth},
//                 current: {scale, offset, noise, bandwidth}}
//     loop:      {jitter, overrun_max_periods, substep}
//     faults:    {<fault name>: <value>, ...}

#include <limits>

#include "rig/drivers/fixture_config.hpp"

namespace rig {
namespace {

constexpr double kTiny = 1e-12;

Range positive(double max = std::numeric_limits<double>::infinity()) { return Range{kTiny, max, "must be > 0", ""}; }
Range non_negative(double max = std::numeric_limits<double>::infinity()) { return Range{0.0, max, "", ""}; }

void read(MapReader& r, std::string_view key, Dimension dim, const Range& range, double& out) {
    if (auto v = r.quantity(key, dim, Need::optional, range)) out = *v;
}

void parse_motor(MapReader& r, SimParams& p) {
    read(r, "supply_voltage", Dimension::voltage, positive(60.0), p.supply_voltage_v);
    read(r, "resistance", Dimension::resistance, positive(), p.resistance_ohm);
    read(r, "inductance", Dimension::inductance, positive(), p.inductance_h);
    read(r, "back_emf", Dimension::back_emf, positive(), p.back_emf_v_s_per_rad);
    read(r, "inertia", Dimension::inertia, positive(), p.inertia_kg_m2);
    read(r, "viscous_friction", Dimension::rot_damping, non_negative(), p.viscous_friction_n_m_s_per_rad);
    read(r, "coulomb_friction", Dimension::torque, non_negative(), p.coulomb_friction_n_m);
    r.finish();
}

void parse_mechanism(MapReader& r, SimParams& p) {
    if (auto v = r.integer("strokes_per_rev", Need::optional, 1, 8)) p.strokes_per_rev = static_cast<int>(*v);
    read(r, "stroke", Dimension::length, Range{0.1e-3, 10e-3, "", ""}, p.stroke_m);
    read(r, "needle_mass", Dimension::mass, positive(), p.needle_mass_kg);
    read(r, "spring_stiffness", Dimension::stiffness, non_negative(), p.spring_stiffness_n_per_m);
    read(r, "spring_preload", Dimension::force, non_negative(), p.spring_preload_n);
    read(r, "brake_torque", Dimension::torque, non_negative(), p.brake_torque_n_m);
    double t_per_mm = 1e-3 / p.dial_speed_m_per_s;
    read(r, "dial_time_per_mm", Dimension::time, positive(3600.0), t_per_mm);
    p.dial_speed_m_per_s = 1e-3 / t_per_mm;
    r.finish();
}

void parse_phantom(MapReader& r, SimParams& p) {
    if (auto v = r.boolean("enabled", Need::optional)) p.phantom_enabled = *v;
    read(r, "stiffness", Dimension::stiffness, non_negative(), p.phantom_stiffness_n_per_m);
    read(r, "damping", Dimension::damping, non_negative(), p.phantom_damping_n_s_per_m);
    read(r, "seating_offset", Dimension::length, Range{-1e-3, 1e-3, "", ""}, p.phantom_seating_offset_m);
    read(r, "seating_sd", Dimension::length, Range{0.0, 1e-3, "", ""}, p.phantom_seating_sd_m);
    r.finish();
}

void parse_firmware(MapReader& r, SimParams& p) {
    if (auto v = r.choice("speed_control", {"closed_loop", "open_loop"}, Need::optional)) {
        p.speed_control = *v == "open_loop" ? SpeedControl::open_loop : SpeedControl::closed_loop;
    }
    read(r, "max_rate", Dimension::frequency, positive(1000.0), p.max_rate_hz);
    read(r, "loop_rate", Dimension::frequency, Range{10.0, 100'000.0, "", ""}, p.firmware_loop_hz);
    read(r, "boot_delay", Dimension::time, non_negative(10.0), p.boot_delay_s);
    read(r, "ramp_time", Dimension::time, Range{1e-4, 10.0, "", ""}, p.ramp_time_s);
    read(r, "speed_gain", Dimension::back_emf, non_negative(), p.speed_gain_v_s_per_rad);
    read(r, "integral_time", Dimension::time, positive(), p.integral_time_s);
    read(r, "speed_filter", Dimension::time, positive(1.0), p.speed_filter_s);
    read(r, "resistance_estimate", Dimension::resistance, non_negative(), p.resistance_estimate_ohm);
    read(r, "stall_rate", Dimension::frequency, non_negative(1000.0), p.stall_rate_hz);
    read(r, "stall_detection", Dimension::time, non_negative(60.0), p.stall_detection_s);
    if (auto v = r.choice("after_stall", {"retry", "latch"}, Need::optional)) {
        p.after_stall = *v == "latch" ? StallRecovery::latch : StallRecovery::retry;
    }
    read(r, "retry_delay", Dimension::time, non_negative(600.0), p.retry_delay_s);
    r.finish();
}

// An analogue channel (load cell, current sense): {scale, offset, noise,
// bandwidth} in the channel's own dimension.
void analog_sensor(MapReader& r, std::string_view key, Dimension dim, double& scale, double& offset, double& noise,
                   double& bandwidth_hz) {
    if (auto m = r.map(key, Need::optional)) {
        read(*m, "scale", dim, positive(), scale);
        read(*m, "offset", dim, Range{}, offset);
        read(*m, "noise", dim, non_negative(), noise);
        read(*m, "bandwidth", Dimension::frequency, positive(1e6), bandwidth_hz);
        m->finish();
    }
}

void parse_sensors(MapReader& r, SimParams& p) {
    if (auto e = r.map("encoder", Need::optional)) {
        read(*e, "scale", Dimension::length, positive(), p.encoder_scale_m);
        read(*e, "offset", Dimension::length, Range{}, p.encoder_offset_m);
        if (auto z = e->choice("zero", {"start", "face"}, Need::optional)) p.encoder_zero_at_face = *z == "face";
        e->finish();
    }
    analog_sensor(r, "load_cell", Dimension::force, p.load_cell_scale_n, p.load_cell_offset_n, p.load_cell_noise_n,
                  p.load_cell_bandwidth_hz);
    analog_sensor(r, "current", Dimension::current, p.current_scale_a, p.current_offset_a, p.current_noise_a,
                  p.current_bandwidth_hz);
    r.finish();
}

void parse_loop(MapReader& r, SimParams& p) {
    read(r, "jitter", Dimension::time, non_negative(1e-3), p.loop_jitter_s);
    if (auto v = r.integer("overrun_max_periods", Need::optional, 2, 1000)) p.overrun_max_periods = static_cast<int>(*v);
    read(r, "substep", Dimension::time, Range{1e-6, 100e-6, "1 us: model cost", "100 us: stability"}, p.substep_s);
    r.finish();
}

}  // namespace

void parse_sim_section(MapReader& sim, SimParams& out, std::vector<FaultInjection>& faults) {
    if (auto m = sim.map("motor", Need::optional)) parse_motor(*m, out);
    if (auto m = sim.map("mechanism", Need::optional)) parse_mechanism(*m, out);
    if (auto m = sim.map("phantom", Need::optional)) parse_phantom(*m, out);
    if (auto m = sim.map("firmware", Need::optional)) parse_firmware(*m, out);
    if (auto m = sim.map("sensors", Need::optional)) parse_sensors(*m, out);
    if (auto m = sim.map("loop", Need::optional)) parse_loop(*m, out);
    if (auto f = sim.map("faults", Need::optional)) {
        // parse_fault() reports unknown fault names itself (with "did you mean").
        for (const auto& kv : f->node()) {
            if (auto fi = parse_fault(kv.first.Scalar(), kv.second, f->file(), f->diags())) faults.push_back(*fi);
        }
    }
}

}  // namespace rig
