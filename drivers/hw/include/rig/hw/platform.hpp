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
};

/// gpiochips by label through libgpiod, /dev/spidev*, and sysfs PWM under
/// `pwm_sysfs_root`.
std::unique_ptr<HwPlatform> make_linux_platform(std::filesystem::path pwm_sysfs_root = "/sys/class/pwm");

}  // namespace rig::hw
