// Per-tick work of the hardware fixture at 5 and 10 kHz: the real driver code
// (LS7366R, ADS1256 cycling, E-stop, fixture) against the chip emulators, with
// each SPI transfer taking its wire time at the fixture's SCLK plus a per-ioctl
// overhead, and each GPIO ioctl its own overhead, on a modelled clock; the
// driver's CPU time on this machine is measured beside it.
//
// usage: bench_hw_tick [seconds=2] [spi_ioctl_us=15] [gpio_ioctl_us=2]
//
// The ioctl overheads are assumptions (spidev SPI_IOC_MESSAGE on a Pi 4 is
// commonly quoted at 10-20 us; a GPIO handle ioctl at 1-3 us) until BRINGUP.md
// check 9 measures them on a Pi. Figures are printed, never judged.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <cstdlib>
#include <vector>

#include "ads1256_emulator.hpp"
#include "fake_clock.hpp"
#include "fake_platform.hpp"
#include "rig/drivers/fixture_config.hpp"
#include "rig/core/diagnostics.hpp"
#include "rig/hw/hw_fixture.hpp"
#include "temp_dir.hpp"

using namespace rig;
using namespace std::chrono_literals;

namespace {
// A SPI device that adds the ioctl's overhead to the modelled clock.
class Overhead final : public hw::SpiDevice {
public:
    // `wire_hz` > 0: add the bytes' wire time too (for a device whose
    // emulator does not model it: the LS7366R).
    Overhead(hw::SpiDevice& d, test::FakeClock& c, Nanos o, double wire_hz = 0) : d_(&d), c_(&c), o_(o), hz_(wire_hz) {}
    using hw::SpiDevice::transfer;
    std::error_code transfer(std::span<const hw::SpiSegment> s) noexcept override {
        c_->advance(o_);
        if (hz_ > 0) {
            std::size_t bytes = 0;
            for (const auto& seg : s) {
                bytes += seg.tx.size();
                c_->advance(seg.delay_after);
            }
            c_->advance(Nanos(static_cast<std::int64_t>(static_cast<double>(bytes) * 8e9 / hz_)));
        }
        ++transfers;
        return d_->transfer(s);
    }
    [[nodiscard]] const std::string& name() const noexcept override { return d_->name(); }
    long transfers = 0;

private:
    hw::SpiDevice* d_;
    test::FakeClock* c_;
    Nanos o_;
    double hz_;
};
class GpioOverhead final : public hw::GpioInput {
public:
    GpioOverhead(hw::GpioInput& in, test::FakeClock& c, Nanos o) : in_(&in), c_(&c), o_(o) {}
    std::optional<bool> value() noexcept override {
        c_->advance(o_);
        return in_->value();
    }
    int take_edges() noexcept override {
        c_->advance(o_);
        return in_->take_edges();
    }
    std::optional<Nanos> last_edge_time() noexcept override { return in_->last_edge_time(); }

private:
    hw::GpioInput* in_;
    test::FakeClock* c_;
    Nanos o_;
};

double pct(std::vector<std::int64_t> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return static_cast<double>(v[std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())))]) / 1e3;
}

void run(double rate_hz, double seconds, Nanos spi_o, Nanos gpio_o, AdcWiring wiring, bool drdy_thread) {
    Diagnostics d;
    auto cfg = load_fixture(std::filesystem::path(PENRIG_SOURCE_DIR) / "fixtures" / "pi4-reference.yaml", d);
    if (!cfg) {
        d.print(std::cerr);
        std::exit(1);
    }
    cfg->hardware.adc.wiring = wiring;
    cfg->hardware.safety.watchdog_device.reset();
    test::TempDir tmp;
    test::FakeClock clock;
    test::FakeGpio gpio;
    test::Ls7366rEmulator counter{"/dev/spidev0.1"};
    test::Ads1256Emulator adc{clock, "/dev/spidev0.0"}, adc2{clock, "/dev/spidev1.0"};
    for (auto* a : {&adc, &adc2}) {
        a->advance = &clock;
        a->sclk_hz = cfg->hardware.adc.spi.speed_hz;
        a->ain_v = {0.01, 0.0, 1.0, 0, 0, 0, 0, 0, 0};
    }
    Overhead enc(counter, clock, spi_o, cfg->hardware.encoder_spi.speed_hz), ad(adc, clock, spi_o), ad2(adc2, clock, spi_o);
    GpioOverhead drdy(adc.drdy(), clock, gpio_o), drdy2(adc2.drdy(), clock, gpio_o);
    test::FakePlatform platform{gpio, tmp.path()};
    test::make_fake_pwm_chip(tmp.path(), 0, 2, true, &platform.kernel, "fe20c000.pwm");
    platform.spi["/dev/spidev0.1"] = &enc;
    platform.spi["/dev/spidev0.0"] = &ad;
    platform.spi["/dev/spidev1.0"] = &ad2;
    gpio.external[cfg->hardware.lines.drdy] = &drdy;
    gpio.external[cfg->hardware.lines.drdy2] = &drdy2;
    gpio.input_level[cfg->hardware.lines.estop] = false;
    std::int64_t dial = 0;
    gpio.on_write[cfg->hardware.lines.step] = [&](bool high) {
        if (high) dial += gpio.output(cfg->hardware.lines.dir).value_or(false) ? 1 : -1;
        gpio.input_level[cfg->hardware.lines.home] = dial > 0;
    };
    gpio.input_level[cfg->hardware.lines.home] = true;
    hw::HwFixtureOptions o;
    o.use_watchdog = false;
        o.adc_service_thread = false;
    auto fx = std::make_unique<hw::HwFixture>(*cfg, platform, std::make_unique<test::ClockRef>(clock), o);
    hw::Ads1256Channels* svc = drdy_thread ? fx->adc_channels() : nullptr;
    if (svc != nullptr) svc->enable_service_mode();
    std::vector<std::int64_t> svc_bus;
    const Nanos period(static_cast<std::int64_t>(1e9 / rate_hz));
    const auto ticks = static_cast<long>(seconds * rate_hz);
    std::vector<std::int64_t> bus, cpu;
    bus.reserve(static_cast<std::size_t>(ticks));
    cpu.reserve(static_cast<std::size_t>(ticks));
    Nanos next = clock.now();
    long overruns = 0, fresh = 0;
    for (long i = 0; i < ticks; ++i) {
        next += period;
        if (svc != nullptr) {
            // The service thread (another core) wakes within 5 us of DRDY.
            while (clock.now() < next) {
                clock.advance(5us);
                const Nanos s0 = clock.now();
                svc->service_once();
                if (clock.now() - s0 > 10us) svc_bus.push_back((clock.now() - s0).count());
            }
        }
        if (clock.now() < next) clock.sleep_until(next);
        const Nanos t0 = clock.now();
        const auto c0 = std::chrono::steady_clock::now();
        (void)fx->encoder().read_mm();
        (void)fx->load_cell().read_n();
        (void)fx->current().read_a();
        (void)fx->estop().pressed();
        const auto c1 = std::chrono::steady_clock::now();
        const auto b = (clock.now() - t0).count();
        bus.push_back(b);
        cpu.push_back((c1 - c0).count());
        if (fx->load_cell().last_timing().fresh) ++fresh;
        if (b + (c1 - c0).count() > period.count()) ++overruns;
    }
    if (svc != nullptr) {
        std::printf("  (ADS1256 service thread: %zu mux cycles, bus+ioctl per cycle p50 %.1f max %.1f us, off the loop's tick)\n",
                    svc_bus.size(), pct(svc_bus, 50), pct(svc_bus, 100));
    }
    std::printf("%-18s %5.0f Hz  period %4lld us | bus+ioctl work p50 %6.1f p99 %6.1f max %6.1f us | driver CPU here p50 %5.1f "
                "p99 %5.1f us | ticks over the period: %ld of %ld | force fresh %.0f Hz\n",
                wiring == AdcWiring::two_adc ? "two_adc" : drdy_thread ? "one_adc drdy_thread" : "one_adc loop", rate_hz,
                static_cast<long long>(period.count() / 1000), pct(bus, 50), pct(bus, 99), pct(bus, 100), pct(cpu, 50),
                pct(cpu, 99), overruns, ticks, static_cast<double>(fresh) / seconds);
}
}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
    const Nanos spi_o(static_cast<std::int64_t>((argc > 2 ? std::atof(argv[2]) : 15.0) * 1000));
    const Nanos gpio_o(static_cast<std::int64_t>((argc > 3 ? std::atof(argv[3]) : 2.0) * 1000));
    std::printf("bench_hw_tick: %.1f s simulated per case; SPI ioctl overhead %lld us, GPIO ioctl %lld us (assumed)\n",
                seconds, static_cast<long long>(spi_o.count() / 1000), static_cast<long long>(gpio_o.count() / 1000));
    for (double r : {5000.0, 10000.0}) {
        run(r, seconds, spi_o, gpio_o, AdcWiring::one_adc, false);
        run(r, seconds, spi_o, gpio_o, AdcWiring::one_adc, true);
        run(r, seconds, spi_o, gpio_o, AdcWiring::two_adc, false);
    }
}
