#pragma once
// An HwPlatform for tests: the fake GPIO chip, the two chip emulators behind
// the configured spidev paths, and the real sysfs PWM code on a fake tree.
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "ads1256_emulator.hpp"
#include "fake_gpio.hpp"
#include "fake_pwm_sysfs.hpp"
#include "ls7366r_emulator.hpp"
#include "rig/hw/platform.hpp"

namespace rig::test {

/// Forwards to a SpiDevice the test owns, so the test can inspect it after
/// the fixture took "ownership".
class SpiRef final : public hw::SpiDevice {
public:
    explicit SpiRef(hw::SpiDevice& d) : d_(&d) {}
    using hw::SpiDevice::transfer;
    std::error_code transfer(std::span<const hw::SpiSegment> s) noexcept override { return d_->transfer(s); }
    [[nodiscard]] const std::string& name() const noexcept override { return d_->name(); }

private:
    hw::SpiDevice* d_;
};

/// Creates pwmchip<chip>/ with npwm and export (and a `device` link to
/// `device`), as the kernel shows them; with `exported_channel0`, pwm0/ as a
/// fresh export leaves it (period 0).
inline void make_fake_pwm_chip(const std::filesystem::path& root, unsigned chip, unsigned npwm, bool exported_channel0,
                               FakePwmSysfs* kernel = nullptr, const std::string& device = "fe20c000.pwm") {
    namespace fs = std::filesystem;
    FakePwmSysfs local;
    FakePwmSysfs& k = kernel != nullptr ? *kernel : local;
    k.add_chip(root, chip, npwm, device);
    const auto dir = root / ("pwmchip" + std::to_string(chip));
    if (exported_channel0) k.preset(dir / "pwm0", {});
}

class FakePlatform final : public hw::HwPlatform {
public:
    FakePlatform(FakeGpio& gpio, std::filesystem::path pwm_root) : gpio_(&gpio), pwm_root_(std::move(pwm_root)) {}
    std::map<std::string, hw::SpiDevice*> spi;  // path -> emulator
    std::map<std::string, hw::SpiSettings> spi_settings;
    bool fail_spi_open = false;

    std::unique_ptr<hw::GpioChip> open_gpio_chip(std::string_view label) override {
        if (label != gpio_->label()) throw std::runtime_error("no GPIO chip with label '" + std::string(label) + "'");
        return gpio_->chip();
    }
    std::unique_ptr<hw::SpiDevice> open_spi(const std::string& path, const hw::SpiSettings& s) override {
        if (fail_spi_open) throw std::system_error(ENOENT, std::generic_category(), "opening " + path);
        auto it = spi.find(path);
        if (it == spi.end()) throw std::system_error(ENOENT, std::generic_category(), "opening " + path);
        spi_settings[path] = s;
        return std::make_unique<SpiRef>(*it->second);
    }
    std::unique_ptr<hw::PwmChannel> open_pwm(unsigned chip, unsigned channel, std::chrono::nanoseconds period) override {
        hw::PwmSettings s;
        s.sysfs_root = pwm_root_;
        s.chip = chip;
        s.channel = channel;
        s.period = period;
        s.export_timeout = std::chrono::milliseconds(0);
        s.io = &kernel;
        return hw::open_sysfs_pwm(s);
    }
    unsigned resolve_pwm_chip(const std::string& device) override { return hw::resolve_pwm_chip(pwm_root_, device); }
    std::string force_pwm_off(unsigned chip, unsigned channel) override {
        return hw::force_sysfs_pwm_off(pwm_root_, kernel, chip, channel);
    }
    /// The kernel's PWM rules over the tree (the real sysfs_pwm.cpp writes through it).
    FakePwmSysfs kernel;

private:
    FakeGpio* gpio_;
    std::filesystem::path pwm_root_;
};

}  // namespace rig::test
