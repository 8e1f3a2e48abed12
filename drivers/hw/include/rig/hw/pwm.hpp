#pragma once
// Hardware PWM behind a small interface; the Linux backend uses
// /sys/class/pwm/pwmchipN/pwmM (export, period, duty_cycle, enable).
//
// Ownership: a PwmChannel holds the channel's sysfs files open (RAII,
// move-only); destroying it writes duty 0 and disables the output, and leaves
// the channel exported (unexporting would let the pin float to whatever the
// pin mux gives it).
// Thread-safety: one thread at a time; set_duty() is also safe from the
// safe-state path (one pwrite on an open fd).
// Real-time path: set_duty() never allocates or throws. Setup throws
// std::system_error whose message names the sysfs path.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace rig::hw {

class PwmChannel {
public:
    virtual ~PwmChannel() = default;
    /// Period the channel was configured with.
    [[nodiscard]] virtual std::chrono::nanoseconds period() const noexcept = 0;
    /// Duty cycle as high time (0..period); false on a write error.
    virtual bool set_duty(std::chrono::nanoseconds high) noexcept = 0;
    [[nodiscard]] virtual std::chrono::nanoseconds duty() const noexcept = 0;
    /// Starts or stops the output.
    virtual void enable(bool on) = 0;
};

/// The file operations sysfs PWM needs, injectable so that tests run the real
/// code against an emulation of the kernel's rules (tests/emulators).
/// Returns follow the syscalls: open_write() an fd or -errno; write_at() 0 or
/// errno. Never throw, never allocate.
class SysfsIo {
public:
    virtual ~SysfsIo() = default;
    virtual int open_write(const std::filesystem::path& p) noexcept = 0;
    virtual int write_at(int fd, const char* data, std::size_t len) noexcept = 0;
    virtual void close(int fd) noexcept = 0;
};
/// open(2) / pwrite(2) / close(2).
SysfsIo& real_sysfs_io() noexcept;

struct PwmSettings {
    std::filesystem::path sysfs_root{"/sys/class/pwm"};  // tests pass a fake tree
    unsigned chip = 0;
    unsigned channel = 0;
    std::chrono::nanoseconds period{50'000};
    /// How long to wait for pwmM/ to appear after export (udev sets its
    /// permissions asynchronously).
    std::chrono::milliseconds export_timeout{1000};
    SysfsIo* io = nullptr;  // nullptr: real_sysfs_io()
};

/// The pwmchip number whose parent device is `device` (the platform device
/// name, e.g. "fe20c000.pwm" on a Pi 4, "1f00098000.pwm" for the RP1 PWM0 of
/// a Pi 5): the basename of pwmchipN/device's target. Chip numbers follow
/// probe order and change with kernel and overlays; the device address does
/// not. Throws std::runtime_error listing the chips found.
unsigned resolve_pwm_chip(const std::filesystem::path& sysfs_root, const std::string& device);

/// Exports (if needed) and configures a sysfs PWM channel: period first (the
/// kernel refuses any duty_cycle or enable write while the period is 0, as it
/// is on a freshly exported channel: pwm_apply_state() returns -EINVAL for
/// period 0 or duty > period), with duty lowered to 0 before a period change if
/// a previous owner left a duty above the new period; then duty 0, then enable.
/// Throws std::system_error naming the path that failed.
std::unique_ptr<PwmChannel> open_sysfs_pwm(const PwmSettings& settings);

}  // namespace rig::hw
