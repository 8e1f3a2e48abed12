#pragma once
// The Raspberry Pi reference fixture (DESIGN §1): pen power and brake on GPIO,
// speed on hardware PWM, depth dial on a stepper (or an operator prompt),
// needle position from an LS7366R, force and motor current from an ADS1256,
// E-stop on GPIO.
//
// Lifecycle: construction opens and configures everything, safe outputs
// first (pen power and brake are requested already low), then the E-stop and
// its watcher thread (so that homing and ADC set-up are watched too), then PWM
// (period, duty 0, enable), the stepper homes last, once everything else is
// known to work. The E-stop watcher runs until the destructor, which stops it
// only after the outputs are safe. A failure throws
// (std::system_error / std::runtime_error naming the device) and every output
// opened so far is driven safe before its line is released. The destructor
// calls safe_state() before any line is released.
//
// Thread-safety: as rig::Fixture (parts used by the loop thread; safe_state()
// from any thread).

#include <atomic>
#include <iosfwd>
#include <memory>

#include "rig/core/clock.hpp"
#include "rig/drivers/fixture.hpp"
#include "rig/hw/actuators.hpp"
#include "rig/hw/ads1256.hpp"
#include "rig/hw/ls7366r.hpp"
#include "rig/hw/platform.hpp"
#include "rig/hw/watchdog.hpp"

namespace rig {

/// Builds the hardware fixture on this machine's GPIO/SPI/PWM, with a
/// MonotonicClock. Throws if the hardware is missing; `rig doctor` says why.
std::unique_ptr<Fixture> make_hw_fixture(const FixtureConfig& config);

}  // namespace rig

namespace rig::hw {
/// `rig safe --fixture F`: drives every output of the fixture safe (pen power
/// and brake low, stepper STEP/DIR low, PWM duty 0 and disabled) without the
/// fixture lock and without configuring anything, for a supervisor to run
/// after the rig's process ended however it ended (systemd ExecStopPost=).
/// Prints one line per output; returns the number that failed.
int force_safe_outputs(const FixtureConfig& config, HwPlatform& platform, std::ostream& out);
}  // namespace rig::hw

namespace rig::hw {

struct HwFixtureOptions {
    int prompt_input_fd = 0;             // depth_actuator: prompt reads Enter here
    std::ostream* prompt_out = nullptr;  // and prints here (nullptr: std::cout)
    bool home_on_start = true;           // home the stepper during construction
    bool use_watchdog = true;            // open hardware.safety.watchdog when set
    bool adc_service_thread = true;      // honour adc.service: drdy_thread (tests on a fake clock: false)
};

class HwFixture final : public Fixture {
public:
    /// `platform` is used during construction only; `clock` is owned.
    HwFixture(FixtureConfig config, HwPlatform& platform, std::unique_ptr<Clock> clock, HwFixtureOptions options = {});
    ~HwFixture() override;

    [[nodiscard]] const FixtureConfig& config() const override { return config_; }
    Clock& clock() override { return *clock_; }
    PenPower& power() override { return *power_; }
    SpeedCommand& speed() override { return *speed_; }
    DepthActuator& depth() override { return *depth_; }
    StallBrake& brake() override { return *brake_; }
    PositionEncoder& encoder() override { return heartbeat_encoder_; }
    LoadCell& load_cell() override { return *load_cell_; }
    CurrentSense& current() override { return *current_; }
    EStop& estop() override { return *estop_; }
    /// The index reference when the fixture file lists it (reference.index);
    /// otherwise refuses every start (depth on this fixture is then ERROR).
    FaceReferenceDrive& reference() override { return index_reference_; }

    void safe_state() noexcept override;
    bool inject_fault(const FaultInjection&) noexcept override { return false; }
    [[nodiscard]] const GroundTruth* ground_truth() const noexcept override { return nullptr; }

    /// The stepper, when depth_actuator is stepper (nullptr otherwise).
    [[nodiscard]] StepperDepth* stepper() noexcept { return stepper_; }
    [[nodiscard]] GpioEStop& estop_input() noexcept { return *estop_; }
    /// The mux-cycling ADC (adc wiring one_adc; nullptr otherwise).
    [[nodiscard]] Ads1256Channels* adc_channels() noexcept { return adc_channels_.get(); }
    [[nodiscard]] Ls7366rEncoder& counter() noexcept { return *encoder_; }
    /// Encoder reads so far: one per loop tick, the heartbeat the watchdog feeder watches.
    [[nodiscard]] std::uint64_t heartbeat() const noexcept { return heartbeat_.load(std::memory_order_relaxed); }
    [[nodiscard]] const HwWatchdog* watchdog() const noexcept { return watchdog_.get(); }

private:
    void build(HwPlatform& platform, const HwFixtureOptions& options);
    void estop_safe() noexcept;  // the E-stop watcher's path: inhibit, then safe

    // Counts reads (the loop's heartbeat) and forwards to the LS7366R.
    class HeartbeatEncoder final : public PositionEncoder {
    public:
        explicit HeartbeatEncoder(HwFixture& f) : f_(&f) {}
        std::optional<double> read_mm() noexcept override {
            f_->heartbeat_.fetch_add(1, std::memory_order_relaxed);
            return f_->encoder_->read_mm();
        }

    private:
        HwFixture* f_;
    };

    // The index reference (drivers/hw/README.md "Cartridge-face reference"):
    // pen on at the pass rate with the LS7366R latching at the INDEX edge,
    // OTR polled (RD OTR leaves it) until it latched or pass_time passed,
    // then pen off, index disabled, encoder reads resumed, a spin-down with
    // the pen off. Loop thread only (stop() too: it talks SPI).
    class IndexReference final : public FaceReferenceDrive {
    public:
        explicit IndexReference(HwFixture& f) : f_(&f) {}
        bool start_touch_off(std::int64_t) noexcept override { return false; }
        bool start_index(std::int64_t now_ns) noexcept override;
        [[nodiscard]] bool encoder_suspended() const noexcept override { return phase_ == Phase::pass; }
        [[nodiscard]] std::optional<double> index_latched_mm() const noexcept override { return latched_mm_; }
        bool busy(std::int64_t now_ns, std::optional<double> force_n) noexcept override;
        [[nodiscard]] bool contact_found() const noexcept override { return latched_mm_.has_value(); }
        void stop() noexcept override;

    private:
        enum class Phase { idle, pass, spin_down };
        void end_pass(std::int64_t now_ns) noexcept;
        HwFixture* f_;
        Phase phase_ = Phase::idle;
        std::int64_t since_ns_ = 0;
        double rate_before_hz_ = 0.0;
        std::optional<double> latched_mm_;
    };

    // Declaration order is construction order; destruction runs backwards, so
    // the safe outputs (pen power, brake) are released last.
    FixtureConfig config_;
    std::unique_ptr<Clock> clock_;
    SafeInhibit inhibit_{false};  // set while the E-stop is active: the pen cannot be powered
    std::atomic<std::uint64_t> heartbeat_{0};
    HeartbeatEncoder heartbeat_encoder_{*this};
    IndexReference index_reference_{*this};
    std::unique_ptr<GpioChip> chip_;
    std::unique_ptr<GpioPenPower> power_;
    std::unique_ptr<GpioBrake> brake_;
    std::unique_ptr<PwmSpeed> speed_;
    std::unique_ptr<GpioEStop> estop_;
    std::unique_ptr<DepthActuator> depth_;
    StepperDepth* stepper_ = nullptr;
    std::unique_ptr<SpiDevice> encoder_spi_;
    std::unique_ptr<SpiDevice> adc_spi_;
    std::unique_ptr<SpiDevice> adc2_spi_;
    std::unique_ptr<GpioInput> drdy_;
    std::unique_ptr<GpioInput> drdy2_;
    std::unique_ptr<Ads1256> adc_;
    std::unique_ptr<Ads1256> adc2_;
    std::unique_ptr<Ls7366rEncoder> encoder_;
    std::unique_ptr<Ads1256Channels> adc_channels_;
    std::unique_ptr<Ads1256Single> adc_force_;
    std::unique_ptr<Ads1256Single> adc_current_;
    std::unique_ptr<AdcSource> adc_pair_;
    std::unique_ptr<LoadCell> load_cell_;
    std::unique_ptr<CurrentSense> current_;
    std::unique_ptr<HwWatchdog> watchdog_;  // last: stops feeding first on destruction
};

}  // namespace rig::hw
