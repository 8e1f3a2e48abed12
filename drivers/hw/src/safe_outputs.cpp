// `rig safe`: drive every output of a hardware fixture to its safe level
// without the fixture lock and without configuring anything (hw_fixture.hpp,
// force_safe_outputs).
#include <filesystem>
#include <ostream>
#include <system_error>

#include "rig/hw/hw_fixture.hpp"

namespace rig::hw {

std::string force_sysfs_pwm_off(const std::filesystem::path& root, SysfsIo& io, unsigned chip, unsigned channel) {
    namespace fs = std::filesystem;
    const fs::path dir = root / ("pwmchip" + std::to_string(chip)) / ("pwm" + std::to_string(channel));
    if (!fs::is_directory(dir)) return dir.string() + " not exported: no PWM output";
    auto write = [&](const char* leaf, const char* text) {
        const fs::path p = dir / leaf;
        const int fd = io.open_write(p);
        if (fd < 0) throw std::system_error(-fd, std::generic_category(), "opening " + p.string());
        const int err = io.write_at(fd, text, std::char_traits<char>::length(text));
        io.close(fd);
        return err;
    };
    // duty 0 first (accepted whenever the period is set), then disable. With
    // period 0 the channel produces nothing and the kernel refuses both
    // writes (EINVAL): nothing to stop.
    const int e1 = write("duty_cycle", "0\n");
    const int e2 = write("enable", "0\n");
    if (e1 == EINVAL && e2 == EINVAL) return dir.string() + ": period 0, no output";
    if (e1 != 0) throw std::system_error(e1, std::generic_category(), "writing 0 to " + (dir / "duty_cycle").string());
    if (e2 != 0) throw std::system_error(e2, std::generic_category(), "writing 0 to " + (dir / "enable").string());
    return dir.string() + ": duty 0, disabled";
}

int force_safe_outputs(const FixtureConfig& cfg, HwPlatform& platform, std::ostream& out) {
    const HwConfig& hw = cfg.hardware;
    int failures = 0;
    // GPIO outputs: request each at its safe level and release it. A Pi keeps
    // a released output at its last level, so the level stays safe after this
    // process exits; the board's pull-downs hold it if the pin floats later.
    struct Out {
        const char* what;
        unsigned line;
        bool used;
    };
    const bool stepper = hw.depth_actuator == DepthActuatorKind::stepper;
    const Out outs[] = {{"pen power", hw.lines.pen_power, true},
                        {"brake", hw.lines.brake, true},
                        {"stepper STEP", hw.lines.step, stepper},
                        {"stepper DIR", hw.lines.dir, stepper}};
    std::unique_ptr<GpioChip> chip;
    try {
        chip = platform.open_gpio_chip(hw.gpio_chip_label);
    } catch (const std::exception& e) {
        out << "FAIL  gpio: " << e.what() << '\n';
        ++failures;
    }
    if (chip) {
        for (const auto& o : outs) {
            if (!o.used) continue;
            try {
                auto line = chip->request_output(o.line, false, "penrig safe");
                line->set(false);
                out << "OK    " << o.what << " (line " << o.line << ") low\n";
            } catch (const std::exception& e) {
                // EBUSY: another process still holds it (a rig that is running).
                out << "FAIL  " << o.what << " (line " << o.line << "): " << e.what() << '\n';
                ++failures;
            }
        }
    }
    try {
        const unsigned pwm_chip = hw.pwm.device.empty() ? hw.pwm.chip : platform.resolve_pwm_chip(hw.pwm.device);
        out << "OK    speed PWM: " << platform.force_pwm_off(pwm_chip, hw.pwm.channel) << '\n';
    } catch (const std::exception& e) {
        out << "FAIL  speed PWM: " << e.what() << '\n';
        ++failures;
    }
    return failures;
}

}  // namespace rig::hw
