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

struct PwmSettings {
    std::filesystem::path sysfs_root{"/sys/class/pwm"};  // tests pass a fake tree
    unsigned chip = 0;
    unsigned channel = 0;
    std::chrono::nanoseconds period{50'000};
    /// How long to wait for pwmM/ to appear after export (udev sets its
    /// permissions asynchronously).
    std::chrono::milliseconds export_timeout{1000};
};

/// Exports (if needed) and configures a sysfs PWM channel: duty 0, period,
/// then enable. Throws std::system_error naming the path that failed.
std::unique_ptr<PwmChannel> open_sysfs_pwm(const PwmSettings& settings);

}  // namespace rig::hw
