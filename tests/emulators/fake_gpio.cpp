#include "fake_gpio.hpp"

#include <stdexcept>
#include <system_error>
#include <thread>

namespace rig::test {

class FakeOutputLine final : public hw::GpioOutput {
public:
    FakeOutputLine(FakeGpio& g, unsigned line, bool initial) : g_(&g), line_(line), last_(initial) {}
    ~FakeOutputLine() override {
        std::lock_guard lk(g_->mu_);
        g_->log.push_back({GpioRecord::release, line_, last_, {}});
        g_->input_level.erase(line_);
        // A Pi keeps the pin driven at its last level; a strict_gpiod kernel
        // returns it to an input (the board's pull-down then decides).
        if (g_->strict_gpiod) g_->pin_.erase(line_);
    }
    bool set(bool high) noexcept override {
        std::function<void(bool)> hook;
        {
            std::lock_guard lk(g_->mu_);
            if (g_->fail_writes.count(line_) != 0 && g_->fail_writes[line_]) return false;
        }
        if (g_->write_delay.count() > 0) std::this_thread::sleep_for(g_->write_delay);
        {
            std::lock_guard lk(g_->mu_);
            g_->log.push_back({GpioRecord::write, line_, high, {}});
            g_->pin_[line_] = high;
            last_ = high;
            if (auto it = g_->on_write.find(line_); it != g_->on_write.end()) hook = it->second;
        }
        if (hook) hook(high);
        return true;
    }
    [[nodiscard]] bool last() const noexcept override { return last_; }

private:
    FakeGpio* g_;
    unsigned line_;
    bool last_;
};

class FakeInputLine final : public hw::GpioInput {
public:
    FakeInputLine(FakeGpio& g, unsigned line) : g_(&g), line_(line) {}
    ~FakeInputLine() override {
        std::lock_guard lk(g_->mu_);
        g_->log.push_back({GpioRecord::release, line_, false, {}});
    }
    std::optional<bool> value() noexcept override {
        hw::GpioInput* ext = nullptr;
        {
            std::lock_guard lk(g_->mu_);
            if (g_->fail_reads.count(line_) != 0 && g_->fail_reads[line_]) return std::nullopt;
            if (auto it = g_->external.find(line_); it != g_->external.end()) ext = it->second;
            if (ext == nullptr) {
                auto it = g_->input_level.find(line_);
                return it == g_->input_level.end() ? true : it->second;
            }
        }
        return ext->value();
    }
    int take_edges() noexcept override {
        hw::GpioInput* ext = nullptr;
        {
            std::lock_guard lk(g_->mu_);
            if (g_->fail_reads.count(line_) != 0 && g_->fail_reads[line_]) return -1;
            if (auto it = g_->external.find(line_); it != g_->external.end()) ext = it->second;
            if (ext == nullptr) {
                const int n = g_->pending_edges[line_];
                g_->pending_edges[line_] = 0;
                return n;
            }
        }
        return ext->take_edges();
    }
    std::optional<std::chrono::nanoseconds> last_edge_time() noexcept override {
        hw::GpioInput* ext = nullptr;
        {
            std::lock_guard lk(g_->mu_);
            if (auto it = g_->external.find(line_); it != g_->external.end()) ext = it->second;
        }
        return ext != nullptr ? ext->last_edge_time() : std::nullopt;
    }
    bool wait_edge(std::chrono::nanoseconds timeout) noexcept override {
        std::unique_lock lk(g_->mu_);
        return g_->cv_.wait_for(lk, timeout, [&] {
            return g_->pending_edges[line_] > 0 || (g_->fail_reads.count(line_) != 0 && g_->fail_reads[line_]);
        });
    }

private:
    FakeGpio* g_;
    unsigned line_;
};

class FakeGpioChip final : public hw::GpioChip {
public:
    explicit FakeGpioChip(FakeGpio& g) : g_(&g) {}
    [[nodiscard]] std::string label() const override { return g_->label_; }
    [[nodiscard]] unsigned num_lines() const override { return g_->lines_; }
    std::unique_ptr<hw::GpioOutput> request_output(unsigned offset, bool initial, std::string_view consumer) override {
        std::lock_guard lk(g_->mu_);
        check(offset);
        g_->log.push_back({GpioRecord::request_output, offset, initial, std::string(consumer)});
        g_->pin_[offset] = initial;
        return std::make_unique<FakeOutputLine>(*g_, offset, initial);
    }
    std::unique_ptr<hw::GpioInput> request_input(unsigned offset, hw::InputSettings, std::string_view consumer) override {
        std::lock_guard lk(g_->mu_);
        check(offset);
        g_->log.push_back({GpioRecord::request_input, offset, false, std::string(consumer)});
        g_->pin_.erase(offset);  // an input is no longer driven
        return std::make_unique<FakeInputLine>(*g_, offset);
    }

private:
    void check(unsigned offset) {
        if (offset >= g_->lines_) throw std::invalid_argument("fake gpio: line " + std::to_string(offset) + " out of range");
        int open = 0;
        for (const auto& r : g_->log) {
            if (r.line != offset) continue;
            if (r.kind == GpioRecord::request_output || r.kind == GpioRecord::request_input) ++open;
            if (r.kind == GpioRecord::release) --open;
        }
        if (open > 0) throw std::system_error(EBUSY, std::generic_category(), "fake gpio: line busy");
    }
    FakeGpio* g_;
};

std::unique_ptr<hw::GpioChip> FakeGpio::chip() { return std::make_unique<FakeGpioChip>(*this); }

std::optional<bool> FakeGpio::pin_level(unsigned line) const {
    std::lock_guard lk(mu_);
    auto it = pin_.find(line);
    if (it == pin_.end()) return std::nullopt;
    return it->second;
}

void FakeGpio::drive_input(unsigned line, bool high) {
    {
        std::lock_guard lk(mu_);
        input_level[line] = high;
        ++pending_edges[line];
    }
    cv_.notify_all();
}

bool FakeGpio::is_requested(unsigned line) const {
    std::lock_guard lk(mu_);
    int open = 0;
    for (const auto& r : log) {
        if (r.line != line) continue;
        if (r.kind == GpioRecord::request_output || r.kind == GpioRecord::request_input) ++open;
        if (r.kind == GpioRecord::release) --open;
    }
    return open > 0;
}

std::optional<bool> FakeGpio::output(unsigned line) const {
    std::lock_guard lk(mu_);
    std::optional<bool> v;
    for (const auto& r : log) {
        if (r.line == line && (r.kind == GpioRecord::request_output || r.kind == GpioRecord::write)) v = r.value;
    }
    return v;
}

std::vector<GpioRecord> FakeGpio::of(unsigned line) const {
    std::lock_guard lk(mu_);
    std::vector<GpioRecord> out;
    for (const auto& r : log) {
        if (r.line == line) out.push_back(r);
    }
    return out;
}

long FakeGpio::index_of(GpioRecord::Kind kind, unsigned line, std::optional<bool> value, long from) const {
    std::lock_guard lk(mu_);
    for (auto i = static_cast<std::size_t>(from); i < log.size(); ++i) {
        const auto& r = log[i];
        if (r.kind == kind && r.line == line && (!value || r.value == *value)) return static_cast<long>(i);
    }
    return -1;
}

long FakeGpio::last_index_of(GpioRecord::Kind kind, unsigned line, std::optional<bool> value) const {
    std::lock_guard lk(mu_);
    long found = -1;
    for (std::size_t i = 0; i < log.size(); ++i) {
        const auto& r = log[i];
        if (r.kind == kind && r.line == line && (!value || r.value == *value)) found = static_cast<long>(i);
    }
    return found;
}

}  // namespace rig::test
