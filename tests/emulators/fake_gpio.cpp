#include "fake_gpio.hpp"

#include <stdexcept>
#include <system_error>

namespace rig::test {

namespace {
class FakeOutput final : public hw::GpioOutput {
public:
    FakeOutput(FakeGpio& g, unsigned line, bool initial) : g_(&g), line_(line), last_(initial) {}
    ~FakeOutput() override {
        g_->log.push_back({GpioRecord::release, line_, last_, {}});
        g_->input_level.erase(line_);
    }
    bool set(bool high) noexcept override {
        if (g_->fail_writes.count(line_) != 0 && g_->fail_writes[line_]) return false;
        g_->log.push_back({GpioRecord::write, line_, high, {}});
        last_ = high;
        if (auto it = g_->on_write.find(line_); it != g_->on_write.end() && it->second) it->second(high);
        return true;
    }
    [[nodiscard]] bool last() const noexcept override { return last_; }

private:
    FakeGpio* g_;
    unsigned line_;
    bool last_;
};

class FakeInput final : public hw::GpioInput {
public:
    FakeInput(FakeGpio& g, unsigned line) : g_(&g), line_(line) {}
    ~FakeInput() override { g_->log.push_back({GpioRecord::release, line_, false, {}}); }
    std::optional<bool> value() noexcept override {
        if (g_->fail_reads.count(line_) != 0 && g_->fail_reads[line_]) return std::nullopt;
        if (auto it = g_->external.find(line_); it != g_->external.end()) return it->second->value();
        auto it = g_->input_level.find(line_);
        return it == g_->input_level.end() ? true : it->second;
    }
    int take_edges() noexcept override {
        if (g_->fail_reads.count(line_) != 0 && g_->fail_reads[line_]) return -1;
        if (auto it = g_->external.find(line_); it != g_->external.end()) return it->second->take_edges();
        const int n = g_->pending_edges[line_];
        g_->pending_edges[line_] = 0;
        return n;
    }

private:
    FakeGpio* g_;
    unsigned line_;
};
}  // namespace

class FakeGpioChip final : public hw::GpioChip {
public:
    explicit FakeGpioChip(FakeGpio& g) : g_(&g) {}
    [[nodiscard]] std::string label() const override { return g_->label_; }
    [[nodiscard]] unsigned num_lines() const override { return g_->lines_; }
    std::unique_ptr<hw::GpioOutput> request_output(unsigned offset, bool initial, std::string_view consumer) override {
        check(offset);
        g_->log.push_back({GpioRecord::request_output, offset, initial, std::string(consumer)});
        return std::make_unique<FakeOutput>(*g_, offset, initial);
    }
    std::unique_ptr<hw::GpioInput> request_input(unsigned offset, hw::InputSettings, std::string_view consumer) override {
        check(offset);
        g_->log.push_back({GpioRecord::request_input, offset, false, std::string(consumer)});
        return std::make_unique<FakeInput>(*g_, offset);
    }

private:
    void check(unsigned offset) {
        if (offset >= g_->lines_) throw std::invalid_argument("fake gpio: line " + std::to_string(offset) + " out of range");
        if (g_->is_requested(offset)) throw std::system_error(EBUSY, std::generic_category(), "fake gpio: line busy");
    }
    FakeGpio* g_;
};

std::unique_ptr<hw::GpioChip> FakeGpio::chip() { return std::make_unique<FakeGpioChip>(*this); }

bool FakeGpio::is_requested(unsigned line) const {
    int open = 0;
    for (const auto& r : log) {
        if (r.line != line) continue;
        if (r.kind == GpioRecord::request_output || r.kind == GpioRecord::request_input) ++open;
        if (r.kind == GpioRecord::release) --open;
    }
    return open > 0;
}

std::optional<bool> FakeGpio::output(unsigned line) const {
    std::optional<bool> v;
    for (const auto& r : log) {
        if (r.line == line && (r.kind == GpioRecord::request_output || r.kind == GpioRecord::write)) v = r.value;
    }
    return v;
}

std::vector<GpioRecord> FakeGpio::of(unsigned line) const {
    std::vector<GpioRecord> out;
    for (const auto& r : log) {
        if (r.line == line) out.push_back(r);
    }
    return out;
}

long FakeGpio::index_of(GpioRecord::Kind kind, unsigned line, std::optional<bool> value, long from) const {
    for (auto i = static_cast<std::size_t>(from); i < log.size(); ++i) {
        const auto& r = log[i];
        if (r.kind == kind && r.line == line && (!value || r.value == *value)) return static_cast<long>(i);
    }
    return -1;
}

long FakeGpio::last_index_of(GpioRecord::Kind kind, unsigned line, std::optional<bool> value) const {
    long found = -1;
    for (std::size_t i = 0; i < log.size(); ++i) {
        const auto& r = log[i];
        if (r.kind == kind && r.line == line && (!value || r.value == *value)) found = static_cast<long>(i);
    }
    return found;
}

}  // namespace rig::test
