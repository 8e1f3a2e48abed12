#pragma once
// A fixture whose load cell and encoder read a known linear function of a
// reference the test (or the workflow, through ReferenceLoad / GaugeBlock)
// applies. Its clock only counts (from 0). Records what the workflow did to it.
#include <optional>

#include "fake_clock.hpp"
#include "fake_parts.hpp"
#include "rig/calibration/workflow.hpp"

namespace rig::test {

class FakeFixture final : public Fixture {
public:
    // Load cell reads gain * force + offset (the calibration in force is off by
    // that much); encoder reads scale_error * position + zero_mm.
    double lc_gain = 1.0, lc_offset_n = 0.0, applied_n = 0.0;
    double enc_scale_error = 1.0, enc_zero_mm = 0.0, position_mm = 0.0;
    int failing_reads = 0;  // every read fails while > 0... counted down
    int safe_state_calls = 0;

    explicit FakeFixture(FixtureConfig cfg) : cfg_(std::move(cfg)) {}
    [[nodiscard]] const FixtureConfig& config() const override { return cfg_; }
    Clock& clock() override { return clock_; }
    PenPower& power() override { return power_; }
    SpeedCommand& speed() override { return speed_; }
    DepthActuator& depth() override { return depth_; }
    StallBrake& brake() override { return brake_; }
    PositionEncoder& encoder() override { return encoder_; }
    LoadCell& load_cell() override { return load_cell_; }
    CurrentSense& current() override { return current_; }
    EStop& estop() override { return estop_; }
    void safe_state() noexcept override { ++safe_state_calls; }
    bool inject_fault(const FaultInjection&) noexcept override { return false; }
    FakeClock clock_{Nanos{0}};

private:
    FakePower power_;
    FakeSpeed speed_;
    FakeDepth depth_;
    FakeBrake brake_;
    struct Enc : PositionEncoder {
        FakeFixture* f;
        explicit Enc(FakeFixture* ff) : f(ff) {}
        std::optional<double> read_mm() noexcept override { return f->enc_scale_error * f->position_mm + f->enc_zero_mm; }
    } encoder_{this};
    struct Lc : LoadCell {
        FakeFixture* f;
        explicit Lc(FakeFixture* ff) : f(ff) {}
        std::optional<double> read_n() noexcept override {
            if (f->failing_reads > 0) return --f->failing_reads, std::nullopt;
            return f->lc_gain * f->applied_n + f->lc_offset_n;
        }
    } load_cell_{this};
    struct Cur : CurrentSense {
        std::optional<double> read_a() noexcept override { return 0.0; }
    } current_;
    ReleasedEStop estop_;
    FixtureConfig cfg_;
};

/// Applies reference weights and gauge blocks in the fake, as a sim hook would.
class FakeStandards final : public ReferenceLoad, public GaugeBlock {
public:
    explicit FakeStandards(FakeFixture& f) : f_(f) {}
    void apply_n(double force_n) override { f_.applied_n = force_n; ++applied; }
    void place_mm(double t) override { f_.position_mm = t; }
    void remove() override { f_.applied_n = 0.0; f_.position_mm = 0.0; }
    int applied = 0;

private:
    FakeFixture& f_;
};

inline FixtureConfig fixture_with_calibration(const std::string& load_cell_due, const std::string& encoder_due,
                                              const std::string& current_due) {
    FixtureConfig c;
    c.name = "bench-1";
    auto add = [&](const char* inst, const char* id, const std::string& due, const char* unit, double scale) {
        if (due.empty()) return;
        CalibrationRecord r;
        r.instrument = inst;
        r.id = id;
        r.due = due;
        r.date = "2025-01-01";
        r.unit = unit;
        r.scale = scale;
        c.calibration.push_back(r);
    };
    add("load_cell", "LC-0042", load_cell_due, "N", 2e-7);
    add("encoder", "ENC-0007", encoder_due, "m", 1e-6);
    add("current_sense", "CS-0003", current_due, "A", 1.5e-5);
    return c;
}

}  // namespace rig::test
