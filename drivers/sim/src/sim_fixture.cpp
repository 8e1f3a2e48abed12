// Simulated fixture: the model (model.hpp and its files) behind the same
// Fixture interface as the hardware backend, with the lockstep or real-time
// clock that advances it.

#include "rig/sim/sim_fixture.hpp"

#include <atomic>
#include <cmath>
#include <memory>

#include "model.hpp"
#include "rig/drivers/touch_off.hpp"

namespace rig {
namespace {

// ---------------------------------------------------------------------------
// Clocks
// ---------------------------------------------------------------------------

class LockstepClock final : public Clock {
public:
    explicit LockstepClock(sim::SimModel& m) : m_(m) {}
    [[nodiscard]] Nanos now() const override { return Nanos(m_.now_ns()); }
    Nanos sleep_until(Nanos deadline) noexcept override {
        const std::int64_t wake = m_.wake_for(deadline.count());
        m_.advance_to(wake);
        return Nanos(wake);
    }
    [[nodiscard]] bool is_real_time() const override { return false; }

private:
    sim::SimModel& m_;
};

class RealtimeSimClock final : public Clock {
public:
    RealtimeSimClock(sim::SimModel& m, std::int64_t epoch_ns) : m_(m), epoch_ns_(epoch_ns) {}
    [[nodiscard]] Nanos now() const override { return mono_.now(); }
    Nanos sleep_until(Nanos deadline) noexcept override {
        const Nanos woke = mono_.sleep_until(deadline);
        m_.advance_to(woke.count() - epoch_ns_);
        return woke;
    }
    [[nodiscard]] bool is_real_time() const override { return true; }

private:
    sim::SimModel& m_;
    std::int64_t epoch_ns_;
    MonotonicClock mono_;
};

// --- parts: thin views on the model ---
class SimPower final : public PenPower {
public:
    explicit SimPower(sim::SimModel& m) : m_(m) {}
    bool set(bool on) noexcept override {
        m_.power_cmd.store(on, std::memory_order_relaxed);
        return true;
    }
    [[nodiscard]] bool is_on() const noexcept override { return m_.power_cmd.load(std::memory_order_relaxed); }

private:
    sim::SimModel& m_;
};

class SimSpeed final : public SpeedCommand {
public:
    explicit SimSpeed(sim::SimModel& m) : m_(m) {}
    bool set_rate_hz(double rate_hz) noexcept override {
        if (!std::isfinite(rate_hz) || rate_hz < 0.0) return false;
        m_.rate_cmd_hz.store(rate_hz, std::memory_order_relaxed);
        return true;
    }
    [[nodiscard]] double rate_hz() const noexcept override { return m_.rate_cmd_hz.load(std::memory_order_relaxed); }

private:
    sim::SimModel& m_;
};

class SimDepth final : public DepthActuator {
public:
    explicit SimDepth(sim::SimModel& m) : m_(m) {}
    bool move_to_mm(double depth_mm) noexcept override { return m_.move_dial_to(depth_mm); }
    bool busy(std::int64_t /*now_ns*/) noexcept override { return m_.dial_busy(); }
    [[nodiscard]] double position_mm() const noexcept override { return m_.dial_mm(); }

private:
    sim::SimModel& m_;
};

class SimBrake final : public StallBrake {
public:
    explicit SimBrake(sim::SimModel& m) : m_(m) {}
    bool set(bool engaged) noexcept override {
        m_.brake_cmd.store(engaged, std::memory_order_relaxed);
        return true;
    }
    [[nodiscard]] bool is_engaged() const noexcept override { return m_.brake_cmd.load(std::memory_order_relaxed); }

private:
    sim::SimModel& m_;
};

class SimEncoder final : public PositionEncoder {
public:
    explicit SimEncoder(sim::SimModel& m) : m_(m) {}
    std::optional<double> read_mm() noexcept override { return m_.read_encoder_mm(); }

private:
    sim::SimModel& m_;
};

class SimLoadCell final : public LoadCell {
public:
    explicit SimLoadCell(sim::SimModel& m) : m_(m) {}
    std::optional<double> read_n() noexcept override { return m_.read_force_n(); }
    [[nodiscard]] ReadingTiming last_timing() const noexcept override { return {0, true, m_.force_clipped()}; }

private:
    sim::SimModel& m_;
};

class SimCurrent final : public CurrentSense {
public:
    explicit SimCurrent(sim::SimModel& m) : m_(m) {}
    std::optional<double> read_a() noexcept override { return m_.read_current_a(); }
    [[nodiscard]] ReadingTiming last_timing() const noexcept override { return {0, true, m_.current_clipped()}; }

private:
    sim::SimModel& m_;
};

class SimEStop final : public EStop {
public:
    explicit SimEStop(sim::SimModel& m) : m_(m) {}
    [[nodiscard]] bool pressed() noexcept override { return m_.estop.load(std::memory_order_relaxed); }

private:
    sim::SimModel& m_;
};

/// The touch-off plunger: the shared sequence (touch_off.hpp) driving the
/// model's plunger.
class SimReferenceDrive final : public FaceReferenceDrive {
public:
    SimReferenceDrive(sim::SimModel& m, const FixtureConfig& c)
        : m_(m), supported_(c.reference.supports(ReferenceMethod::touch_off)), seq_(c.reference.touch_off) {}
    bool start_touch_off(std::int64_t now_ns) noexcept override {
        if (!supported_ || m_.power_cmd.load(std::memory_order_relaxed) || !m_.rotor_still()) return false;
        seq_.start(now_ns, m_.touch_position_m());
        return true;
    }
    bool busy(std::int64_t now_ns, std::optional<double> force_n) noexcept override {
        if (!seq_.running()) return false;
        const double v = seq_.update(now_ns, m_.touch_position_m(), force_n);
        m_.touch_velocity_m_s.store(v, std::memory_order_relaxed);
        m_.touch_engaged.store(seq_.engaged(), std::memory_order_relaxed);
        return seq_.running();
    }
    [[nodiscard]] bool contact_found() const noexcept override { return seq_.contact_found(); }
    void stop() noexcept override {
        seq_.abort();
        m_.touch_velocity_m_s.store(0.0, std::memory_order_relaxed);
        m_.touch_engaged.store(false, std::memory_order_relaxed);
    }

private:
    sim::SimModel& m_;
    bool supported_;
    TouchOffSequencer seq_;
};

std::int64_t monotonic_now_ns() { return MonotonicClock{}.now().count(); }

}  // namespace

struct SimFixture::Impl {
    Impl(const FixtureConfig& c, std::uint64_t seed, SimClockMode mode)
        : config(c), epoch_ns(mode == SimClockMode::realtime ? monotonic_now_ns() : 0),
          model(c, seed, epoch_ns), power(model), speed(model), depth(model), brake(model), encoder(model),
          load_cell(model), current(model), estop(model), reference(model, c) {
        if (mode == SimClockMode::realtime) {
            clock = std::make_unique<RealtimeSimClock>(model, epoch_ns);
        } else {
            clock = std::make_unique<LockstepClock>(model);
        }
    }
    FixtureConfig config;
    std::int64_t epoch_ns;
    sim::SimModel model;
    std::unique_ptr<Clock> clock;
    SimPower power;
    SimSpeed speed;
    SimDepth depth;
    SimBrake brake;
    SimEncoder encoder;
    SimLoadCell load_cell;
    SimCurrent current;
    SimEStop estop;
    SimReferenceDrive reference;
};

SimFixture::SimFixture(const FixtureConfig& config, std::uint64_t seed, SimClockMode mode)
    : impl_(std::make_unique<Impl>(config, seed, mode)) {}
SimFixture::~SimFixture() { safe_state(); }

const FixtureConfig& SimFixture::config() const { return impl_->config; }
Clock& SimFixture::clock() { return *impl_->clock; }
PenPower& SimFixture::power() { return impl_->power; }
SpeedCommand& SimFixture::speed() { return impl_->speed; }
DepthActuator& SimFixture::depth() { return impl_->depth; }
StallBrake& SimFixture::brake() { return impl_->brake; }
PositionEncoder& SimFixture::encoder() { return impl_->encoder; }
LoadCell& SimFixture::load_cell() { return impl_->load_cell; }
CurrentSense& SimFixture::current() { return impl_->current; }
EStop& SimFixture::estop() { return impl_->estop; }
FaceReferenceDrive& SimFixture::reference() { return impl_->reference; }

void SimFixture::safe_state() noexcept {
    if (!impl_) return;
    impl_->model.power_cmd.store(false, std::memory_order_relaxed);
    impl_->model.rate_cmd_hz.store(0.0, std::memory_order_relaxed);
    impl_->model.brake_cmd.store(false, std::memory_order_relaxed);
    impl_->model.touch_engaged.store(false, std::memory_order_relaxed);
    impl_->model.touch_velocity_m_s.store(0.0, std::memory_order_relaxed);
}

bool SimFixture::inject_fault(const FaultInjection& fault) noexcept { return impl_->model.apply_fault(fault); }
const GroundTruth* SimFixture::ground_truth() const noexcept { return &impl_->model.truth(); }
void SimFixture::prepare_run(std::chrono::nanoseconds expected_duration) {
    impl_->model.prepare_truth(expected_duration);
}
void SimFixture::apply_static_load_n(double force_n) noexcept {
    impl_->model.static_load_n.store(force_n, std::memory_order_relaxed);
}
void SimFixture::hold_needle_at_mm(double protrusion_mm) noexcept {
    impl_->model.needle_hold_m.store(protrusion_mm * 1e-3, std::memory_order_relaxed);
    impl_->model.needle_held.store(true, std::memory_order_relaxed);
}
void SimFixture::release_needle() noexcept { impl_->model.needle_held.store(false, std::memory_order_relaxed); }

void SimFixture::press_estop() noexcept { impl_->model.estop.store(true, std::memory_order_relaxed); }
void SimFixture::release_estop() noexcept { impl_->model.estop.store(false, std::memory_order_relaxed); }
SimSnapshot SimFixture::snapshot() const noexcept { return impl_->model.snapshot(); }
std::uint64_t SimFixture::substeps() const noexcept { return impl_->model.substeps(); }

std::unique_ptr<Fixture> make_sim_fixture(const FixtureConfig& config, std::uint64_t seed) {
    return make_sim_fixture(config, seed, SimClockMode::lockstep);
}
std::unique_ptr<Fixture> make_sim_fixture(const FixtureConfig& config, std::uint64_t seed, SimClockMode mode) {
    return std::make_unique<SimFixture>(config, seed, mode);
}

}  // namespace rig
