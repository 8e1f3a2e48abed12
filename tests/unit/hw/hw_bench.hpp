#pragma once
// The reference fixture's wiring, emulated, shared by the hardware fixture
// tests: fake GPIO with a dial model, the LS7366R and ADS1256 emulators on
// their spidev paths, a fake PWM sysfs tree.
#include <optional>
#include <sstream>

#include "catch.hpp"
#include "fake_clock.hpp"
#include "fake_platform.hpp"
#include "rig/hw/hw_fixture.hpp"
#include "skip.hpp"
#include "temp_dir.hpp"

namespace rig::test {

inline FixtureConfig pi4_config() {
    Diagnostics d;
    auto cfg = load_fixture(rig::test::source_dir() / "fixtures" / "pi4-reference.yaml", d);
    INFO([&] { std::ostringstream o; d.print(o); return o.str(); }());
    REQUIRE(cfg);
    return *cfg;
}

// The reference fixture's wiring, emulated: fake GPIO with a dial model on
// STEP/DIR/home, LS7366R and ADS1256 emulators on their spidev paths, a fake
// PWM sysfs tree.
struct Bench {
    rig::test::TempDir tmp;
    FakeGpio gpio;
    rig::test::Ls7366rEmulator counter{"/dev/spidev0.1"};
    rig::test::FakeClock clock;
    rig::test::Ads1256Emulator adc{clock, "/dev/spidev0.0"};
    rig::test::FakePlatform platform{gpio, tmp.path()};
    std::int64_t dial_pos = 400;  // steps above home at power-up
    Bench() {
        rig::test::make_fake_pwm_chip(tmp.path(), 0, 2, true, &platform.kernel, "fe20c000.pwm");
        adc.advance = &clock;
        adc.sclk_hz = 1.5e6;
        gpio.input_level[25] = false;  // E-stop NC contact closed: not pressed
        platform.spi["/dev/spidev0.1"] = &counter;
        platform.spi["/dev/spidev0.0"] = &adc;
        gpio.external[5] = &adc.drdy();
        gpio.on_write[22] = [this](bool high) {
            if (!high) return;
            dial_pos += gpio.output(23).value_or(false) ? 1 : -1;
            gpio.input_level[24] = dial_pos > 0;
        };
        gpio.input_level[24] = true;
    }
    std::filesystem::path pwm(const char* f) const { return tmp.path() / "pwmchip0" / "pwm0" / f; }
    /// The fixture on this bench: `config` (default: pi4-reference.yaml),
    /// `fixture_clock` (default: the bench's FakeClock itself).
    std::unique_ptr<hw::HwFixture> make(std::optional<FixtureConfig> config = std::nullopt,
                                        std::unique_ptr<Clock> fixture_clock = nullptr) {
        hw::HwFixtureOptions o;
        o.use_watchdog = false;
        o.adc_service_thread = false;
        if (!fixture_clock) fixture_clock = std::make_unique<rig::test::ClockRef>(clock);
        return std::make_unique<hw::HwFixture>(config ? std::move(*config) : pi4_config(), platform,
                                               std::move(fixture_clock), o);
    }
    // Every requested output was driven low after its last high, before its release.
    void check_released_safe(std::initializer_list<unsigned> lines) const {
        for (unsigned line : lines) {
            INFO("line " << line);
            const long rel = gpio.last_index_of(GpioRecord::release, line);
            REQUIRE(rel >= 0);
            const long last_high = gpio.last_index_of(GpioRecord::write, line, true);
            const long last_low = gpio.last_index_of(GpioRecord::write, line, false);
            CHECK(last_low > last_high);
            CHECK(last_low < rel);
        }
    }
};


}  // namespace rig::test
