// Force on the ADC's own time base, end to end against the ADS1256 emulator:
// the driver's ages carried in the samples put each force value at the
// instant its conversion represents (SBAS288K Table 13 settling, Table 14
// multiplexed cycling, as the emulator models them), and the stroke analysis
// finds the peak force there, not at the loop tick that read it.
#include <algorithm>
#include <cmath>
#include <vector>

#include "ads1256_emulator.hpp"
#include "catch.hpp"
#include "fake_clock.hpp"
#include "rig/analysis/strokes.hpp"
#include "rig/analysis/trace.hpp"
#include "rig/hw/ads1256.hpp"

using namespace rig;
using rig::test::Ads1256Emulator;
using rig::test::FakeClock;
namespace ads = rig::hw::ads1256;
using namespace std::chrono_literals;

TEST_CASE("peak force instants on the ADC's conversion times, not the loop's", "[hw][ads1256][analysis]") {
    // A pen at 150 strokes/s: BDC (and the strike's force peak, a Gaussian of
    // sigma 1 ms) at t_k = t_first + k / 150 s.
    constexpr double rate_hz = 150.0;
    constexpr double sigma_s = 1e-3;
    constexpr double t_first_s = 0.0105;
    auto true_peak_s = [&](double s) { return t_first_s + std::round((s - t_first_s) * rate_hz) / rate_hz; };

    FakeClock clock;
    Ads1256Emulator emu{clock};
    emu.advance = &clock;
    emu.ain_at = [&](std::size_t ain, Nanos t) {
        const double s = static_cast<double>(t.count()) * 1e-9;
        const double d = (s - true_peak_s(s)) / sigma_s;
        return ain == 0 ? 0.01 * std::exp(-0.5 * d * d) : ain == 2 ? 1.0 : 0.0;
    };
    hw::Ads1256Settings settings;
    settings.pga_gain = 64;
    settings.input_buffer = true;
    settings.drdy_timeout = 2ms;
    hw::Ads1256 adc(emu, emu.drdy(), clock, settings);
    adc.configure();
    hw::Ads1256Channels ch(adc, emu.drdy(), {ads::mux_byte(0, 1), 64, 1e-4, 0.0}, {ads::mux_byte(2, 8), 1, 1e-6, 0.0},
                           clock);

    // The 5 kHz loop, polling the ADC (one ADS1256 cycling both inputs):
    // samples as the acquisition loop makes them (encoder at the tick).
    for (int i = 0; i < 5; ++i) {  // the first conversions settle (Table 13)
        clock.advance(200us);
        (void)ch.read_n();
        (void)ch.read_a();
    }
    std::vector<Sample> samples;
    const Nanos start = clock.now();
    Nanos next = start;
    while (clock.now() - start < 300ms) {
        next += 200us;
        clock.sleep_until(next);
        const auto f = ch.read_n();
        const auto a = ch.read_a();
        REQUIRE(f);
        REQUIRE(a);
        const double s = static_cast<double>(clock.now().count()) * 1e-9;
        Sample x;
        x.t_ns = clock.now().count();
        x.position_mm = 1.0 - std::cos(2 * M_PI * rate_hz * (s - t_first_s));  // BDC (2 mm) at t_k
        x.force_n = *f;
        x.current_a = *a;
        x.force_age_ns = static_cast<std::int32_t>(ch.timing(0).age_ns);
        x.current_age_ns = static_cast<std::int32_t>(ch.timing(1).age_ns);
        if (!ch.timing(0).fresh) x.flags |= sample_force_held;
        samples.push_back(x);
    }
    REQUIRE(emu.violations().empty());
    REQUIRE_FALSE(samples.empty());

    // The instants the force conversions represent, by the emulator's own
    // record (DRDY - t18/2), independent of the driver's ages.
    std::vector<std::int64_t> represents;
    for (const auto& c : emu.conversions()) {
        if (c.mux == ads::mux_byte(0, 1)) represents.push_back(c.represents.count());
    }

    const auto trace = analysis::Trace::from_samples(samples);
    analysis::StrokeOptions so;
    so.max_sample_interval = 1ms;  // ticks stretched by the polled ADC's SPI work are no gap
    const auto strokes = analysis::detect_strokes(trace.view(), 0, trace.size(), so);
    INFO(samples.size() << " samples from " << samples.front().t_ns << " to " << samples.back().t_ns << " ns");
    REQUIRE(strokes.size() >= 40);
    double tick_late_sum_ns = 0.0, adc_err_sum_ns = 0.0;
    std::size_t n = 0;
    for (const auto& st : strokes) {
        INFO("stroke problems: " << analysis::describe_problems(st.problems));
        if (!st.valid()) continue;
        const double t_true = true_peak_s(st.t_bdc_ns * 1e-9) * 1e9;
        // The peak is a conversion the emulator made...
        const auto it = std::min_element(represents.begin(), represents.end(), [&](auto a, auto b) {
            return std::abs(static_cast<double>(a) - st.t_peak_force_ns) < std::abs(static_cast<double>(b) - st.t_peak_force_ns);
        });
        REQUIRE(it != represents.end());
        CHECK(std::abs(static_cast<double>(*it) - st.t_peak_force_ns) <= 1000.0);  // to 1 us (SPI transfer times)
        // ...within half the interval between the force conversions the loop
        // read around it (the largest sample of a symmetric pulse is the
        // nearest), which Table 14 keeps under 1 ms.
        INFO("stroke at " << st.t_bdc_ns * 1e-6 << " ms: peak force at " << st.t_peak_force_ns * 1e-6 << " ms, true "
                          << t_true * 1e-6 << " ms");
        CHECK(std::abs(st.t_peak_force_ns - t_true) <= 0.5e6);
        // The loop tick that read it is later by the value's age.
        std::size_t k = st.begin_index;
        while (k < trace.size() && static_cast<double>(trace.view().force_t_ns(k)) != st.t_peak_force_ns) ++k;
        REQUIRE(k < trace.size());
        tick_late_sum_ns += static_cast<double>(trace.t_ns[k]) - t_true;
        adc_err_sum_ns += st.t_peak_force_ns - t_true;
        ++n;
    }
    INFO(n << " valid strokes of " << strokes.size());
    REQUIRE(n >= 40);
    const double tick_bias_us = tick_late_sum_ns / static_cast<double>(n) / 1e3;
    const double adc_bias_us = adc_err_sum_ns / static_cast<double>(n) / 1e3;
    WARN("mean peak-time error: loop tick " << tick_bias_us << " us, ADC time " << adc_bias_us << " us");
    CHECK(tick_bias_us > 150.0);             // the loop's time base puts the peaks late (by the mean age)
    CHECK(std::abs(adc_bias_us) < 100.0);    // the ADC's does not
}
