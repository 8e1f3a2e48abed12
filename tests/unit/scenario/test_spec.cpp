#include "catch.hpp"
#include "expect_diagnostics.hpp"
#include "rig/scenario/spec.hpp"
#include "rig/drivers/fixture_config.hpp"
#include "test_files.hpp"

using namespace rig;

TEST_CASE("a valid spec loads with its values in the documented units", "[spec]") {
    Diagnostics d;
    auto f = load_yaml_text("spec.yaml", test::kSpec, d);
    REQUIRE(f);
    auto s = parse_spec(std::move(*f), d);
    REQUIRE(s);
    CHECK_FALSE(d.has_errors());
    CHECK(s->levels_hz.at(3) == Approx(150.0));
    CHECK(s->rate_tolerance == Approx(0.05));
    CHECK(s->depth_tolerance_mm == Approx(0.15));
    CHECK(s->after_stall == AfterStall::latch);
    CHECK(*s->stall_latency_max_s == Approx(0.2));
    CHECK(s->dial_settings_mm() == std::vector<double>{0.0, 0.5, 1.0, 1.5, 2.0, 2.5});
}

TEST_CASE("spec errors carry line and column", "[spec]") {
    Diagnostics d;
    auto f = load_yaml_text("spec.yaml",
                            "model: X\nversion: \"1\"\nlevels: {1: 50, two: 80 Hz}\nrate: {tolerance: 5 Hz}\n"
                            "depth: {min: 0 mm, max: 2.5 mm, dial_step: 0.25 mm, tolerance: 0.15 mm}\n"
                            "stall: {max_latency: 200 ms, after: retry}\n",
                            d);
    REQUIRE(f);
    CHECK_FALSE(parse_spec(std::move(*f), d));
    test::check_diagnostics(d, {{3, "missing unit"},
                                {3, "level 'two'"},
                                {4, "wrong unit 'Hz'"},
                                {6, "retry_delay"}});  // retry needs its delay
}

TEST_CASE("fixture files: calibration records are required and checked", "[fixture]") {
    Diagnostics d;
    auto f = load_yaml_text("fx.yaml",
                            "name: r\nbackend: sim\nsample_rate: 10 kHz\nlimits: {max_depth: 2.5 mm, max_rate: 200 Hz}\n"
                            "calibration:\n  - {instrument: load_cell, id: L, scale: 1 um, date: 2026-13-01, due: 2027-01-01, reference: x}\n",
                            d);
    REQUIRE(f);
    CHECK_FALSE(parse_fixture(std::move(*f), d));
    test::check_diagnostics(d, {{6, "wrong unit 'um'"}, {0, "YYYY-MM-DD"}});
}
