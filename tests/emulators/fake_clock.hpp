#pragma once
// A manual clock: now() is what the test set; sleep_until() jumps to the
// deadline at once (so homing and DRDY timeouts run in no wall time).
#include <algorithm>

#include "rig/core/clock.hpp"

namespace rig::test {
class FakeClock final : public Clock {
public:
    FakeClock() = default;
    explicit FakeClock(Nanos start) : now_(start) {}
    [[nodiscard]] Nanos now() const override { return now_; }
    Nanos sleep_until(Nanos deadline) noexcept override {
        now_ = std::max(now_, deadline);
        ++sleeps;
        return now_;
    }
    [[nodiscard]] bool is_real_time() const override { return false; }
    void advance(Nanos d) { now_ += d; }
    long sleeps = 0;

private:
    Nanos now_{1'000'000'000};
};
}  // namespace rig::test

namespace rig::test {
/// A Clock that forwards to a FakeClock the test keeps (for a fixture that
/// owns its clock while the emulators read the same time).
class ClockRef final : public Clock {
public:
    explicit ClockRef(FakeClock& c) : c_(&c) {}
    [[nodiscard]] Nanos now() const override { return c_->now(); }
    Nanos sleep_until(Nanos deadline) noexcept override { return c_->sleep_until(deadline); }
    [[nodiscard]] bool is_real_time() const override { return false; }

private:
    FakeClock* c_;
};
}  // namespace rig::test
