#include <fstream>
#include <sstream>

#include "catch.hpp"
#include "rig/drivers/fixture_config.hpp"
#include "temp_dir.hpp"

using namespace rig;

namespace {
std::string print(const Diagnostics& d) {
    std::ostringstream o;
    d.print(o);
    return o.str();
}

// The pi4 reference file with one line replaced (or appended under hardware:).
std::string pi4_with(const std::string& from, const std::string& to) {
    std::ifstream in(rig::test::source_dir() / "fixtures" / "pi4-reference.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    return text;
}

std::optional<FixtureConfig> parse(const std::string& text, Diagnostics& d) {
    auto f = load_yaml_text("fx.yaml", text, d);
    REQUIRE(f);
    return parse_fixture(std::move(*f), d);
}
}  // namespace

TEST_CASE("the Pi 4 and Pi 5 reference fixtures load without errors or warnings", "[hw][config]") {
    for (const char* name : {"pi4-reference.yaml", "pi5-reference.yaml"}) {
        INFO(name);
        Diagnostics d;
        auto cfg = load_fixture(rig::test::source_dir() / "fixtures" / name, d);
        INFO(print(d));
        REQUIRE(cfg);
        CHECK(d.items().empty());
        CHECK(cfg->backend == Backend::hardware);
        CHECK(cfg->sample_rate_hz == 5000.0);
        const auto& h = cfg->hardware;
        CHECK(h.lines.pen_power == 17);
        CHECK(h.lines.drdy == 5);
        CHECK(h.encoder_spi.device == "/dev/spidev0.1");
        CHECK(h.encoder_spi.speed_hz == 2'000'000);
        CHECK(h.adc.spi.device == "/dev/spidev0.0");
        CHECK(h.adc.spi.speed_hz == 1'500'000);
        CHECK(h.adc.data_rate_sps == 30000.0);
        CHECK(h.adc.load_cell.pga_gain == 64);
        CHECK(h.adc.current.positive == 2);
        CHECK(h.adc.current.negative == 8);
        CHECK(h.adc.drdy_timeout == std::chrono::milliseconds(10));
        CHECK(h.pwm.period == std::chrono::microseconds(50));
        CHECK(h.depth_actuator == DepthActuatorKind::stepper);
        CHECK(h.stepper.steps_per_mm == 1600.0);
        CHECK(h.stepper.max_step_rate_hz == 2000.0);
        CHECK(h.stepper.homing_limit_steps == 6000);
        CHECK(h.realtime.priority == 80);
        CHECK(h.realtime.cpu == 3u);
        CHECK(h.realtime.lock_memory);
        const auto* enc = cfg->calibration_for("encoder");
        REQUIRE(enc);
        CHECK(enc->scale == Approx(1e-6));
        for (const auto& c : cfg->calibration) CHECK(c.due > "2026-11-25");  // none expired today
    }
    Diagnostics d4, d5;
    CHECK(load_fixture(rig::test::source_dir() / "fixtures" / "pi4-reference.yaml", d4)->hardware.gpio_chip_label ==
          "pinctrl-bcm2711");
    CHECK(load_fixture(rig::test::source_dir() / "fixtures" / "pi5-reference.yaml", d5)->hardware.gpio_chip_label ==
          "pinctrl-rp1");
}

TEST_CASE("hardware section errors point at the value", "[hw][config]") {
    struct Case {
        const char* from;
        const char* to;
        const char* message;
    };
    const Case cases[] = {
        {"spi_speed: 2000 kHz", "spi_speed: 2000", "missing unit"},
        {"spi_speed: 1500 kHz", "spi_speed: 4 MHz", "unit"},
        {"spi_speed: 1500 kHz", "spi_speed: 1920 kHz", "t1 = 4 tCLKIN"},
        {"    input_buffer: true ", "    input_buffer_x: true ", "input_buffer"},
        {"estop_contact: normally_closed", "estop_contact: closed", "normally_closed"},
        {"spi_speed: 1500 kHz", "spi_speed: 3000 kHz", "ADS1256"},
        {"data_rate: 30000 Hz", "data_rate: 5000 Hz", "the ADS1256 has 30000"},
        {"pga: 64}", "pga: 48}", "gain is 1, 2, 4"},
        {"brake: 27 ", "brake: 17 ", "already used"},
        {"drdy: 5 ", "drdy: 5.5 ", "whole number"},
        {"spi_device: /dev/spidev0.1", "spi_device: /dev/spi0", "spidev node"},
        {"spi_device: /dev/spidev0.1", "spi_device: /dev/spidev0.0", "share one spidev"},
        {"period: 50 us", "period: 50", "missing unit"},
        {"priority: 80", "priority: 120", "outside 1..99"},
        {"depth_actuator: stepper", "depth_actuator: steper", "did you mean 'stepper'"},
        {"homing_step_rate: 500 Hz", "homing_step_rate: 5 kHz", "must not exceed"},
        {"    lock_memory: true", "    lock_memory: true\n    lock_memroy: true", "unknown key 'lock_memroy'"},
    };
    for (const auto& c : cases) {
        INFO(c.to);
        Diagnostics d;
        auto cfg = parse(pi4_with(c.from, c.to), d);
        CHECK_FALSE(cfg);
        CHECK_THAT(print(d), Catch::Contains(c.message));
        for (const auto& item : d.items()) CHECK(item.where.line > 0);
    }
}

TEST_CASE("a prompt depth actuator needs no stepper lines", "[hw][config]") {
    std::string text = pi4_with("depth_actuator: stepper", "depth_actuator: prompt");
    for (const char* key : {"      step: 22 ", "      dir: 23 ", "      home: 24 "}) {
        const auto at = text.find(key);
        REQUIRE(at != std::string::npos);
        text.erase(at, text.find('\n', at) - at + 1);
    }
    const auto st = text.find("  stepper:\n");
    const auto rt = text.find("  realtime:\n");
    text.erase(st, rt - st);
    Diagnostics d;
    auto cfg = parse(text, d);
    INFO(print(d));
    REQUIRE(cfg);
    CHECK(cfg->hardware.depth_actuator == DepthActuatorKind::prompt);
}

TEST_CASE("reference.index: the mark's calibration, checked with file:line errors", "[hw][config][index]") {
    const std::string block = "\nreference:\n  methods: [index]\n  index:\n    protrusion: -0.25 mm\n"
                              "    uncertainty: 2 um\n    calibration: IDX-0001\n";
    auto text_with = [&](const std::string& b) { return pi4_with("calibration:\n", b + "calibration:\n"); };
    {
        Diagnostics d;
        auto cfg = parse(text_with(block), d);
        INFO(print(d));
        REQUIRE(cfg);
        CHECK(cfg->reference.supports(ReferenceMethod::index));
        CHECK(cfg->reference.index.protrusion_m == Approx(-0.25e-3));
        CHECK(cfg->reference.index.uncertainty_m == Approx(2e-6));
        CHECK(cfg->reference.index.calibration == "IDX-0001");
        CHECK(cfg->reference.time_bound(ReferenceMethod::index) == cfg->reference.index.time_bound());
    }
    struct Bad {
        std::string text, message;
    };
    const Bad bad[] = {
        {"\nreference:\n  methods: [index]\n", "fx.yaml:"},  // line checked below
        {"\nreference:\n  methods: [index]\n  index:\n    protrusion: -0.25 mm\n    calibration: IDX-0001\n",
         "uncertainty"},
        {"\nreference:\n  methods: [index]\n  index:\n    protrusion: -0.25 mm\n    uncertainty: 2 um\n",
         "calibration"},
        {"\nreference:\n  methods: [touch_off]\n  index:\n    protrusion: -0.25 mm\n    uncertainty: 2 um\n"
         "    calibration: IDX-0001\n",
         "does not list 'index'"},
        {"\nreference:\n  methods: [index]\n  index:\n    protrusion: 30 mm\n    uncertainty: 2 um\n"
         "    calibration: IDX-0001\n",
         "protrusion"},
    };
    for (const auto& b : bad) {
        INFO(b.text);
        Diagnostics d;
        CHECK_FALSE(parse(text_with(b.text), d));
        CHECK_THAT(print(d), Catch::Contains(b.message) && Catch::Contains("fx.yaml:"));
    }
    {
        Diagnostics d;
        CHECK_FALSE(parse(text_with("\nreference:\n  methods: [index]\n"), d));
        CHECK_THAT(print(d), Catch::Contains("no reference.index block"));
    }
    {
        // The sim has no index input.
        std::ifstream in(rig::test::source_dir() / "fixtures" / "sim.yaml");
        std::stringstream ss;
        ss << in.rdbuf();
        std::string text = ss.str();
        const auto at = text.find("  methods: [touch_off]");
        REQUIRE(at != std::string::npos);
        text.replace(at, 22, "  methods: [touch_off, index]\n  index: {protrusion: 0 mm, uncertainty: 1 um, calibration: X}");
        Diagnostics d;
        CHECK_FALSE(parse(text, d));
        CHECK_THAT(print(d), Catch::Contains("needs the hardware backend"));
    }
}
