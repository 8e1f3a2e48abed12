// GPIO backend on libgpiod 1.6 (the C++ bindings over the kernel's v1
// character-device interface), as Raspberry Pi OS bookworm ships it. A
// libgpiod 2.x backend belongs in its own file beside this one; CMake builds
// the one the library found (drivers/hw/CMakeLists.txt).
//
// Two places avoid the bindings' convenience calls because they allocate:
//  - line::set_value() builds a line_bulk and a std::vector per call, so an
//    output keeps one line_bulk and one value vector made at request time and
//    calls line_bulk::set_values() on them;
//  - line::get_value() and event_read() allocate too, so inputs that are read
//    in the loop are requested with edge events and read through the kernel
//    event fd: GPIOHANDLE_GET_LINE_VALUES_IOCTL for the level (the v1 uAPI
//    serves it on event fds) and read(2) of struct gpioevent_data for edges.
#include <fcntl.h>
#include <linux/gpio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <poll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <gpiod.hpp>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "rig/hw/gpio.hpp"

namespace rig::hw {
namespace {

std::string describe(const std::string& label, unsigned offset) {
    return "gpio chip '" + label + "' line " + std::to_string(offset);
}

class GpiodOutput final : public GpioOutput {
public:
    // Outputs are requested through the v1 uAPI directly (GPIO_GET_LINEHANDLE_IOCTL,
    // see request_output) so that set() can issue GPIOHANDLE_SET_LINE_VALUES_IOCTL
    // with the value in a local struct. libgpiod 1.6's line_bulk::set_values()
    // takes a std::vector, and one shared vector (written, then sent) let a
    // safe_state() on another thread send the loop's stale "on" between the
    // loop's store and its ioctl.
    GpiodOutput(int handle_fd, bool initial) : fd_(handle_fd), last_(initial) {}
    GpiodOutput(const GpiodOutput&) = delete;
    GpiodOutput& operator=(const GpiodOutput&) = delete;
    ~GpiodOutput() override { ::close(fd_); }
    bool set(bool high) noexcept override {
        gpiohandle_data data{};
        data.values[0] = high ? 1 : 0;
        if (::ioctl(fd_, GPIOHANDLE_SET_LINE_VALUES_IOCTL, &data) < 0) return false;
        last_.store(high, std::memory_order_relaxed);
        return true;
    }
    [[nodiscard]] bool last() const noexcept override { return last_.load(std::memory_order_relaxed); }

private:
    int fd_;  // the line handle (owned)
    std::atomic<bool> last_;
};

class GpiodInput final : public GpioInput {
public:
    GpiodInput(gpiod::line line, bool has_events) : line_(line), fd_(has_events ? line.event_get_fd() : -1) {
        if (fd_ >= 0) {
            // Edges are drained without blocking from the loop.
            const int fl = ::fcntl(fd_, F_GETFL);
            if (fl < 0 || ::fcntl(fd_, F_SETFL, fl | O_NONBLOCK) < 0) {
                throw std::system_error(errno, std::generic_category(), "fcntl(O_NONBLOCK) on a GPIO event fd");
            }
        }
    }
    GpiodInput(const GpiodInput&) = delete;
    GpiodInput& operator=(const GpiodInput&) = delete;
    ~GpiodInput() override {
        try {
            line_.release();
        } catch (...) {  // NOLINT(bugprone-empty-catch)
        }
    }
    std::optional<bool> value() noexcept override {
        if (fd_ >= 0) {
            gpiohandle_data data{};
            if (::ioctl(fd_, GPIOHANDLE_GET_LINE_VALUES_IOCTL, &data) < 0) return std::nullopt;
            return data.values[0] != 0;
        }
        try {
            return line_.get_value() != 0;  // allocates: only for lines read outside the loop
        } catch (...) {
            return std::nullopt;
        }
    }
    int take_edges() noexcept override {
        if (fd_ < 0) return 0;
        int n = 0;
        std::array<gpioevent_data, 16> ev{};
        for (;;) {
            const ssize_t r = ::read(fd_, ev.data(), sizeof(ev));
            if (r < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN) return n;
                return -1;
            }
            const auto got = static_cast<std::size_t>(r) / sizeof(gpioevent_data);
            n += static_cast<int>(got);
            if (got > 0) last_ns_ = static_cast<std::int64_t>(ev[got - 1].timestamp);
            if (static_cast<std::size_t>(r) < sizeof(ev)) return n;
        }
    }

    std::optional<std::chrono::nanoseconds> last_edge_time() noexcept override {
        if (last_ns_ < 0) return std::nullopt;
        return std::chrono::nanoseconds(last_ns_);
    }
    bool wait_edge(std::chrono::nanoseconds timeout) noexcept override {
        if (fd_ < 0) return false;
        pollfd p{fd_, POLLIN | POLLPRI, 0};
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
        const int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, ms)));
        return r != 0;  // an event, or an error: the caller re-reads the level either way
    }

private:
    gpiod::line line_;
    int fd_;  // owned by the line request
    std::int64_t last_ns_ = -1;
};

class GpiodChip final : public GpioChip {
public:
    explicit GpiodChip(gpiod::chip chip) : chip_(std::move(chip)), label_(chip_.label()) {}
    [[nodiscard]] std::string label() const override { return label_; }
    [[nodiscard]] unsigned num_lines() const override { return chip_.num_lines(); }

    std::unique_ptr<GpioOutput> request_output(unsigned offset, bool initial_high, std::string_view consumer) override {
        (void)get(offset);  // range check with the chip's line count
        const std::string dev = "/dev/" + chip_.name();
        const int chip_fd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
        if (chip_fd < 0) throw std::system_error(errno, std::generic_category(), "opening " + dev);
        gpiohandle_request req{};
        req.lineoffsets[0] = offset;
        req.flags = GPIOHANDLE_REQUEST_OUTPUT;
        req.default_values[0] = initial_high ? 1 : 0;  // driven at this level from the request on
        req.lines = 1;
        const std::string name(consumer.substr(0, sizeof(req.consumer_label) - 1));
        std::copy(name.begin(), name.end(), req.consumer_label);
        const int r = ::ioctl(chip_fd, GPIO_GET_LINEHANDLE_IOCTL, &req);
        const int err = errno;
        ::close(chip_fd);
        if (r < 0) {
            throw std::system_error(err, std::generic_category(),
                                    "requesting " + describe(label_, offset) + " as output '" + std::string(consumer) + "'");
        }
        return std::make_unique<GpiodOutput>(req.fd, initial_high);
    }

    std::unique_ptr<GpioInput> request_input(unsigned offset, InputSettings s, std::string_view consumer) override {
        auto line = get(offset);
        gpiod::line_request req;
        req.consumer = std::string(consumer);
        switch (s.edge) {
            case Edge::none: req.request_type = gpiod::line_request::DIRECTION_INPUT; break;
            case Edge::falling: req.request_type = gpiod::line_request::EVENT_FALLING_EDGE; break;
            case Edge::rising: req.request_type = gpiod::line_request::EVENT_RISING_EDGE; break;
            case Edge::both: req.request_type = gpiod::line_request::EVENT_BOTH_EDGES; break;
        }
        switch (s.bias) {
            case Bias::as_is: break;
            case Bias::pull_up: req.flags |= gpiod::line_request::FLAG_BIAS_PULL_UP; break;
            case Bias::pull_down: req.flags |= gpiod::line_request::FLAG_BIAS_PULL_DOWN; break;
            case Bias::disabled: req.flags |= gpiod::line_request::FLAG_BIAS_DISABLE; break;
        }
        try {
            line.request(req);
        } catch (const std::system_error& e) {
            throw std::system_error(e.code(), "requesting " + describe(label_, offset) + " as input '" +
                                                  std::string(consumer) + "'");
        }
        return std::make_unique<GpiodInput>(line, s.edge != Edge::none);
    }

private:
    gpiod::line get(unsigned offset) const {
        if (offset >= chip_.num_lines()) {
            throw std::invalid_argument(describe(label_, offset) + ": out of range (the chip has " +
                                        std::to_string(chip_.num_lines()) + " lines)");
        }
        return chip_.get_line(offset);
    }
    gpiod::chip chip_;
    std::string label_;
};

}  // namespace

std::unique_ptr<GpioChip> open_gpio_chip(std::string_view label) {
    std::string seen;
    try {
        for (auto& chip : gpiod::make_chip_iter()) {
            const std::string l = chip.label();
            if (l == label) return std::make_unique<GpiodChip>(chip);
            seen += (seen.empty() ? "" : ", ") + ("'" + l + "'");
        }
    } catch (const std::system_error& e) {
        throw std::system_error(e.code(), "listing GPIO chips (/dev/gpiochip*)");
    }
    if (seen.empty()) {
        throw std::runtime_error("no GPIO chip with label '" + std::string(label) +
                                 "': this machine has no GPIO chips (/dev/gpiochip* absent or not readable)");
    }
    throw std::runtime_error("no GPIO chip with label '" + std::string(label) + "' (found " + seen + ")");
}

std::string_view gpio_backend_name() noexcept { return "libgpiod 1.x (v1 uAPI)"; }

}  // namespace rig::hw
