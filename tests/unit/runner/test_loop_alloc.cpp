// The acquisition loop makes no heap allocation after it starts (a page fault
// or a malloc lock on the real-time thread is a missed deadline). Every
// operator new in this test program is counted per thread; the loop runs the
// nightly plan against a fixture whose parts allocate nothing (the sim's model
// records ground truth on the loop thread, so it is not used here), while a
// second thread drains the rings as the recorder does.
#include <atomic>
#include <cmath>
#include <thread>

#include "alloc_counter.hpp"
#include "catch.hpp"
#include "fake_clock.hpp"
#include "fake_parts.hpp"
#include "rig/runner/loop.hpp"
#include "rig/scenario/scenario.hpp"
#include "temp_dir.hpp"

namespace {
using rig::Nanos;

// A pen that strokes at its rate setpoint (needle position a sine of the
// clock), pushes 2 N at the bottom, and obeys every command; nothing allocates.
class StrokingFixture final : public rig::Fixture {
public:
    explicit StrokingFixture(rig::FixtureConfig cfg) : cfg_(std::move(cfg)) {}
    [[nodiscard]] const rig::FixtureConfig& config() const override { return cfg_; }
    rig::Clock& clock() override { return clock_; }
    rig::PenPower& power() override { return power_; }
    rig::SpeedCommand& speed() override { return speed_; }
    rig::DepthActuator& depth() override { return depth_; }
    rig::StallBrake& brake() override { return brake_; }
    rig::PositionEncoder& encoder() override { return encoder_; }
    rig::LoadCell& load_cell() override { return load_; }
    rig::CurrentSense& current() override { return current_; }
    rig::EStop& estop() override { return estop_; }
    rig::FaceReferenceDrive& reference() override { return ref_; }
    void safe_state() noexcept override {
        power_.on = false;
        speed_.rate = 0;
        brake_.engaged = false;
    }
    bool inject_fault(const rig::FaultInjection&) noexcept override { return true; }

private:
    double phase() const { return std::sin(2 * M_PI * speed_.rate * 1e-9 * static_cast<double>(clock_.now().count())); }
    rig::test::FakePower power_;
    rig::test::FakeSpeed speed_;
    rig::test::FakeDepth depth_;
    rig::test::FakeBrake brake_;
    struct Enc : rig::PositionEncoder {
        StrokingFixture* f;
        explicit Enc(StrokingFixture* ff) : f(ff) {}
        std::optional<double> read_mm() noexcept override {
            return f->power_.on && !f->brake_.engaged ? f->depth_.mm * (0.5 + 0.5 * f->phase()) : 0.0;
        }
    } encoder_{this};
    struct Load : rig::LoadCell {
        StrokingFixture* f;
        explicit Load(StrokingFixture* ff) : f(ff) {}
        std::optional<double> read_n() noexcept override { return f->power_.on && f->phase() > 0.9 ? 2.0 : 0.0; }
    } load_{this};
    struct Cur : rig::CurrentSense {
        std::optional<double> read_a() noexcept override { return 0.3; }
    } current_;
    rig::test::ReleasedEStop estop_;
    // The nightly plan's cartridge-face references: a touch-off of 50 ms
    // that finds contact (what the loop does around it is what is counted).
    struct Ref : rig::FaceReferenceDrive {
        std::int64_t until = 0;
        bool start_touch_off(std::int64_t now_ns) noexcept override { return until = now_ns + 50'000'000, true; }
        bool busy(std::int64_t now_ns, std::optional<double>) noexcept override { return now_ns < until; }
        [[nodiscard]] bool contact_found() const noexcept override { return true; }
        void stop() noexcept override { until = 0; }
    } ref_;
    rig::FixtureConfig cfg_;
    rig::test::FakeClock clock_{Nanos{0}};  // deadlines are reached at once
};
}  // namespace

TEST_CASE("the acquisition loop makes no heap allocation after it starts", "[runner][loop][realtime]") {
    rig::Diagnostics d;
    rig::LoadOptions lo;
    lo.default_fixture = rig::test::source_dir() / "fixtures" / "sim.yaml";
    auto sc = rig::load_scenario(rig::test::source_dir() / "scenarios" / "nightly.yaml", d, lo);
    REQUIRE(sc);
    StrokingFixture fx(sc->fixture);
    rig::SpscRing<rig::Sample> samples(4096);
    rig::SpscRing<rig::LoopEvent> events(256);
    std::atomic<bool> abort{false};
    rig::LoopStats stats;
    rig::AcquisitionLoop loop(*sc, fx, samples, events, abort, stats);
    loop.set_backpressure(true);

    std::atomic<bool> finished{false};
    std::uint64_t drained = 0, n_events = 0, prompts = 0;
    std::thread recorder([&] {
        rig::Sample s{};
        rig::LoopEvent e{};
        while (!finished.load(std::memory_order_acquire) || !samples.empty() || !events.empty()) {
            bool any = false;
            while (samples.pop(s)) ++drained, any = true;
            while (events.pop(e)) {
                ++n_events;
                any = true;
                if (e.kind == rig::LoopEventKind::prompt) {
                    ++prompts;
                    loop.acknowledge_prompt();
                }
                if (e.kind == rig::LoopEventKind::finished) finished.store(true, std::memory_order_release);
            }
            if (!any) std::this_thread::yield();
        }
    });
    std::thread acquisition([&] {
        rig::test::g_allocations.store(0);
        rig::test::t_count_allocations = true;  // from the loop's start on, as the runner's realtime_setup hook marks it
        loop.run();
        rig::test::t_count_allocations = false;
    });
    acquisition.join();
    recorder.join();
    INFO("samples " << drained << ", events " << n_events << ", prompts " << prompts);
    CHECK(drained > 100000);          // the whole nightly plan ran (about 16 s at 10 kHz)
    CHECK(stats.dropped.load() == 0);
    // The sanitizer builds still run the loop against a draining thread
    // (what TSan checks); only the count needs the optimised build.
    if (!PENRIG_COUNTS_ALLOCATIONS) PENRIG_SKIP("allocation counting needs the optimised build (the sanitizer owns operator new)");
    CHECK(rig::test::g_allocations.load() == 0);
}
