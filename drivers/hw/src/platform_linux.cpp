#include "rig/hw/platform.hpp"

namespace rig::hw {
namespace {
class LinuxPlatform final : public HwPlatform {
public:
    explicit LinuxPlatform(std::filesystem::path pwm_root) : pwm_root_(std::move(pwm_root)) {}
    std::unique_ptr<GpioChip> open_gpio_chip(std::string_view label) override { return hw::open_gpio_chip(label); }
    std::unique_ptr<SpiDevice> open_spi(const std::string& path, const SpiSettings& s) override {
        return open_spidev(path, s);
    }
    std::unique_ptr<PwmChannel> open_pwm(unsigned chip, unsigned channel, std::chrono::nanoseconds period) override {
        PwmSettings s;
        s.sysfs_root = pwm_root_;
        s.chip = chip;
        s.channel = channel;
        s.period = period;
        return open_sysfs_pwm(s);
    }

    unsigned resolve_pwm_chip(const std::string& device) override { return hw::resolve_pwm_chip(pwm_root_, device); }
    std::string force_pwm_off(unsigned chip, unsigned channel) override {
        return force_sysfs_pwm_off(pwm_root_, real_sysfs_io(), chip, channel);
    }

private:
    std::filesystem::path pwm_root_;
};
}  // namespace

std::unique_ptr<HwPlatform> make_linux_platform(std::filesystem::path pwm_sysfs_root) {
    return std::make_unique<LinuxPlatform>(std::move(pwm_sysfs_root));
}
}  // namespace rig::hw
