#pragma once
// The OS access the hardware fixture needs, as one injectable factory: the
// Linux platform opens real gpiochips, spidev nodes and sysfs PWM; tests pass
// a platform that hands out fake lines and chip emulators.
//
// Ownership: every open_*() result is owned by the caller.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "rig/hw/gpio.hpp"
#include "rig/hw/pwm.hpp"
#include "rig/hw/spi.hpp"

namespace rig::hw {

class HwPlatform {
public:
    virtual ~HwPlatform() = default;
    virtual std::unique_ptr<GpioChip> open_gpio_chip(std::string_view label) = 0;
    virtual std::unique_ptr<SpiDevice> open_spi(const std::string& path, const SpiSettings& settings) = 0;
    virtual std::unique_ptr<PwmChannel> open_pwm(unsigned chip, unsigned channel, std::chrono::nanoseconds period) = 0;
    /// pwmchip number of a PWM block's platform device (resolve_pwm_chip()).
    virtual unsigned resolve_pwm_chip(const std::string& device) = 0;
    /// Writes duty 0 and enable 0 to an exported channel, touching nothing
    /// else (no export, no period): `rig safe`. Returns what it did; throws
    /// std::system_error on a write the kernel refused.
    virtual std::string force_pwm_off(unsigned chip, unsigned channel) = 0;
};

/// force_pwm_off() on a sysfs tree through `io`.
std::string force_sysfs_pwm_off(const std::filesystem::path& root, SysfsIo& io, unsigned chip, unsigned channel);

/// gpiochips by label through libgpiod, /dev/spidev*, and sysfs PWM under
/// `pwm_sysfs_root`.
std::unique_ptr<HwPlatform> make_linux_platform(std::filesystem::path pwm_sysfs_root = "/sys/class/pwm");

}  // namespace rig::hw
