#pragma once
// A fake GPIO chip that records, in order, every request, write and release,
// and lets the test drive inputs (levels and edge events) or hook writes (a
// stepper model moving on STEP pulses).
#include <functional>
#include <map>
#include <memory>
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
};

}  // namespace rig::test
