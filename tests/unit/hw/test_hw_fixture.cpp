#include <fstream>
#include <sstream>
#include <atomic>
#include <thread>

#include "catch.hpp"
#include "skip.hpp"
#include "fake_clock.hpp"
#include "fake_platform.hpp"
#include "hw_bench.hpp"

using namespace rig;
using namespace rig::test;

TEST_CASE("hardware fixture: safe outputs first, then chips, homing last", "[hw][fixture]") {
    Bench b;
    auto fx = b.make();
    // The first two requests are pen power and brake, already low.
    REQUIRE(b.gpio.log.size() > 2);
    CHECK(b.gpio.log[0] == GpioRecord{GpioRecord::request_output, 17, false, {}});
    CHECK(b.gpio.log[1] == GpioRecord{GpioRecord::request_output, 27, false, {}});
    CHECK(b.gpio.index_of(GpioRecord::request_output, 22, false) > 1);
    CHECK(sysfs_value(b.pwm("duty_cycle")) == "0");
    CHECK(sysfs_value(b.pwm("period")) == "50000");
    CHECK(sysfs_value(b.pwm("enable")) == "1");
    CHECK(b.counter.mdr0() == 0x03);
    CHECK(b.adc.reg(3) == 0xF0);  // 30 kSPS
    CHECK(b.platform.spi_settings["/dev/spidev0.1"].mode == 0);
    CHECK(b.platform.spi_settings["/dev/spidev0.1"].speed_hz == 2'000'000);
    CHECK(b.platform.spi_settings["/dev/spidev0.0"].mode == 1);
    CHECK(b.platform.spi_settings["/dev/spidev0.0"].speed_hz == 1'500'000);
    CHECK(b.dial_pos == 0);  // homed
    REQUIRE(fx->stepper() != nullptr);
    CHECK(fx->stepper()->homed());
    CHECK(b.adc.violations().empty());
    CHECK_FALSE(fx->inject_fault(FaultInjection{FaultKind::weak_spring, 0.5}));
    CHECK(fx->ground_truth() == nullptr);
}

TEST_CASE("hardware fixture: parts read and drive the emulated rig", "[hw][fixture]") {
    Bench b;
    auto fx = b.make();
    Fixture& f = *fx;
    b.counter.move(1234);
    CHECK(*f.encoder().read_mm() == Approx(1.234));  // 1 um per count from the calibration record
    b.adc.ain_v = {0.010, 0.0, 0.5, 0, 0, 0, 0, 0, 0};
    std::optional<double> n, a;
    for (int i = 0; i < 20; ++i) {
        b.clock.advance(std::chrono::microseconds(200));
        n = f.load_cell().read_n();
        a = f.current().read_a();
    }
    REQUIRE(n);
    REQUIRE(a);
    CHECK(*n == Approx(std::round(0.010 * 64 / 5.0 * 8388608.0) * 0.0466e-3));
    CHECK(*a == Approx(std::round(0.5 / 5.0 * 8388608.0) * 0.00119e-3));
    CHECK(f.power().set(true));
    CHECK(b.gpio.output(17) == true);
    CHECK(f.speed().set_rate_hz(150));
    CHECK(sysfs_value(b.pwm("duty_cycle")) == "37500");
    CHECK(f.depth().move_to_mm(1.0));
    std::int64_t t = 0;
    while (f.depth().busy(t)) t += 100'000;
    CHECK(b.dial_pos == 1600);
    CHECK_FALSE(f.estop().pressed());
    b.gpio.drive_input(25, true);  // NC contact opens
    for (int i = 0; i < 2000 && !f.estop().pressed(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK(b.gpio.pin_level(17) == false);  // the watcher made it safe itself
    CHECK_FALSE(f.power().set(true));      // and the pen cannot be powered while the stop lasts
    CHECK(b.gpio.pin_level(17) == false);
}

TEST_CASE("hardware fixture: the E-stop is watched during homing", "[hw][fixture][defect5]") {
    Bench b;
    int pulses = 0;
    auto dial = b.gpio.on_write[22];
    // At the 100th step the E-stop opens; the homing thread (inside this
    // write) waits until the watcher's safe state has run: pen power (17)
    // and then the brake (27) written, the stepper told to stop right after
    // (20 ms for that one store). From then on homing must not step again:
    // the step in progress ends, the next one is refused. (A bound on the
    // steps taken while the safe state runs would time the watcher thread,
    // which under emulation writes sysfs PWM slowly.)
    b.gpio.on_write[22] = [&](bool high) {
        dial(high);
        if (high && ++pulses == 100) {
            const auto power_before = b.gpio.of(17).size();
            const auto brake_before = b.gpio.of(27).size();
            b.gpio.drive_input(25, true);
            for (int i = 0; i < 2000 && (b.gpio.of(17).size() == power_before || b.gpio.of(27).size() == brake_before);
                 ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    };
    CHECK_THROWS_WITH(b.make(), Catch::Contains("homing stopped"));
    CHECK(pulses == 100);
    for (unsigned line : {17u, 27u, 22u, 23u, 24u, 25u, 5u}) CHECK_FALSE(b.gpio.is_requested(line));
}

TEST_CASE("hardware fixture: a killed rig leaves the pen on; rig safe turns it off without the lock", "[hw][fixture][defect4]") {
    // Defect 4: on a Pi a released output keeps its last level and sysfs PWM
    // stays enabled; a SIGKILL runs no destructor. The emulated kill: the
    // lines are released with the pen on (the kernel closing the process's
    // fds), PWM left running.
    Bench b;
    {
        auto chip = b.gpio.chip();
        auto pen = chip->request_output(17, false, "killed rig");
        pen->set(true);
    }  // released by the "kernel": no safe write
    b.platform.kernel.preset(b.tmp.path() / "pwmchip0" / "pwm0", {50'000, 40'000, true});
    CHECK(b.gpio.pin_level(17) == true);  // as a Pi does: still driven high
    std::ostringstream out;
    CHECK(hw::force_safe_outputs(pi4_config(), b.platform, out) == 0);
    INFO(out.str());
    CHECK(b.gpio.pin_level(17) == false);
    CHECK(b.gpio.pin_level(27) == false);
    CHECK(b.platform.kernel.channel(b.tmp.path() / "pwmchip0" / "pwm0").duty == 0);
    CHECK_FALSE(b.platform.kernel.channel(b.tmp.path() / "pwmchip0" / "pwm0").enabled);
    CHECK(b.platform.kernel.rejected == 0);
}

TEST_CASE("hardware fixture: LS7366R re-checked during the run; a brown-out is a sensor fault", "[hw][fixture][defect8]") {
    Bench b;
    auto fx = b.make();
    b.counter.move(500);
    b.clock.advance(std::chrono::milliseconds(150));
    CHECK(fx->encoder().read_mm());
    b.counter.power_cycle();  // brown-out: non-quadrature mode, count 0, PLS set
    std::optional<double> last;
    for (int i = 0; i < 5; ++i) {
        b.clock.advance(std::chrono::milliseconds(150));
        last = fx->encoder().read_mm();
    }
    CHECK_FALSE(last);  // ERROR (sensor fault), never a wrong depth
}

TEST_CASE("hardware fixture: safe_state and destruction leave the rig safe before release", "[hw][fixture]") {
    Bench b;
    auto fx = b.make();
    fx->power().set(true);
    fx->brake().set(true);
    fx->speed().set_rate_hz(200);
    SECTION("safe_state") {
        fx->safe_state();
        CHECK(b.gpio.output(17) == false);
        CHECK(b.gpio.output(27) == false);
        CHECK(sysfs_value(b.pwm("duty_cycle")) == "0");
        CHECK(fx->speed().rate_hz() == 0.0);
        fx->safe_state();  // idempotent
        CHECK(b.gpio.output(17) == false);
    }
    SECTION("destruction") {
        fx.reset();
        b.check_released_safe({17, 27});
        CHECK(sysfs_value(b.pwm("duty_cycle")) == "0");
        CHECK(sysfs_value(b.pwm("enable")) == "0");
        for (unsigned line : {17u, 27u, 22u, 23u, 24u, 25u, 5u}) CHECK_FALSE(b.gpio.is_requested(line));
        // safe_state() ran first: the pen went off before any line was released.
        const long first_release = b.gpio.index_of(GpioRecord::release, 5);
        const long off = b.gpio.index_of(GpioRecord::write, 17, false, b.gpio.last_index_of(GpioRecord::write, 17, true));
        CHECK(off >= 0);
        CHECK(off < first_release);
    }
}

TEST_CASE("hardware fixture: a failure during construction leaves everything safe and released", "[hw][fixture]") {
    Bench b;
    SECTION("spidev missing") {
        b.platform.fail_spi_open = true;
        CHECK_THROWS_WITH(b.make(), Catch::Contains("/dev/spidev0.1"));
    }
    SECTION("encoder chip absent") {
        b.counter.absent = true;
        CHECK_THROWS_WITH(b.make(), Catch::Contains("LS7366R") && Catch::Contains("absent"));
    }
    SECTION("ADC never ready") {
        b.adc.stuck = true;
        CHECK_THROWS_WITH(b.make(), Catch::Contains("DRDY timeout"));
    }
    SECTION("home switch never found") {
        b.gpio.on_write.erase(22);
        CHECK_THROWS_WITH(b.make(), Catch::Contains("home switch not found"));
    }
    for (unsigned line : {17u, 27u, 22u, 23u, 24u, 25u, 5u}) CHECK_FALSE(b.gpio.is_requested(line));
    CHECK(b.gpio.last_index_of(GpioRecord::write, 17, false) < b.gpio.last_index_of(GpioRecord::release, 17));
    CHECK(b.gpio.last_index_of(GpioRecord::write, 27, false) < b.gpio.last_index_of(GpioRecord::release, 27));
    CHECK(sysfs_value(b.pwm("duty_cycle")) == "0");
    CHECK(sysfs_value(b.pwm("enable")) == "0");
}

TEST_CASE("make_hw_fixture on a machine without GPIO fails with a clear message", "[hw][fixture]") {
    if (std::filesystem::exists("/dev/gpiochip0")) {
        PENRIG_SKIP("this machine has GPIO; the no-GPIO message cannot be checked here");
    }
    auto cfg = pi4_config();
    CHECK_THROWS_WITH(make_hw_fixture(cfg), Catch::Contains("pinctrl-bcm2711") && Catch::Contains("no GPIO"));
}

TEST_CASE("hardware fixture: the E-stop's safe state wins against a loop that keeps switching the pen on",
          "[hw][fixture][defect6]") {
    // Defect 6: the safe-state path raced the loop's writes. Here the loop
    // thread keeps writing "pen on" (each write slowed to widen the window)
    // while the E-stop opens; whatever the interleaving, the pen must end off
    // and stay off while the stop lasts.
    Bench b;
    auto fx = b.make();
    b.gpio.write_delay = std::chrono::microseconds(20);
    std::atomic<bool> stop{false};
    std::thread loop([&] {
        while (!stop.load()) (void)fx->power().set(true);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    b.gpio.drive_input(25, true);
    for (int i = 0; i < 2000 && !fx->estop_input().active(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stop.store(true);
    loop.join();
    CHECK(b.gpio.pin_level(17) == false);
    b.gpio.write_delay = std::chrono::microseconds(0);
}
