#include <cerrno>
#include <cmath>

#include "ads1256_emulator.hpp"
#include "catch.hpp"
#include "fake_clock.hpp"
#include "rig/hw/ads1256.hpp"

using namespace rig;
using rig::test::Ads1256Emulator;
using rig::test::FakeClock;
namespace ads = rig::hw::ads1256;

TEST_CASE("ADS1256 code tables and sign extension", "[hw][ads1256]") {
    CHECK(ads::drate_code(30000) == 0xF0);
    CHECK(ads::drate_code(1000) == 0xA1);
    CHECK(ads::drate_code(2.5) == 0x03);
    CHECK_FALSE(ads::drate_code(5000));
    CHECK(ads::pga_code(1) == 0);
    CHECK(ads::pga_code(64) == 6);
    CHECK_FALSE(ads::pga_code(3));
    CHECK(ads::sign_extend_24(0x000001) == 1);
    CHECK(ads::sign_extend_24(0x7FFFFF) == 8388607);
    CHECK(ads::sign_extend_24(0x800000) == -8388608);
    CHECK(ads::sign_extend_24(0xFFFFFF) == -1);
    CHECK(ads::sign_extend_24(0xFF123456) == 0x123456);  // bits above 24 ignored
    CHECK(ads::mux_byte(2, ads::ain_com) == 0x28);
}

TEST_CASE("ADS1256 configuration sequence, register by register", "[hw][ads1256]") {
    Ads1256Emulator emu;
    FakeClock clock;
    hw::Ads1256Settings s;
    s.data_rate_sps = 7500;
    s.pga_gain = 64;
    s.input_buffer = true;
    hw::Ads1256 adc(emu, emu.drdy(), clock, s);
    adc.configure();
    CHECK((emu.reg(0) & 0x0E) == 0x02);  // ORDER MSB first, ACAL off, BUFEN on
    CHECK((emu.reg(0) & 0xF0) == 0x30);  // chip ID untouched
    CHECK(emu.reg(1) == 0x08);           // AIN0 - AINCOM until a channel is started
    CHECK(emu.reg(2) == 0x06);           // CLK out off, sensor detect off, PGA 64
    CHECK(emu.reg(3) == 0xD0);           // 7500 SPS
    CHECK(emu.self_calibrations() == 1);
    // RESET, SDATAC, WREG STATUS, RREG STATUS, SELFCAL; in that order
    const auto& c = emu.commands();
    REQUIRE(c.size() == 5);
    CHECK(c[0] == 0xFE);
    CHECK(c[1] == 0x0F);
    CHECK(c[2] == 0x50);
    CHECK(c[3] == 0x10);
    CHECK(c[4] == 0xF0);
    CHECK(emu.violations().empty());
}

TEST_CASE("ADS1256 channels alternate the mux and convert through calibration", "[hw][ads1256]") {
    Ads1256Emulator emu;
    FakeClock clock;
    hw::Ads1256Settings s;
    s.pga_gain = 64;
    hw::Ads1256 adc(emu, emu.drdy(), clock, s);
    adc.configure();
    // Load cell on AIN0-AIN1 at PGA 64; current on AIN2-AINCOM at PGA 1.
    emu.ain_v = {0.0100, 0.0, 1.25, 0, 0, 0, 0, 0, 0.0};
    const double n_per_count = 1e-4;
    const double a_per_count = 1e-6;
    hw::Ads1256Channels ch(adc, {ads::mux_byte(0, 1), 64, n_per_count, -0.5}, {ads::mux_byte(2, 8), 1, a_per_count, 0.0},
                           clock);
    // Exact codes: V x PGA / (2 x 2.5 V) x 2^23
    const double force_code = 0.0100 * 64 / 5.0 * 8388608.0;  // 1073741.824 -> 1073742
    const double current_code = 1.25 / 5.0 * 8388608.0;        // 2097152 exactly
    auto f = ch.read_n();  // first conversion (load cell) collected, current started
    REQUIRE(f);
    CHECK(std::round(force_code) == 1073742.0);
    CHECK(*f == Approx(1073742 * n_per_count - 0.5));
    auto a = ch.read_a();
    REQUIRE(a);
    CHECK(*a == Approx(current_code * a_per_count));
    // The chip converted the inputs in turn.
    const auto& order = emu.converted_mux();
    REQUIRE(order.size() >= 3);
    // order[0] is the self-calibration's own cycle on the reset mux; then alternate.
    CHECK(order[order.size() - 2] == ads::mux_byte(0, 1));
    CHECK(order[order.size() - 1] == ads::mux_byte(2, 8));
    CHECK(ch.conversions(0) == 1);
    CHECK(ch.conversions(1) == 1);
    SECTION("negative inputs are sign-extended") {
        emu.ain_v[0] = -0.0050;
        ch.read_n();  // collects the current, starts load cell
        auto neg = ch.read_n();
        REQUIRE(neg);
        const double code = std::round(-0.0050 * 64 / 5.0 * 8388608.0);
        CHECK(code < 0);
        CHECK(*neg == Approx(code * n_per_count - 0.5));
    }
    SECTION("a clipped conversion is not a force") {
        emu.ain_v[0] = 0.5;  // far beyond +-78 mV at PGA 64
        ch.read_n();
        ch.read_n();
        CHECK(ch.conversions(0) == 2);
        CHECK_FALSE(ch.read_n());
    }
    SECTION("DRDY stuck high: values go stale and then read as failures") {
        emu.auto_complete = false;
        clock.advance(std::chrono::milliseconds(5));
        CHECK(ch.read_n());  // 5 ms old, within the 50 ms timeout
        clock.advance(std::chrono::milliseconds(50));
        CHECK_FALSE(ch.read_n());
        CHECK_FALSE(ch.read_a());
        emu.complete();  // the chip recovers: the load cell's conversion arrives
        CHECK(ch.read_n());
    }
    SECTION("a failed transfer in the loop collects nothing and is retried on the next read") {
        emu.fail_next(std::error_code(EIO, std::generic_category()));
        const auto before = ch.conversions(0);
        CHECK(ch.read_n());  // cycle failed: the previous value (fresh) is served
        CHECK(ch.conversions(0) == before);
        ch.read_n();  // retried
        CHECK(ch.conversions(0) == before + 1);
    }
    CHECK(emu.violations().empty());
}

TEST_CASE("ADS1256 error paths", "[hw][ads1256]") {
    Ads1256Emulator emu;
    FakeClock clock;
    hw::Ads1256Settings s;
    s.drdy_timeout = std::chrono::milliseconds(20);
    SECTION("DRDY never falls after RESET: timeout naming the device") {
        emu.auto_complete = false;
        hw::Ads1256 adc(emu, emu.drdy(), clock, s);
        const auto t0 = clock.now();
        CHECK_THROWS_WITH(adc.configure(), Catch::Contains("emulated ADS1256") && Catch::Contains("DRDY timeout after RESET"));
        CHECK(clock.now() - t0 >= std::chrono::milliseconds(20));
        CHECK(clock.now() - t0 < std::chrono::milliseconds(21));
    }
    SECTION("failed transfer throws std::system_error naming the device") {
        emu.fail_next(std::error_code(EIO, std::generic_category()));
        hw::Ads1256 adc(emu, emu.drdy(), clock, s);
        CHECK_THROWS_AS(adc.configure(), std::system_error);
    }
    SECTION("short transfer is an error") {
        hw::Ads1256 adc(emu, emu.drdy(), clock, s);
        emu.short_next();
        CHECK_THROWS_WITH(adc.configure(), Catch::Contains("short transfer") && Catch::Contains("RESET"));
    }
    SECTION("absent chip fails the read-back") {
        emu.absent = true;
        hw::Ads1256 adc(emu, emu.drdy(), clock, s);
        CHECK_THROWS_WITH(adc.configure(), Catch::Contains("read-back"));
    }
    SECTION("unsupported settings are rejected before any transfer") {
        s.data_rate_sps = 12345;
        CHECK_THROWS_AS(hw::Ads1256(emu, emu.drdy(), clock, s), std::invalid_argument);
        CHECK(emu.commands().empty());
    }
}

TEST_CASE("the ADS1256 emulator catches a driver that skips t6", "[hw][ads1256][emulator]") {
    // Guards the guard: a read without the t6 pause must be flagged.
    Ads1256Emulator emu;
    const std::array<std::uint8_t, 4> tx{ads::rdata, 0, 0, 0};
    std::array<std::uint8_t, 4> rx{};
    REQUIRE_FALSE(emu.transfer(tx, rx));
    CHECK_FALSE(emu.violations().empty());
}
