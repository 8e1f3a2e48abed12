#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string_view>

#include "catch.hpp"
#include "contains_each.hpp"
#include "skip.hpp"
#include "rig/hw/doctor.hpp"
#include "temp_dir.hpp"

using namespace rig;
namespace fs = std::filesystem;

namespace {

FixtureConfig pi4_config() {
    Diagnostics d;
    auto cfg = load_fixture(rig::test::source_dir() / "fixtures" / "pi4-reference.yaml", d);
    REQUIRE(cfg);
    return *cfg;
}

void touch(const fs::path& p, const std::string& text = "") {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// A Pi 4 as the doctor sees it: /dev with gpiochip0 and the spidev nodes,
// /sys with a PWM chip, a PREEMPT_RT kernel and CPU 3 isolated.
struct FakePi {
    rig::test::TempDir tmp;
    hw::DoctorEnv env;
    FakePi() {
        env.dev_root = tmp.path() / "dev";
        env.sys_root = tmp.path() / "sys";
        touch(env.dev_root / "gpiochip0");
        touch(env.dev_root / "gpiochip1");
        touch(env.dev_root / "spidev0.0");
        touch(env.dev_root / "spidev0.1");
        touch(env.sys_root / "class/pwm/pwmchip0/npwm", "2\n");
        touch(env.sys_root / "class/pwm/pwmchip0/export");
        fs::create_directories(env.sys_root / "devices/platform/soc/fe20c000.pwm");
        fs::create_directory_symlink(env.sys_root / "devices/platform/soc/fe20c000.pwm",
                                     env.sys_root / "class/pwm/pwmchip0/device");
        touch(env.sys_root / "module/pinctrl_bcm2835/parameters/persist_gpio_outputs", "N\n");
        touch(env.dev_root / "watchdog");
        env.boot_config = tmp.path() / "boot/config.txt";
        touch(env.boot_config, "dtparam=spi=on\ndtparam=audio=off\ndtoverlay=pwm,pin=18,func=2\n");
        touch(env.sys_root / "kernel/realtime", "1\n");
        touch(env.sys_root / "devices/system/cpu/isolated", "3\n");
        env.chip_info = [](const fs::path& p) -> std::optional<hw::GpioChipInfo> {
            if (p.filename() == "gpiochip0") return hw::GpioChipInfo{"pinctrl-bcm2711", 58};
            return hw::GpioChipInfo{"raspberrypi-exp-gpio", 8};
        };
        env.can_read_write = [](const fs::path&) { return true; };
        env.euid = 1000;
        env.groups = {"pi", "gpio", "spi"};
        env.rtprio_limit = 95;
        env.memlock_limit = std::nullopt;
        env.kernel_version = "#1 SMP PREEMPT_RT Debian 1:6.6.51-1+rpt3";
    }
};

/// `rig doctor` on the machine `env` exits with `rc` and prints each of
/// `lines`; returns what it printed.
std::string check_doctor(const FixtureConfig& cfg, const hw::DoctorEnv& env, int rc,
                         std::initializer_list<std::string_view> lines) {
    std::ostringstream out;
    const int got = hw::run_doctor(&cfg, out, env);
    INFO(out.str());
    CHECK(got == rc);
    rig::test::check_contains_each(out.str(), lines);
    return out.str();
}

}  // namespace

TEST_CASE("doctor on this machine without GPIO: clear message, non-zero, no crash", "[hw][doctor]") {
    if (fs::exists("/dev/gpiochip0")) {
        PENRIG_SKIP("this machine has GPIO; the no-GPIO message cannot be checked here");
    }
    auto cfg = pi4_config();
    std::ostringstream out;
    CHECK(hw::run_doctor(&cfg, out) == 2);
    CHECK_THAT(out.str(), Catch::Contains("FAIL  gpio: this machine has no GPIO chips") &&
                              Catch::Contains("a hardware fixture cannot run here"));
    std::ostringstream out2;
    CHECK(hw::run_doctor(nullptr, out2) == 2);
    CHECK_THAT(out2.str(), Catch::Contains("checking this machine only"));
}

TEST_CASE("doctor: PWM chip by device, Pi 4 audio, output persistence, E-stop circuit, watchdog", "[hw][doctor]") {
    FakePi pi;
    auto cfg = pi4_config();
    SECTION("all good") {
        check_doctor(cfg, pi.env, 0,
                     {"OK    pwm: device fe20c000.pwm is pwmchip0", "OK    estop: normally-closed",
                      "OK    gpio: released outputs return to input", "OK    watchdog: /dev/watchdog present",
                      "OK    pwm: analogue audio is not using the PWM block"});
    }
    SECTION("failures") {
        touch(pi.env.boot_config, "dtparam=audio=on\n");
        touch(pi.env.sys_root / "module/pinctrl_bcm2835/parameters/persist_gpio_outputs", "Y\n");
        fs::remove(pi.env.sys_root / "class/pwm/pwmchip0/device");
        cfg.hardware.safety.estop_contact = EStopContact::normally_open;
        check_doctor(cfg, pi.env, 1,
                     {"FAIL  pwm: dtparam=audio=on", "FAIL  estop: normally-open contact",
                      "WARN  gpio: released outputs keep their last level",
                      "FAIL  pwm: no PWM chip of device 'fe20c000.pwm'"});
    }
}

TEST_CASE("doctor on a fake Pi tree: every check OK", "[hw][doctor]") {
    FakePi pi;
    const auto s = check_doctor(pi4_config(), pi.env, 0,
                                {"OK    gpio: chip 'pinctrl-bcm2711' is", "(58 lines)",
                                 "OK    gpio: every line offset is below 58",
                                 "OK    spi: /dev/spidev0.1 (LS7366R encoder) present and permitted",
                                 "OK    spi: /dev/spidev0.0 (ADS1256 ADC) present and permitted", "OK    pwm:",
                                 "OK    groups: member of 'gpio'", "OK    rtprio", "OK    kernel: PREEMPT_RT",
                                 "OK    cpu: loop CPU 3 is isolated"});
    CHECK_THAT(s, !Catch::Contains("FAIL") && !Catch::Contains("WARN"));
}

TEST_CASE("doctor on a fake Pi tree: each problem is a FAIL or WARN with a fix", "[hw][doctor]") {
    FakePi pi;
    auto cfg = pi4_config();
    int expected_rc = 1;
    std::string expected;
    SECTION("wrong chip label (a Pi 5 file on a Pi 4)") {
        cfg.hardware.gpio_chip_label = "pinctrl-rp1";
        expected = "FAIL  gpio: no chip labelled 'pinctrl-rp1' (found gpiochip0='pinctrl-bcm2711'";
    }
    SECTION("line out of range") {
        cfg.hardware.lines.drdy = 60;
        expected = "FAIL  gpio: line offsets out of range: drdy=60";
    }
    SECTION("spidev missing") {
        fs::remove(pi.env.dev_root / "spidev0.1");
        expected = "FAIL  spi: /dev/spidev0.1 (LS7366R encoder) missing -> fix: enable SPI: dtparam=spi=on";
    }
    SECTION("spidev not permitted, not in groups") {
        pi.env.can_read_write = [](const fs::path& p) { return p.filename() != "spidev0.0"; };
        pi.env.groups = {"pi"};
        expected = "FAIL  spi: /dev/spidev0.0 (ADS1256 ADC) not permitted -> fix: add the user to group 'spi'";
    }
    SECTION("no PWM chip") {
        fs::remove_all(pi.env.sys_root / "class/pwm");
        expected = "FAIL  pwm:";
    }
    SECTION("RT limits low, PREEMPT kernel, CPU not isolated: warnings only") {
        pi.env.rtprio_limit = 0;
        pi.env.memlock_limit = 8ull << 20;
        fs::remove(pi.env.sys_root / "kernel/realtime");
        pi.env.kernel_version = "#1 SMP PREEMPT Debian 1:6.6.51-1+rpt3";
        touch(pi.env.sys_root / "devices/system/cpu/isolated", "\n");
        expected_rc = 0;
        expected = "WARN  rtprio: RLIMIT_RTPRIO is 0, below priority 80";
    }
    const auto says = check_doctor(cfg, pi.env, expected_rc, {expected});
    if (expected_rc == 0) {
        INFO(says);
        CHECK_THAT(says, Catch::Contains("WARN  kernel: PREEMPT, not PREEMPT_RT") && Catch::Contains("WARN  memlock") &&
                             Catch::Contains("WARN  cpu: loop CPU 3 is not isolated -> fix: add isolcpus=3"));
    }
}

TEST_CASE("CPU lists parse like the kernel writes them", "[hw][doctor]") {
    CHECK(hw::parse_cpu_list("") == std::vector<unsigned>{});
    CHECK(hw::parse_cpu_list("3\n") == std::vector<unsigned>{3});
    CHECK(hw::parse_cpu_list("0-2,5") == std::vector<unsigned>{0, 1, 2, 5});
    CHECK(hw::parse_cpu_list("x,4") == std::vector<unsigned>{4});
}
