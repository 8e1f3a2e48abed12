#pragma once
// The hardware watchdog (/dev/watchdog: bcm2835-wdt on a Pi 4, the RP1/BCM2712
// one on a Pi 5; Linux watchdog API, Documentation/watchdog/watchdog-api.rst).
// Once opened, the kernel resets the machine unless the device is fed at least
// every `timeout`; a Pi that resets releases every GPIO to its power-on
// default (inputs, pulls as the board has them), so the pen loses power.
//
// A feeder thread feeds it while the rig is healthy: the acquisition loop's
// heartbeat advanced since the last check, or the fixture is idle and safe
// (pen off). A hung loop with the pen on stops the feeding and the board
// resets within `timeout`. Closing writes the magic 'V' first, so a normal
// exit does not reset the Pi (unless the kernel has nowayout set).
//
// Thread-safety: the callbacks are called on the feeder thread.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace rig::hw {

class HwWatchdog {
public:
    struct Options {
        std::string device = "/dev/watchdog";
        std::chrono::seconds timeout{2};
        std::function<std::uint64_t()> heartbeat;  // advances while the loop runs
        std::function<bool()> idle_safe;           // true when nothing can hurt (pen off)
    };
    /// Opens and arms the device (WDIOC_SETTIMEOUT). Throws std::system_error.
    explicit HwWatchdog(Options options);
    ~HwWatchdog();
    HwWatchdog(const HwWatchdog&) = delete;
    HwWatchdog& operator=(const HwWatchdog&) = delete;
    [[nodiscard]] std::uint64_t feeds() const noexcept { return feeds_.load(); }
    [[nodiscard]] std::chrono::seconds timeout() const noexcept { return timeout_; }

private:
    void run(const std::stop_token& st) noexcept;
    Options opt_;
    int fd_ = -1;
    std::chrono::seconds timeout_;
    std::atomic<std::uint64_t> feeds_{0};
    std::jthread thread_;
};

}  // namespace rig::hw
