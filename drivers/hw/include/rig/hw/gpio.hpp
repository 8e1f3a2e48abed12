#pragma once
// GPIO lines behind a small interface, so the code above them (pen power,
// brake, stepper, E-stop, ADS1256 DRDY) runs in tests against fake lines.
//
// The real backend is libgpiod; bookworm ships 1.6 (the kernel's v1 character
// device interface), see gpio_gpiod_v1.cpp. A v2 backend can sit beside it
// behind the same open_gpio_chip(); CMake picks the one the library found.
//
// Ownership and lifecycle: a GpioChip is opened by label and owns nothing but
// the chip handle; each request_*() returns a move-only RAII line that holds
// the line until destroyed. Lines may outlive the GpioChip object that made
// them (the kernel request keeps its own reference to the chip).
//
// Thread-safety: one thread uses a line at a time, except GpioOutput::set(),
// which the safe-state path calls from other threads (E-stop watcher, signal
// path) while the loop may be calling it too: each set() is one ioctl carrying
// its own value on the caller's stack, so two concurrent calls each send what
// their caller asked and nothing is shared (no "last value" buffer another
// thread could overwrite between the store and the ioctl).
//
// Real-time path: set(), value() and take_edges() never allocate, lock or
// throw; failures return false / std::nullopt / -1. Requests throw
// std::system_error (errno, naming the chip label and line offset).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rig::hw {

/// A line requested as an output. Values are physical levels (true = high).
class GpioOutput {
public:
    virtual ~GpioOutput() = default;
    /// Drives the line; false if the kernel refused.
    virtual bool set(bool high) noexcept = 0;
    /// The level last written (the initial value right after the request).
    [[nodiscard]] virtual bool last() const noexcept = 0;
};

enum class Bias { as_is, pull_up, pull_down, disabled };
enum class Edge { none, falling, rising, both };

/// A line requested as an input, optionally with edge events.
class GpioInput {
public:
    virtual ~GpioInput() = default;
    /// Physical level (true = high); std::nullopt on a read error.
    virtual std::optional<bool> value() noexcept = 0;
    /// Number of edge events (of the requested kind) queued since the last
    /// call, drained without blocking; -1 on a read error. The v1 kernel FIFO
    /// holds 16 events per line and drops newer ones silently, so callers treat
    /// "> 0" as "at least one", never as an exact count.
    virtual int take_edges() noexcept = 0;
    /// Kernel timestamp (CLOCK_MONOTONIC, kernel >= 5.7 for the v1 uAPI) of
    /// the newest edge event take_edges() drained; std::nullopt when none was
    /// seen yet or the backend has no timestamps.
    virtual std::optional<std::chrono::nanoseconds> last_edge_time() noexcept { return std::nullopt; }
    /// Blocks until an edge event is queued (true) or `timeout` passed (false);
    /// -1 style errors read as true so a watcher re-reads the level. For
    /// watcher threads, never the loop.
    virtual bool wait_edge(std::chrono::nanoseconds timeout) noexcept {
        (void)timeout;
        return false;
    }
};

struct InputSettings {
    Bias bias = Bias::as_is;
    Edge edge = Edge::none;
};

/// One GPIO chip, found by its label ("pinctrl-bcm2711" on a Pi 4,
/// "pinctrl-rp1" on a Pi 5), never by number.
class GpioChip {
public:
    virtual ~GpioChip() = default;
    [[nodiscard]] virtual std::string label() const = 0;
    [[nodiscard]] virtual unsigned num_lines() const = 0;
    /// Requests `offset` as an output already driven to `initial_high`, so the
    /// line never glitches through another level. `consumer` shows in gpioinfo.
    virtual std::unique_ptr<GpioOutput> request_output(unsigned offset, bool initial_high,
                                                       std::string_view consumer) = 0;
    virtual std::unique_ptr<GpioInput> request_input(unsigned offset, InputSettings settings,
                                                     std::string_view consumer) = 0;
};

/// Opens the chip whose label is `label` with the GPIO backend this build has.
/// Throws std::runtime_error listing the labels found when there is no such
/// chip (or no GPIO at all, or no GPIO library in this build).
std::unique_ptr<GpioChip> open_gpio_chip(std::string_view label);

/// Which GPIO backend this build has ("libgpiod 1.x (v1 uAPI)" or "none").
std::string_view gpio_backend_name() noexcept;

}  // namespace rig::hw
