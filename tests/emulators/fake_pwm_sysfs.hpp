#pragma once
// The Linux PWM sysfs interface as the kernel implements it, over a plain
// directory tree, written from the kernel (Documentation/ABI/testing/sysfs-class-pwm
// and drivers/pwm/{sysfs.c,core.c} of 6.1/6.6), not from the driver:
//  - writing N to pwmchipX/export creates pwmN/ with period, duty_cycle,
//    enable, polarity; a fresh channel's period and duty_cycle read 0
//    (core.c: the state starts zeroed unless the chip driver reads it back);
//  - every write to period, duty_cycle or enable goes through
//    pwm_apply_state(), which returns -EINVAL when period is 0 or duty_cycle
//    exceeds period (core.c, pwm_apply_state: "!state->period ||
//    state->duty_cycle > state->period"); the write then changes nothing;
//  - writing enable=0 leaves period and duty as they were; nothing is undone
//    when the writer exits (the channel stays enabled: sysfs.c has no release
//    hook for a writer's fd).
// It implements rig::hw::SysfsIo, so the real sysfs_pwm.cpp runs on it; the
// files on disk mirror the accepted state so tests can read them.
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "rig/hw/pwm.hpp"

namespace rig::test {

/// What a sysfs attribute file on disk holds (its first line), as a test reads
/// the state the driver left.
inline std::string sysfs_value(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
}

class FakePwmSysfs final : public hw::SysfsIo {
public:
    struct Channel {
        std::int64_t period = 0;
        std::int64_t duty = 0;
        bool enabled = false;
    };

    /// Creates pwmchip<chip>/ with npwm, export, unexport and a `device`
    /// symlink to a platform device directory named `device`.
    void add_chip(const std::filesystem::path& root, unsigned chip, unsigned npwm, const std::string& device) {
        namespace fs = std::filesystem;
        const auto dir = root / ("pwmchip" + std::to_string(chip));
        fs::create_directories(dir);
        std::ofstream(dir / "npwm") << npwm << "\n";
        std::ofstream(dir / "export");
        std::ofstream(dir / "unexport");
        const auto devdir = root / ".devices" / device;
        fs::create_directories(devdir);
        std::error_code ec;
        fs::create_directory_symlink(devdir, dir / "device", ec);
    }

    int open_write(const std::filesystem::path& p) noexcept override {
        const int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return -errno;
        std::lock_guard lk(mu_);
        paths_[fd] = p;
        return fd;
    }
    int write_at(int fd, const char* data, std::size_t len) noexcept override {
        std::lock_guard lk(mu_);
        ++writes;
        const auto it = paths_.find(fd);
        if (it == paths_.end()) return EBADF;
        const std::filesystem::path p = it->second;
        const std::string text(data, len);
        long long v = 0;
        try {
            v = std::stoll(text);
        } catch (...) {
            return EINVAL;
        }
        const std::string leaf = p.filename().string();
        if (leaf == "export") {
            const auto ch = p.parent_path() / ("pwm" + std::to_string(v));
            std::filesystem::create_directories(ch);
            for (const char* f : {"period", "duty_cycle", "enable"}) std::ofstream(ch / f) << "0\n";
            std::ofstream(ch / "polarity") << "normal\n";
            channels_[ch.string()] = Channel{};
            return rewrite(fd, text);
        }
        auto& c = channels_[p.parent_path().string()];
        Channel next = c;
        if (leaf == "period") next.period = v;
        else if (leaf == "duty_cycle") next.duty = v;
        else if (leaf == "enable") next.enabled = v != 0;
        else return rewrite(fd, text);
        if (next.period == 0 || next.duty > next.period || next.duty < 0) {
            ++rejected;
            return EINVAL;
        }
        c = next;
        return rewrite(fd, text);
    }
    void close(int fd) noexcept override {
        std::lock_guard lk(mu_);
        paths_.erase(fd);
        ::close(fd);
    }

    /// A channel that already exists (left by a previous owner).
    void preset(const std::filesystem::path& channel_dir, Channel c) {
        std::filesystem::create_directories(channel_dir);
        std::ofstream(channel_dir / "period") << c.period << "\n";
        std::ofstream(channel_dir / "duty_cycle") << c.duty << "\n";
        std::ofstream(channel_dir / "enable") << (c.enabled ? 1 : 0) << "\n";
        std::lock_guard lk(mu_);
        channels_[channel_dir.string()] = c;
    }
    Channel channel(const std::filesystem::path& channel_dir) const {
        std::lock_guard lk(mu_);
        auto it = channels_.find(channel_dir.string());
        return it == channels_.end() ? Channel{} : it->second;
    }
    int rejected = 0;
    int writes = 0;

private:
    static int rewrite(int fd, const std::string& text) {
        if (::ftruncate(fd, 0) != 0) return errno;
        const ssize_t n = ::pwrite(fd, text.data(), text.size(), 0);
        return n == static_cast<ssize_t>(text.size()) ? 0 : EIO;
    }
    mutable std::mutex mu_;
    std::map<int, std::filesystem::path> paths_;
    std::map<std::string, Channel> channels_;
};

}  // namespace rig::test
