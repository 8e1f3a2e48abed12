#pragma once
// Parameters of the simulated pen and fixture (drivers/sim). Plain SI values,
// defaults inline; fixtures/sim.yaml restates every one of them with its unit
// (the `sim:` section, parsed by drivers/src/sim_section.cpp).
//
// The defaults describe a believable pen: a 12 V coreless micromotor turning a
// 3 mm cam directly (one stroke per revolution), 50-220 Hz over its speed
// levels, 0-2.5 mm depth, strikes of a few newtons on a silicone skin phantom,
// stall protection that cuts the drive about 100 ms after the rotor stops.
// "Source" says where each default comes from: a catalogue range for the
// part, a measurement on the reference pen, or a design choice of the rig.

#include <cstdint>

namespace rig {

enum class StallRecovery { retry, latch };  // the pen firmware after a stall cut-off
enum class SpeedControl { closed_loop, open_loop };

struct SimParams {
    // --- motor (brushed DC, coreless; catalogue values of a 12 V, 13 mm micromotor) ---
    double supply_voltage_v = 12.0;          // V, pen supply; PWM average = duty x supply
    double resistance_ohm = 6.0;             // ohm, terminal resistance (catalogue 4-8 ohm)
    double inductance_h = 100e-6;            // H, terminal inductance (catalogue 50-150 uH)
    double back_emf_v_s_per_rad = 7.0e-3;    // V*s/rad, Ke; torque constant Kt = Ke in SI (0.73 mV/rpm)
    double inertia_kg_m2 = 2.0e-7;           // kg*m^2, rotor 0.5 g*cm^2 + cam and flywheel 1.5 g*cm^2 (CAD)
    double viscous_friction_n_m_s_per_rad = 1.0e-7;  // N*m*s/rad, bearings + brushes (no-load current fit)
    double coulomb_friction_n_m = 0.3e-3;    // N*m, brush + bearing dry friction (no-load current fit)

    // --- mechanism (cam, needle, return spring, stall brake; reference pen drawings) ---
    int strokes_per_rev = 1;                 // cam lobes: needle strokes per rotor revolution
    double stroke_m = 3.0e-3;                // m, needle travel TDC -> BDC (cam eccentricity x 2)
    double needle_mass_kg = 0.4e-3;          // kg, needle + carrier moving mass (weighed)
    double spring_stiffness_n_per_m = 200.0; // N/m, cartridge return spring rate (spring datasheet)
    double spring_preload_n = 1.0;           // N, spring force at TDC (installed compression)
    double brake_torque_n_m = 30.0e-3;       // N*m, fixture solenoid brake; > stall torque Kt*V/R = 14 mN*m
    double dial_speed_m_per_s = 2.0e-3;      // m/s, depth actuator speed at the dial (stepper design)

    // --- skin phantom on the load cell (silicone pad, indentation test fit) ---
    bool phantom_enabled = true;             // false: nothing under the needle (no-load runs)
    double phantom_stiffness_n_per_m = 1500.0;  // N/m, contact stiffness (3.75 N at 2.5 mm)
    double phantom_damping_n_s_per_m = 1.0;     // N*s/m, contact damping (strike energy loss)
    // m, standard deviation of the phantom surface's offset from the cartridge
    // face, drawn once per run from its seed (each run is one set-up): a
    // phantom re-seated on a compliant mount (a shim, a tilted pad, a pad
    // that creeps) sits a little proud of or behind the face. A touch-off
    // finds the phantom's surface, not the face, so this error passes into
    // every depth; 0 = the phantom seats at the face (a rigid, keyed mount).
    double phantom_seating_sd_m = 0.0;
    // A fixed part of that offset (a rig whose phantom pad sits proud, + , or
    // behind the face, -, every set-up alike): a bias of this rig's depths
    // that no self-check of the run can see; comparing rigs on a golden pen
    // does (rig compare-rigs).
    double phantom_seating_offset_m = 0.0;

    // --- pen firmware (the device under test; reference pen firmware settings) ---
    SpeedControl speed_control = SpeedControl::closed_loop;  // open_loop: duty = rate / max_rate
    double max_rate_hz = 220.0;              // Hz, highest speed level the firmware accepts
    double firmware_loop_hz = 2000.0;        // Hz, regulation / protection loop rate
    double boot_delay_s = 10e-3;             // s, power on -> first drive
    double ramp_time_s = 100e-3;             // s, start-up ramp of the speed setpoint 0 -> commanded
    double speed_gain_v_s_per_rad = 0.01;    // V*s/rad, PI proportional gain (on top of Ke feed-forward)
    double integral_time_s = 20e-3;          // s, PI integral time (Ki = Kp / Ti)
    double speed_filter_s = 2e-3;            // s, time constant of the back-EMF speed estimate filter
    double resistance_estimate_ohm = 5.52;   // ohm, R used for IR compensation (92 % of R: set low for
                                             //   loop stability; the cause of the pen's speed droop)
    double stall_rate_hz = 30.0;             // Hz (stroke rate), estimated speed below this = stalled
    double stall_detection_s = 100e-3;       // s, stalled this long -> drive cut
    StallRecovery after_stall = StallRecovery::retry;
    double retry_delay_s = 500e-3;           // s, drive cut -> drive re-applied (retry mode)

    // --- sensors as the rig sees them (the instruments' true transfer; calibration
    //     records in the fixture file say what the rig believes) ---
    double encoder_scale_m = 1e-6;           // m/count, linear encoder pitch (1 um/count, LS7366R x4)
    double encoder_offset_m = 0.0;           // m, protrusion at count 0 when encoder_zero_at_face
    /// Where the counter reads 0. false (YAML `zero: start`, the default): where
    /// the needle rests when the fixture starts, as a quadrature counter
    /// (LS7366R) does after power-up: readings are not referenced to the
    /// cartridge face until a `reference:` step finds it. true (`zero: face`):
    /// at protrusion `encoder_offset_m` (an absolute scale mounted at the face).
    bool encoder_zero_at_face = false;
    double load_cell_scale_n = 1e-4;         // N/count, ADS1256 code weight after gain (0.1 mN/count)
    double load_cell_offset_n = 0.0;         // N, force at code 0 (tare)
    double load_cell_noise_n = 5e-3;         // N RMS, front-end noise at 10 kSPS (datasheet + bridge)
    double load_cell_bandwidth_hz = 2000.0;  // Hz, first-order anti-alias filter corner
    double current_scale_a = 1e-4;          // A/count, shunt amplifier + ADC code weight
    double current_offset_a = 0.0;           // A, current at code 0
    double current_noise_a = 2e-3;           // A RMS, shunt amplifier noise (PWM ripple residue)
    double current_bandwidth_hz = 20000.0;   // Hz, anti-alias RC after the shunt amplifier (INA240-class
                                             // amplifiers reach 400 kHz); fast enough that stall cut-off is
                                             // seen within a sample period

    // --- acquisition loop and model stepping ---
    double loop_jitter_s = 2e-6;             // s, scale of the loop's wake-up jitter (half-normal;
                                             //   clamped below one sub-step, see sim_fixture.cpp)
    int overrun_max_periods = 5;             // an overrun wakes 2..this many loop periods late
    double substep_s = 10e-6;                // s, fixed physics sub-step (stability: see sim_fixture.cpp)
};

}  // namespace rig
