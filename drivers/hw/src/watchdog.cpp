#include "rig/hw/watchdog.hpp"

#include <fcntl.h>
#include <linux/watchdog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <system_error>

namespace rig::hw {

HwWatchdog::HwWatchdog(Options options) : opt_(std::move(options)), timeout_(opt_.timeout) {
    fd_ = ::open(opt_.device.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "opening watchdog " + opt_.device);
    int t = static_cast<int>(opt_.timeout.count());
    if (::ioctl(fd_, WDIOC_SETTIMEOUT, &t) == 0) timeout_ = std::chrono::seconds(t);  // the driver may round it
    thread_ = std::jthread([this](const std::stop_token& st) { run(st); });
}

HwWatchdog::~HwWatchdog() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    // Magic close: a deliberate stop disarms it.
    (void)!::write(fd_, "V", 1);
    ::close(fd_);
}

void HwWatchdog::run(const std::stop_token& st) noexcept {
    std::uint64_t last = opt_.heartbeat ? opt_.heartbeat() : 0;
    std::mutex m;
    std::condition_variable_any cv;
    // Check four times per timeout: a healthy rig is fed well before expiry.
    const auto every = std::chrono::duration_cast<std::chrono::milliseconds>(timeout_) / 4;
    while (!st.stop_requested()) {
        std::unique_lock lk(m);
        cv.wait_for(lk, st, every, [] { return false; });
        if (st.stop_requested()) break;
        const std::uint64_t now = opt_.heartbeat ? opt_.heartbeat() : 0;
        const bool alive = now != last;
        last = now;
        if (alive || (opt_.idle_safe && opt_.idle_safe())) {
            if (::ioctl(fd_, WDIOC_KEEPALIVE, nullptr) == 0) feeds_.fetch_add(1);
        }
    }
}

}  // namespace rig::hw
