#include "rig/hw/hw_fixture.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>

namespace rig::hw {
namespace {

const CalibrationRecord& calibration(const FixtureConfig& c, const char* instrument) {
    const auto* rec = c.calibration_for(instrument);
    if (rec == nullptr) {
        throw std::runtime_error(std::string("hardware fixture: no calibration record for '") + instrument + "'");
    }
    return *rec;
}

}  // namespace

HwFixture::HwFixture(FixtureConfig config, HwPlatform& platform, std::unique_ptr<Clock> clock, HwFixtureOptions options)
    : config_(std::move(config)), clock_(std::move(clock)) {
    if (config_.backend != Backend::hardware) throw std::invalid_argument("HwFixture: the fixture's backend is not 'hardware'");
    if (!clock_) throw std::invalid_argument("HwFixture: no clock");
    try {
        build(platform, options);
    } catch (...) {
        // Members built so far are destroyed after this, each driving its
        // output safe before releasing the line; this makes the order
        // explicit for everything already up.
        safe_state();
        throw;
    }
}

void HwFixture::build(HwPlatform& platform, const HwFixtureOptions& options) {
    const HwConfig& hw = config_.hardware;
    const auto& L = hw.lines;
    chip_ = platform.open_gpio_chip(hw.gpio_chip_label);

    // Outputs that can hurt first, requested at their safe level.
    power_ = std::make_unique<GpioPenPower>(chip_->request_output(L.pen_power, false, "penrig pen power"), &inhibit_);
    brake_ = std::make_unique<GpioBrake>(chip_->request_output(L.brake, false, "penrig brake"));

    // The E-stop and its watcher next: from here to the destructor a stop
    // drives the outputs safe on the watcher's own thread, during PWM and ADC
    // set-up and homing as during a run.
    GpioEStop::Options eo;
    eo.contact = hw.safety.estop_contact;
    eo.on_stop = [this] { estop_safe(); };
    if (hw.realtime.priority) eo.priority = std::min(99, *hw.realtime.priority + 1);  // above the loop
    estop_ = std::make_unique<GpioEStop>(
        chip_->request_input(L.estop, InputSettings{Bias::pull_up, Edge::both}, "penrig e-stop"), std::move(eo));

    const unsigned pwm_chip = hw.pwm.device.empty() ? hw.pwm.chip : platform.resolve_pwm_chip(hw.pwm.device);
    speed_ = std::make_unique<PwmSpeed>(platform.open_pwm(pwm_chip, hw.pwm.channel, hw.pwm.period), config_.max_rate_hz);

    std::unique_ptr<StepperDepth> stepper;
    if (hw.depth_actuator == DepthActuatorKind::stepper) {
        StepperSettings s;
        s.steps_per_mm = hw.stepper.steps_per_mm;
        s.max_depth_mm = config_.max_depth_mm;
        s.max_step_rate_hz = hw.stepper.max_step_rate_hz;
        s.homing_step_rate_hz = hw.stepper.homing_step_rate_hz;
        s.homing_limit_steps = hw.stepper.homing_limit_steps;
        s.step_pulse = hw.stepper.step_pulse;
        s.dir_setup = hw.stepper.dir_setup;
        stepper = std::make_unique<StepperDepth>(
            chip_->request_output(L.step, false, "penrig stepper STEP"),
            chip_->request_output(L.dir, false, "penrig stepper DIR"),
            // Both edges: the level is then read through the event fd, which
            // is allocation-free (see gpio_gpiod_v1.cpp).
            chip_->request_input(L.home, InputSettings{Bias::pull_up, Edge::both}, "penrig home switch"), s);
        stepper_ = stepper.get();
        depth_ = std::move(stepper);
    } else {
        depth_ = std::make_unique<PromptDepth>(options.prompt_input_fd,
                                               options.prompt_out != nullptr ? *options.prompt_out : std::cout,
                                               config_.max_depth_mm);
    }

    const auto& enc_cal = calibration(config_, "encoder");
    encoder_spi_ = platform.open_spi(hw.encoder_spi.device, SpiSettings{0, hw.encoder_spi.speed_hz, 8});
    encoder_ = std::make_unique<Ls7366rEncoder>(*encoder_spi_, enc_cal.scale, enc_cal.offset, clock_.get(),
                                                hw.safety.encoder_check_every);

    const auto& lc_cal = calibration(config_, "load_cell");
    const auto& cur_cal = calibration(config_, "current_sense");
    Ads1256Settings as;
    as.data_rate_sps = hw.adc.data_rate_sps;
    as.pga_gain = hw.adc.load_cell.pga_gain;
    as.input_buffer = hw.adc.input_buffer;
    as.drdy_timeout = hw.adc.drdy_timeout;
    const AdcChannel force{ads1256::mux_byte(hw.adc.load_cell.positive, hw.adc.load_cell.negative),
                           hw.adc.load_cell.pga_gain, lc_cal.scale, lc_cal.offset};
    const AdcChannel current{ads1256::mux_byte(hw.adc.current.positive, hw.adc.current.negative),
                             hw.adc.current.pga_gain, cur_cal.scale, cur_cal.offset};
    adc_spi_ = platform.open_spi(hw.adc.spi.device, SpiSettings{1, hw.adc.spi.speed_hz, 8});
    drdy_ = chip_->request_input(L.drdy, InputSettings{Bias::as_is, Edge::falling}, "penrig ADS1256 DRDY");
    adc_ = std::make_unique<Ads1256>(*adc_spi_, *drdy_, *clock_, as);
    adc_->configure();
    if (hw.adc.wiring == AdcWiring::one_adc) {
        adc_channels_ = std::make_unique<Ads1256Channels>(*adc_, *drdy_, force, current, *clock_);
        if (hw.adc.drdy_thread && options.adc_service_thread) {
            // Above the loop: the chip is serviced at DRDY, the loop only reads.
            (void)adc_channels_->start_service(hw.realtime.priority ? std::optional<int>(std::min(99, *hw.realtime.priority + 1))
                                                                    : std::nullopt);
        }
        load_cell_ = std::make_unique<AdcLoadCell>(*adc_channels_);
        current_ = std::make_unique<AdcCurrentSense>(*adc_channels_);
    } else {
        adc2_spi_ = platform.open_spi(hw.adc.current_spi.device, SpiSettings{1, hw.adc.current_spi.speed_hz, 8});
        drdy2_ = chip_->request_input(L.drdy2, InputSettings{Bias::as_is, Edge::falling}, "penrig ADS1256 DRDY (current)");
        Ads1256Settings as2 = as;
        as2.pga_gain = hw.adc.current.pga_gain;
        adc2_ = std::make_unique<Ads1256>(*adc2_spi_, *drdy2_, *clock_, as2);
        adc2_->configure();
        adc_force_ = std::make_unique<Ads1256Single>(*adc_, *drdy_, force, *clock_);
        adc_current_ = std::make_unique<Ads1256Single>(*adc2_, *drdy2_, current, *clock_);
        adc_pair_ = std::make_unique<TwoAdcSource>(*adc_force_, *adc_current_);
        load_cell_ = std::make_unique<AdcLoadCell>(*adc_pair_);
        current_ = std::make_unique<AdcCurrentSense>(*adc_pair_);
    }

    // Last: the only step that moves anything.
    if (stepper_ != nullptr && options.home_on_start) {
        if (estop_->active()) throw std::runtime_error("hardware fixture: E-stop open: not homing the stepper");
        stepper_->home(*clock_);
    }

    if (hw.safety.watchdog_device && options.use_watchdog) {
        HwWatchdog::Options wo;
        wo.device = *hw.safety.watchdog_device;
        wo.timeout = hw.safety.watchdog_timeout;
        wo.heartbeat = [this] { return heartbeat(); };
        wo.idle_safe = [this] { return !power_->is_on(); };
        watchdog_ = std::make_unique<HwWatchdog>(std::move(wo));
    }
}

HwFixture::~HwFixture() {
    safe_state();
    // The E-stop watcher stops (joined) before any output line is released.
    estop_.reset();
}

void HwFixture::estop_safe() noexcept {
    inhibit_.store(true);
    safe_state();
}

void HwFixture::safe_state() noexcept {
    if (power_) power_->set(false);
    if (speed_) speed_->set_rate_hz(0.0);
    if (brake_) brake_->set(false);
    if (stepper_ != nullptr) stepper_->stop();
    // The inhibit lasts while the E-stop is active; a released E-stop lets the
    // next run power the pen again (the run that saw the stop has ended).
    if (estop_ && !estop_->active()) inhibit_.store(false);
}

bool HwFixture::IndexReference::start_index(std::int64_t now_ns) noexcept {
    HwFixture& f = *f_;
    if (phase_ != Phase::idle || !f.config_.reference.supports(ReferenceMethod::index) || !f.encoder_ || !f.power_ ||
        !f.speed_ || f.power_->is_on()) {
        return false;
    }
    latched_mm_.reset();
    if (!f.encoder_->begin_index_latch()) return false;
    rate_before_hz_ = f.speed_->rate_hz();
    phase_ = Phase::pass;
    since_ns_ = now_ns;
    if (!f.speed_->set_rate_hz(f.config_.reference.index.pass_rate_hz) || !f.power_->set(true)) {
        stop();
        return false;
    }
    return true;
}

void HwFixture::IndexReference::end_pass(std::int64_t now_ns) noexcept {
    HwFixture& f = *f_;
    f.power_->set(false);
    f.speed_->set_rate_hz(rate_before_hz_);
    // Index disabled before the loop reads the counter again; if that fails
    // the encoder is faulted (its reads fail, the run ends ERROR) and the
    // latch is not trusted either.
    if (!f.encoder_->end_index_latch()) latched_mm_.reset();
    phase_ = Phase::spin_down;
    since_ns_ = now_ns;
}

bool HwFixture::IndexReference::busy(std::int64_t now_ns, std::optional<double>) noexcept {
    HwFixture& f = *f_;
    const auto& p = f.config_.reference.index;
    switch (phase_) {
        case Phase::idle: return false;
        case Phase::pass:
            // The loop's encoder reads (the watchdog's heartbeat) are
            // suspended; the pass's own ticks stand for them.
            f.heartbeat_.fetch_add(1, std::memory_order_relaxed);
            if (auto c = f.encoder_->poll_index_latch()) {
                latched_mm_ = f.encoder_->reading_mm(*c);
                end_pass(now_ns);
            } else if (now_ns - since_ns_ >= p.pass_time.count()) {
                end_pass(now_ns);  // no mark: no reference
            }
            return true;
        case Phase::spin_down:
            if (now_ns - since_ns_ < p.spin_down.count()) return true;
            phase_ = Phase::idle;
            return false;
    }
    return false;
}

void HwFixture::IndexReference::stop() noexcept {
    HwFixture& f = *f_;
    if (phase_ == Phase::pass) {
        if (f.power_) f.power_->set(false);
        if (f.speed_) f.speed_->set_rate_hz(0.0);
        if (f.encoder_ && !f.encoder_->end_index_latch()) latched_mm_.reset();
    }
    phase_ = Phase::idle;
}

}  // namespace rig::hw

namespace rig {
std::unique_ptr<Fixture> make_hw_fixture(const FixtureConfig& config) {
    auto platform = hw::make_linux_platform();
    return std::make_unique<hw::HwFixture>(config, *platform, std::make_unique<MonotonicClock>());
}
}  // namespace rig
