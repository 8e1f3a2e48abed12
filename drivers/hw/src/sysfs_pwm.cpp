#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <system_error>
#include <thread>

#include "rig/hw/pwm.hpp"

namespace rig::hw {
namespace {

namespace fs = std::filesystem;

class RealSysfsIo final : public SysfsIo {
public:
    int open_write(const fs::path& p) noexcept override {
        // O_TRUNC is a no-op on sysfs and keeps a plain-file tree (tests) exact.
        const int fd = ::open(p.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    int write_at(int fd, const char* data, std::size_t len) noexcept override {
        const ssize_t n = ::pwrite(fd, data, len, 0);
        if (n < 0) return errno;
        return static_cast<std::size_t>(n) == len ? 0 : EIO;
    }
    void close(int fd) noexcept override { ::close(fd); }
};

[[noreturn]] void fail(int err, const fs::path& p, const std::string& what) {
    throw std::system_error(err, std::generic_category(), what + " " + p.string());
}

std::string first_line(const fs::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
}

// Writes a decimal value and a newline; 0 or errno. No allocation.
int write_number(SysfsIo& io, int fd, std::int64_t v) noexcept {
    std::array<char, 24> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size() - 1, v);
    if (ec != std::errc()) return EINVAL;
    *end++ = '\n';
    return io.write_at(fd, buf.data(), static_cast<std::size_t>(end - buf.data()));
}

void write_text(SysfsIo& io, const fs::path& p, const std::string& text) {
    const int fd = io.open_write(p);
    if (fd < 0) fail(-fd, p, "opening");
    const int err = io.write_at(fd, text.data(), text.size());
    io.close(fd);
    if (err != 0) fail(err, p, "writing '" + text + "' to");
}

class SysfsPwm final : public PwmChannel {
public:
    explicit SysfsPwm(const PwmSettings& s) : io_(s.io != nullptr ? s.io : &real_sysfs_io()), period_(s.period) {
        const fs::path chip = s.sysfs_root / ("pwmchip" + std::to_string(s.chip));
        if (!fs::is_directory(chip)) fail(ENOENT, chip, "no PWM chip at");
        dir_ = chip / ("pwm" + std::to_string(s.channel));
        if (!fs::is_directory(dir_)) {
            write_text(*io_, chip / "export", std::to_string(s.channel));
            // The kernel creates pwmM/ at once, but udev may still be changing
            // its group and mode; wait until the files are writable.
            const auto deadline = std::chrono::steady_clock::now() + s.export_timeout;
            while (::access((dir_ / "duty_cycle").c_str(), W_OK) != 0) {
                if (std::chrono::steady_clock::now() > deadline) fail(ETIMEDOUT, dir_ / "duty_cycle", "after export, not writable:");
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        duty_fd_ = io_->open_write(dir_ / "duty_cycle");
        if (duty_fd_ < 0) fail(-duty_fd_, dir_ / "duty_cycle", "opening");
        try {
            // Order matters to the kernel (pwm_apply_state(): -EINVAL for
            // period 0 or duty > period). A fresh channel has period 0, so the
            // period goes first; a previous owner's duty may exceed the new
            // period, so that duty is zeroed first when the period is known.
            const std::string old_period = first_line(dir_ / "period");
            if (!old_period.empty() && old_period != "0") {
                if (const int err = write_number(*io_, duty_fd_, 0)) fail(err, dir_ / "duty_cycle", "writing 0 to");
            }
            write_text(*io_, dir_ / "period", std::to_string(period_.count()));
            if (const int err = write_number(*io_, duty_fd_, 0)) fail(err, dir_ / "duty_cycle", "writing 0 to");
        } catch (...) {
            io_->close(duty_fd_);
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
        io_->close(duty_fd_);
    }

    [[nodiscard]] std::chrono::nanoseconds period() const noexcept override { return period_; }

    bool set_duty(std::chrono::nanoseconds high) noexcept override {
        if (high < std::chrono::nanoseconds(0)) high = std::chrono::nanoseconds(0);
        if (high > period_) high = period_;
        // pwrite at 0 on the fd kept open: no path lookup, no allocation. The
        // value ends at the newline (sysfs accepts it; a plain-file tree keeps
        // stale bytes after it, so readers take the first line).
        if (write_number(*io_, duty_fd_, high.count()) != 0) return false;
        duty_ = high;
        return true;
    }
    [[nodiscard]] std::chrono::nanoseconds duty() const noexcept override { return duty_; }

    void enable(bool on) override { write_text(*io_, dir_ / "enable", on ? "1" : "0"); }

private:
    SysfsIo* io_;
    std::filesystem::path dir_;
    std::chrono::nanoseconds period_;
    std::chrono::nanoseconds duty_{0};
    int duty_fd_ = -1;
};

}  // namespace

SysfsIo& real_sysfs_io() noexcept {
    static RealSysfsIo io;
    return io;
}

unsigned resolve_pwm_chip(const fs::path& root, const std::string& device) {
    std::string seen;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(root, ec)) {
        const auto name = e.path().filename().string();
        if (name.rfind("pwmchip", 0) != 0) continue;
        std::error_code ec2;
        const auto target = fs::read_symlink(e.path() / "device", ec2);
        const std::string dev = ec2 ? "?" : target.filename().string();
        if (dev == device) {
            try {
                return static_cast<unsigned>(std::stoul(name.substr(7)));
            } catch (const std::exception&) {
                break;
            }
        }
        seen += (seen.empty() ? "" : ", ") + name + " -> " + dev;
    }
    throw std::runtime_error("no PWM chip of device '" + device + "' under " + root.string() +
                             (seen.empty() ? std::string(" (no PWM chips: is the PWM overlay loaded?)") : " (found " + seen + ")"));
}

std::unique_ptr<PwmChannel> open_sysfs_pwm(const PwmSettings& settings) {
    auto p = std::make_unique<SysfsPwm>(settings);
    p->enable(true);
    return p;
}

}  // namespace rig::hw
