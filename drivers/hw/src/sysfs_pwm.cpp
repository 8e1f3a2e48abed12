#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <system_error>
#include <thread>

#include "rig/hw/pwm.hpp"

namespace rig::hw {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(int err, const fs::path& p, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what + " " + p.string());
}

void write_text(const fs::path& p, const std::string& text) {
    // O_TRUNC is a no-op on sysfs and keeps a plain-file tree (tests) exact.
    const int fd = ::open(p.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) fail(errno, p, "opening");
    const ssize_t n = ::write(fd, text.data(), text.size());
    const int err = errno;
    ::close(fd);
    if (n < 0) fail(err, p, "writing '" + text + "' to");
    if (static_cast<std::size_t>(n) != text.size()) fail(EIO, p, "short write to");
}

class SysfsPwm final : public PwmChannel {
public:
    explicit SysfsPwm(const PwmSettings& s) : period_(s.period) {
        const fs::path chip = s.sysfs_root / ("pwmchip" + std::to_string(s.chip));
        if (!fs::is_directory(chip)) fail(ENOENT, chip, "no PWM chip at");
        dir_ = chip / ("pwm" + std::to_string(s.channel));
        if (!fs::is_directory(dir_)) {
            write_text(chip / "export", std::to_string(s.channel));
            // The kernel creates pwmM/ at once, but udev may still be changing
            // its group and mode; wait until the files are writable.
            const auto deadline = std::chrono::steady_clock::now() + s.export_timeout;
            while (::access((dir_ / "duty_cycle").c_str(), W_OK) != 0) {
                if (std::chrono::steady_clock::now() > deadline) fail(ETIMEDOUT, dir_ / "duty_cycle", "after export, not writable:");
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        // duty_cycle must never exceed period, whatever the previous owner set:
        // zero the duty first, then set the period.
        duty_fd_ = ::open((dir_ / "duty_cycle").c_str(), O_WRONLY | O_CLOEXEC);
        if (duty_fd_ < 0) fail(errno, dir_ / "duty_cycle", "opening");
        if (!set_duty(std::chrono::nanoseconds(0))) {
            const int err = errno;
            ::close(duty_fd_);
            fail(err, dir_ / "duty_cycle", "writing 0 to");
        }
        try {
            write_text(dir_ / "period", std::to_string(period_.count()));
        } catch (...) {
            ::close(duty_fd_);
            throw;
        }
    }
    SysfsPwm(const SysfsPwm&) = delete;
    SysfsPwm& operator=(const SysfsPwm&) = delete;
    ~SysfsPwm() override {
        set_duty(std::chrono::nanoseconds(0));
        try {
            enable(false);
        } catch (...) {  // NOLINT(bugprone-empty-catch): duty is already 0
        }
        ::close(duty_fd_);
    }

    [[nodiscard]] std::chrono::nanoseconds period() const noexcept override { return period_; }

    bool set_duty(std::chrono::nanoseconds high) noexcept override {
        if (high < std::chrono::nanoseconds(0)) high = std::chrono::nanoseconds(0);
        if (high > period_) high = period_;
        std::array<char, 24> buf{};
        auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size() - 1, high.count());
        if (ec != std::errc()) return false;
        *end++ = '\n';
        const auto len = static_cast<std::size_t>(end - buf.data());
        // pwrite at 0 on the fd kept open: no path lookup, no allocation. The
        // value ends at the newline (sysfs accepts it; a plain-file tree keeps
        // stale bytes after it, so readers take the first line).
        if (::pwrite(duty_fd_, buf.data(), len, 0) != static_cast<ssize_t>(len)) return false;
        duty_ = high;
        return true;
    }
    [[nodiscard]] std::chrono::nanoseconds duty() const noexcept override { return duty_; }

    void enable(bool on) override { write_text(dir_ / "enable", on ? "1" : "0"); }

private:
    std::filesystem::path dir_;
    std::chrono::nanoseconds period_;
    std::chrono::nanoseconds duty_{0};
    int duty_fd_ = -1;
};

}  // namespace

std::unique_ptr<PwmChannel> open_sysfs_pwm(const PwmSettings& settings) {
    auto p = std::make_unique<SysfsPwm>(settings);
    p->enable(true);
    return p;
}

}  // namespace rig::hw
