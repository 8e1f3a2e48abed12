// The default fixture file and the `sim:` section parser.

#include <fstream>

#include "catch.hpp"
#include "sim_test_support.hpp"

using namespace rig;
using rig::test::TempDir;

namespace {

std::string fixture_with_sim(const std::string& sim_section) {
    return "name: t\n"
           "backend: sim\n"
           "sample_rate: 10 kHz\n"
           "limits: {max_depth: 2.5 mm, max_rate: 220 Hz}\n"
           "calibration:\n"
           "  - {instrument: load_cell, id: a, scale: 0.1 mN, date: 2026-11-01, due: 2027-11-01, reference: r}\n"
           "  - {instrument: encoder, id: b, scale: 1 um, date: 2026-11-01, due: 2027-11-01, reference: r}\n"
           "  - {instrument: current_sense, id: c, scale: 0.1 mA, date: 2026-11-01, due: 2027-11-01, reference: r}\n"
           "sim:\n" +
           sim_section;
}

std::optional<FixtureConfig> load_text(const TempDir& dir, const std::string& text, Diagnostics& diags) {
    const auto path = dir / "fixture.yaml";
    std::ofstream(path) << text;
    return load_fixture(path, diags);
}

}  // namespace

TEST_CASE("fixtures/sim.yaml loads without diagnostics and restates the defaults", "[sim][config]") {
    Diagnostics diags;
    auto cfg = load_fixture(rig::test::source_dir() / "fixtures" / "sim.yaml", diags);
    for (const auto& d : diags.items()) UNSCOPED_INFO(d.str());
    REQUIRE(cfg);
    CHECK(diags.items().empty());
    CHECK(cfg->name == "sim-01");
    CHECK(cfg->backend == Backend::sim);
    CHECK(cfg->sample_rate_hz == 10000.0);
    CHECK(cfg->actuation_rate_hz == 1000.0);
    CHECK(cfg->max_depth_mm == Approx(2.5));
    CHECK(cfg->max_rate_hz == 220.0);
    CHECK(cfg->timing.lateness == std::chrono::microseconds(200));
    CHECK(cfg->timing.max_late_fraction == Approx(0.001));
    REQUIRE(cfg->calibration.size() == 3);
    REQUIRE(cfg->calibration_for("encoder") != nullptr);
    CHECK(cfg->calibration_for("encoder")->scale == Approx(1e-6));
    CHECK(cfg->calibration_for("load_cell")->scale == Approx(1e-4));
    CHECK(cfg->calibration_for("current_sense")->scale == Approx(1e-4));
    CHECK(cfg->calibration_for("load_cell")->due == "2027-11-01");
    CHECK(cfg->faults.empty());

    // The file states every parameter; each must equal the documented default.
    const SimParams d;
    const SimParams& p = cfg->sim;
    CHECK(p.supply_voltage_v == Approx(d.supply_voltage_v));
    CHECK(p.resistance_ohm == Approx(d.resistance_ohm));
    CHECK(p.inductance_h == Approx(d.inductance_h));
    CHECK(p.back_emf_v_s_per_rad == Approx(d.back_emf_v_s_per_rad));
    CHECK(p.inertia_kg_m2 == Approx(d.inertia_kg_m2));
    CHECK(p.viscous_friction_n_m_s_per_rad == Approx(d.viscous_friction_n_m_s_per_rad));
    CHECK(p.coulomb_friction_n_m == Approx(d.coulomb_friction_n_m));
    CHECK(p.strokes_per_rev == d.strokes_per_rev);
    CHECK(p.stroke_m == Approx(d.stroke_m));
    CHECK(p.needle_mass_kg == Approx(d.needle_mass_kg));
    CHECK(p.spring_stiffness_n_per_m == Approx(d.spring_stiffness_n_per_m));
    CHECK(p.spring_preload_n == Approx(d.spring_preload_n));
    CHECK(p.brake_torque_n_m == Approx(d.brake_torque_n_m));
    CHECK(p.dial_speed_m_per_s == Approx(d.dial_speed_m_per_s));
    CHECK(p.phantom_enabled == d.phantom_enabled);
    CHECK(p.phantom_stiffness_n_per_m == Approx(d.phantom_stiffness_n_per_m));
    CHECK(p.phantom_damping_n_s_per_m == Approx(d.phantom_damping_n_s_per_m));
    CHECK(p.speed_control == d.speed_control);
    CHECK(p.max_rate_hz == Approx(d.max_rate_hz));
    CHECK(p.firmware_loop_hz == Approx(d.firmware_loop_hz));
    CHECK(p.boot_delay_s == Approx(d.boot_delay_s));
    CHECK(p.ramp_time_s == Approx(d.ramp_time_s));
    CHECK(p.speed_gain_v_s_per_rad == Approx(d.speed_gain_v_s_per_rad));
    CHECK(p.integral_time_s == Approx(d.integral_time_s));
    CHECK(p.speed_filter_s == Approx(d.speed_filter_s));
    CHECK(p.resistance_estimate_ohm == Approx(d.resistance_estimate_ohm));
    CHECK(p.stall_rate_hz == Approx(d.stall_rate_hz));
    CHECK(p.stall_detection_s == Approx(d.stall_detection_s));
    CHECK(p.after_stall == d.after_stall);
    CHECK(p.retry_delay_s == Approx(d.retry_delay_s));
    CHECK(p.encoder_scale_m == Approx(d.encoder_scale_m));
    CHECK(p.load_cell_scale_n == Approx(d.load_cell_scale_n));
    CHECK(p.load_cell_noise_n == Approx(d.load_cell_noise_n));
    CHECK(p.load_cell_bandwidth_hz == Approx(d.load_cell_bandwidth_hz));
    CHECK(p.current_scale_a == Approx(d.current_scale_a));
    CHECK(p.current_noise_a == Approx(d.current_noise_a));
    CHECK(p.current_bandwidth_hz == Approx(d.current_bandwidth_hz));
    CHECK(p.loop_jitter_s == Approx(d.loop_jitter_s));
    CHECK(p.overrun_max_periods == d.overrun_max_periods);
    CHECK(p.substep_s == Approx(d.substep_s));
}

TEST_CASE("sim section: values with units override defaults, faults are read", "[sim][config]") {
    TempDir dir;
    Diagnostics diags;
    auto cfg = load_text(dir,
                         fixture_with_sim("  motor: {resistance: 4500 mohm, back_emf: 1 mV/rpm}\n"
                                          "  mechanism: {stroke: 2.5 mm, dial_time_per_mm: 250 ms}\n"
                                          "  phantom: {enabled: false}\n"
                                          "  firmware: {after_stall: latch, speed_control: open_loop, stall_detection: 150 ms}\n"
                                          "  sensors: {encoder: {scale: 0.5 um}, load_cell: {noise: 1 mN}}\n"
                                          "  loop: {jitter: 0 us, overrun_max_periods: 3}\n"
                                          "  faults: {weak_spring: 50 %, loop_overrun: 1 %, stall_protection_missing: true}\n"),
                         diags);
    for (const auto& d : diags.items()) UNSCOPED_INFO(d.str());
    REQUIRE(cfg);
    CHECK(cfg->sim.resistance_ohm == Approx(4.5));
    CHECK(cfg->sim.back_emf_v_s_per_rad == Approx(1e-3 * 60.0 / rig::test::kTwoPi));
    CHECK(cfg->sim.stroke_m == Approx(2.5e-3));
    CHECK(cfg->sim.dial_speed_m_per_s == Approx(4e-3));
    CHECK_FALSE(cfg->sim.phantom_enabled);
    CHECK(cfg->sim.after_stall == StallRecovery::latch);
    CHECK(cfg->sim.speed_control == SpeedControl::open_loop);
    CHECK(cfg->sim.stall_detection_s == Approx(0.15));
    CHECK(cfg->sim.encoder_scale_m == Approx(0.5e-6));
    CHECK(cfg->sim.load_cell_noise_n == Approx(1e-3));
    CHECK(cfg->sim.loop_jitter_s == 0.0);
    CHECK(cfg->sim.overrun_max_periods == 3);
    CHECK(cfg->sim.inductance_h == Approx(SimParams{}.inductance_h));  // untouched keys keep defaults
    REQUIRE(cfg->faults.size() == 3);
    CHECK(cfg->faults[0].kind == FaultKind::weak_spring);
    CHECK(cfg->faults[0].value == Approx(0.5));
    CHECK(cfg->faults[1].kind == FaultKind::loop_overrun);
    CHECK(cfg->faults[1].value == Approx(0.01));
    CHECK(cfg->faults[2].kind == FaultKind::stall_protection_missing);
}

TEST_CASE("sim section: errors carry file:line:col", "[sim][config]") {
    TempDir dir;
    Diagnostics diags;
    const std::string text = fixture_with_sim(
        "  motor:\n"
        "    resistance: 6 V\n"            // line 11: wrong unit
        "  mechanism:\n"
        "    strok: 3 mm\n"                // line 13: unknown key
        "  firmware:\n"
        "    after_stall: retyr\n"         // line 15: bad choice
        "  loop:\n"
        "    substep: 1 ms\n"              // line 17: out of range
        "  faults:\n"
        "    weak_sprin: 50 %\n");         // line 19: unknown fault (at its value)
    auto cfg = load_text(dir, text, diags);
    CHECK_FALSE(cfg);
    const std::string file = (dir / "fixture.yaml").string();
    std::vector<std::string> lines;
    for (const auto& d : diags.sorted()) lines.push_back(d.str());
    for (const auto& l : lines) UNSCOPED_INFO(l);
    auto has = [&](const std::string& prefix, const std::string& word) {
        for (const auto& l : lines) {
            if (l.rfind(prefix, 0) == 0 && l.find(word) != std::string::npos) return true;
        }
        return false;
    };
    CHECK(has(file + ":11:17: error", "resistance"));
    CHECK(has(file + ":13:5: error", "strok"));
    CHECK(has(file + ":13:5: error", "did you mean 'stroke'"));
    CHECK(has(file + ":15:18: error", "retyr"));
    CHECK(has(file + ":17:14: error", "substep"));
    CHECK(has(file + ":19:17: error", "weak_sprin"));
    CHECK(diags.error_count() == 5);
}
