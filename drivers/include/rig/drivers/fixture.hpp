#pragma once
// A Fixture owns one backend's parts and its clock. The runner holds a
// Fixture& and never knows which backend is behind it.
//
// Lifecycle: built by make_fixture() from a validated FixtureConfig; the
// destructor calls safe_state(). safe_state() is idempotent, noexcept and
// async-signal-tolerant (plain stores, no allocation): pen unpowered, speed
// command 0, brake released.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rig/core/clock.hpp"
#include "rig/drivers/fixture_config.hpp"
#include "rig/drivers/parts.hpp"
#include "rig/drivers/ground_truth.hpp"

namespace rig {

class Fixture {
public:
    virtual ~Fixture() = default;
    Fixture() = default;
    Fixture(const Fixture&) = delete;
    Fixture& operator=(const Fixture&) = delete;

    [[nodiscard]] virtual const FixtureConfig& config() const = 0;
    virtual Clock& clock() = 0;

    virtual PenPower& power() = 0;
    virtual SpeedCommand& speed() = 0;
    virtual DepthActuator& depth() = 0;
    virtual StallBrake& brake() = 0;
    virtual PositionEncoder& encoder() = 0;
    virtual LoadCell& load_cell() = 0;
    virtual CurrentSense& current() = 0;
    virtual EStop& estop() = 0;
    /// The touch-off drive for `reference:` steps. Fixtures without one keep
    /// this default, which refuses every start (the fixture file lists no
    /// reference method, so validation refuses such steps before anything moves).
    virtual FaceReferenceDrive& reference();

    /// Pen off, speed 0, brake released. Safe from any thread; never throws.
    virtual void safe_state() noexcept = 0;

    /// Applies a fault injection from a scenario step. Backends that cannot
    /// inject faults (hardware) return false; validation rejects such steps
    /// for them before anything moves.
    virtual bool inject_fault(const FaultInjection& fault) noexcept = 0;

    /// Ground truth recorded by a model, when the backend has one (the sim);
    /// nullptr on hardware. Written by the thread that drives the clock,
    /// readable from any thread while it does (ground_truth.hpp).
    [[nodiscard]] virtual const GroundTruth* ground_truth() const noexcept { return nullptr; }

    /// Called once before the acquisition loop's thread starts, with the
    /// plan's expected duration, so that a backend sizes what it records for
    /// the run (the sim's ground truth) where the loop will not allocate.
    /// Never while a loop runs. May throw (std::bad_alloc).
    virtual void prepare_run(std::chrono::nanoseconds /*expected_duration*/) {}
};

/// What the fixture a config describes can do, for the code that sets up a
/// run (rig::session): one answer per question, so that no caller tests the backend.
struct FixtureCapabilities {
    bool exclusive = true;              // drives real parts: one process at a time (the fixture lock)
    bool model_per_run = false;         // a model starting from rest: built afresh per run, seeded by the run
    bool acknowledges_prompts = false;  // operator prompts are answered by the fixture itself (the model does what an operator would)
    bool needs_realtime_thread = true;  // the acquisition thread needs SCHED_FIFO and locked memory
    bool injects_faults = false;        // scenario `fault:` steps can be applied
};
FixtureCapabilities capabilities_of(const FixtureConfig& config);

/// Builds the fixture a config describes. `wall_clock`: a model paces itself
/// on the monotonic clock instead of running in lockstep (hardware always does).
std::unique_ptr<Fixture> make_fixture(const FixtureConfig& config, std::uint64_t seed, bool wall_clock);

/// Builds the fixture a config describes. Throws std::runtime_error /
/// std::system_error with a precise message when hardware is missing.
std::unique_ptr<Fixture> make_fixture(const FixtureConfig& config, std::uint64_t seed);

}  // namespace rig
