#pragma once
// A fake GPIO chip that records, in order, every request, write and release,
// and lets the test drive inputs (levels and edge events) or hook writes (a
// stepper model moving on STEP pulses).
//
// Released outputs behave as on a Raspberry Pi: the kernel leaves the pin an
// output at its last level (the pinctrl-bcm2835 / RP1 drivers do not return a
// freed line to input; see the "gpio" section of the Raspberry Pi
// configuration docs and dtparam=strict_gpiod, which later kernels added to
// change exactly this). `pin_level()` is the electrical level, which outlives
// the request, and `pin_output()` whether the pin is still driven.
//
// Thread-safe (one mutex): an E-stop watcher thread and the test thread use it
// at once; wait_edge() blocks on a condition variable until press()/release().
#include <condition_variable>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rig/hw/gpio.hpp"

namespace rig::test {

struct GpioRecord {
    enum Kind { request_output, request_input, write, release };
    Kind kind;
    unsigned line;
    bool value;  // initial value for request_output, written value for write
    std::string consumer;
    std::int64_t t_ns = std::chrono::steady_clock::now().time_since_epoch().count();  // when (steady clock)
    bool operator==(const GpioRecord& o) const { return kind == o.kind && line == o.line && value == o.value; }
};

class FakeGpio {
public:
    explicit FakeGpio(std::string label = "pinctrl-bcm2711", unsigned lines = 58) : label_(std::move(label)), lines_(lines) {}

    /// A GpioChip handle on this fake (any number may exist at once).
    std::unique_ptr<hw::GpioChip> chip();

    std::vector<GpioRecord> log;
    /// Input levels (true = high) by offset; inputs read high (pulled up) by default.
    std::map<unsigned, bool> input_level;
    /// Edge events queued per input offset.
    std::map<unsigned, int> pending_edges;
    /// Called after each successful write to an output offset.
    std::map<unsigned, std::function<void(bool)>> on_write;
    /// Inputs served by something else (the ADS1256 emulator's DRDY).
    std::map<unsigned, hw::GpioInput*> external;
    /// Writes to these offsets fail (return false).
    std::map<unsigned, bool> fail_writes;
    /// Input reads on these offsets fail.
    std::map<unsigned, bool> fail_reads;

    /// Electrical level of a pin (outputs keep theirs after release, as on a
    /// Pi); std::nullopt for a pin never driven.
    [[nodiscard]] std::optional<bool> pin_level(unsigned line) const;
    /// Drives an input from the test thread: sets its level and queues one
    /// edge, waking a thread blocked in wait_edge().
    void drive_input(unsigned line, bool high);
    /// When true, released outputs float back to input (a strict_gpiod kernel).
    bool strict_gpiod = false;
    /// Writes to an output sleep this long inside set() (to widen race windows).
    std::chrono::microseconds write_delay{0};

    std::mutex& mutex() const { return mu_; }
    [[nodiscard]] bool is_requested(unsigned line) const;
    /// The last level written to (or requested on) an output.
    [[nodiscard]] std::optional<bool> output(unsigned line) const;
    /// Records of one line, in order.
    [[nodiscard]] std::vector<GpioRecord> of(unsigned line) const;
    /// Index of the first record matching, or -1.
    [[nodiscard]] long index_of(GpioRecord::Kind kind, unsigned line, std::optional<bool> value = std::nullopt,
                                long from = 0) const;
    /// Index of the last record matching, or -1.
    [[nodiscard]] long last_index_of(GpioRecord::Kind kind, unsigned line, std::optional<bool> value = std::nullopt) const;

    const std::string& label() const { return label_; }
    unsigned lines() const { return lines_; }

private:
    friend class FakeGpioChip;
    std::string label_;
    unsigned lines_;
    std::map<unsigned, bool> requested_;
    std::map<unsigned, bool> pin_;  // electrical level of driven pins
    mutable std::mutex mu_;
    std::condition_variable cv_;
    friend class FakeInputLine;
    friend class FakeOutputLine;
};

}  // namespace rig::test
