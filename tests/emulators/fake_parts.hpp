#pragma once
// Fixture parts that obey every command at once, remember it and allocate
// nothing: the actuators and E-stop of a fake Fixture whose sensors the test
// defines itself (as a function of these parts' state).
#include <cstdint>

#include "rig/drivers/parts.hpp"

namespace rig::test {

struct FakePower final : PenPower {
    bool on = false;
    bool set(bool v) noexcept override { return on = v, true; }
    [[nodiscard]] bool is_on() const noexcept override { return on; }
};

struct FakeSpeed final : SpeedCommand {
    double rate = 0.0;  // Hz
    bool set_rate_hz(double v) noexcept override { return rate = v, true; }
    [[nodiscard]] double rate_hz() const noexcept override { return rate; }
};

/// Reaches every commanded depth at once (never busy).
struct FakeDepth final : DepthActuator {
    double mm = 0.0;
    bool move_to_mm(double v) noexcept override { return mm = v, true; }
    bool busy(std::int64_t) noexcept override { return false; }
    [[nodiscard]] double position_mm() const noexcept override { return mm; }
};

struct FakeBrake final : StallBrake {
    bool engaged = false;
    bool set(bool v) noexcept override { return engaged = v, true; }
    [[nodiscard]] bool is_engaged() const noexcept override { return engaged; }
};

/// An E-stop nobody presses.
struct ReleasedEStop final : EStop {
    bool pressed() noexcept override { return false; }
};

}  // namespace rig::test
