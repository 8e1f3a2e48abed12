// Parsing of a fixture file's `hardware:` section (backend: hardware).
// Schema: drivers/hw/README.md; examples: fixtures/pi4-reference.yaml,
// fixtures/pi5-reference.yaml. Every problem is reported with its line and
// column; nothing here touches the hardware.
#include <array>
#include <cmath>
#include <regex>
#include <set>

#include "rig/drivers/fixture_config.hpp"

namespace rig {
namespace {

// The datasheet's DRATE values (ADS1256, table 13).
constexpr std::array<double, 16> ads1256_rates{30000, 15000, 7500, 3750, 2000, 1000, 500, 100,
                                               60,    50,    30,   25,   15,   10,   5,   2.5};

bool is_spidev_path(const std::string& s) {
    static const std::regex re(R"(^/dev/spidev\d+\.\d+$)");
    return std::regex_match(s, re);
}

void parse_spi(MapReader& r, HwSpiDevice& out, double max_speed_hz, const char* limit) {
    if (auto v = r.string("spi_device")) {
        if (!is_spidev_path(*v)) {
            r.error("spi_device", "'spi_device': expected a spidev node such as /dev/spidev0.0, found '" + *v + "'");
        } else {
            out.device = *v;
        }
    }
    if (auto v = r.quantity("spi_speed", Dimension::frequency, Need::required, Range{10e3, max_speed_hz, "", limit})) {
        out.speed_hz = static_cast<std::uint32_t>(*v);
    }
}

void parse_adc_input(MapReader& parent, const char* key, HwAdcInput& out) {
    if (auto m = parent.map(key)) {
        auto p = m->integer("positive", Need::required, 0, 8);
        auto n = m->integer("negative", Need::required, 0, 8);
        if (auto v = m->integer("pga", Need::required, 1, 64)) {
            if ((*v & (*v - 1)) != 0) {
                m->error("pga", "'pga': the ADS1256 gain is 1, 2, 4, 8, 16, 32 or 64");
            } else {
                out.pga_gain = static_cast<int>(*v);
            }
        }
        if (p && n) {
            if (*p == *n) {
                m->error("negative", "'negative' must differ from 'positive' (AIN8 = AINCOM)");
            } else {
                out.positive = static_cast<std::uint8_t>(*p);
                out.negative = static_cast<std::uint8_t>(*n);
            }
        }
        m->finish();
    }
}

}  // namespace

void parse_hw_section(MapReader& hw, HwConfig& out) {
    if (auto kind = hw.choice("depth_actuator", {"stepper", "prompt"})) {
        out.depth_actuator = *kind == "stepper" ? DepthActuatorKind::stepper : DepthActuatorKind::prompt;
    }
    const bool stepper = out.depth_actuator == DepthActuatorKind::stepper;

    if (auto g = hw.map("gpio")) {
        if (auto v = g->string("chip_label")) {
            if (v->empty()) {
                g->error("chip_label", "'chip_label' must not be empty (e.g. pinctrl-bcm2711, pinctrl-rp1)");
            }
            out.gpio_chip_label = *v;
        }
        if (auto l = g->map("lines")) {
            struct Line {
                const char* key;
                unsigned* dst;
                bool needed;
            };
            const std::array<Line, 7> lines{{{"pen_power", &out.lines.pen_power, true},
                                             {"brake", &out.lines.brake, true},
                                             {"estop", &out.lines.estop, true},
                                             {"drdy", &out.lines.drdy, true},
                                             {"step", &out.lines.step, stepper},
                                             {"dir", &out.lines.dir, stepper},
                                             {"home", &out.lines.home, stepper}}};
            std::set<long long> used;
            for (const auto& line : lines) {
                // Offsets are checked against the chip's line count by
                // `rig doctor` and at open; 0..1023 bounds typos here.
                auto v = l->integer(line.key, line.needed ? Need::required : Need::optional, 0, 1023);
                if (!v) continue;
                if (!used.insert(*v).second) {
                    l->error(line.key, std::string("'") + line.key + "': line " + std::to_string(*v) +
                                           " is already used by another signal");
                }
                *line.dst = static_cast<unsigned>(*v);
            }
            l->finish();
        }
        if (auto c = g->choice("estop_contact", {"normally_closed", "normally_open"})) {
            out.safety.estop_contact =
                *c == "normally_closed" ? EStopContact::normally_closed : EStopContact::normally_open;
        }
        g->finish();
    }

    if (auto e = hw.map("encoder")) {
        parse_spi(*e, out.encoder_spi, 8e6, "LS7366R fSCK maximum");
        e->finish();
    }

    if (auto a = hw.map("adc")) {
        // ADS1256 t1 (Timing Characteristics): SCLK period >= 4 tCLKIN, i.e.
        // fSCLK <= fCLKIN/4 = 1.92 MHz with a 7.68 MHz crystal. The limit
        // here keeps 20 % margin (crystal tolerance, SCLK duty cycle of the
        // SPI controller): 1.536 MHz.
        if (auto v = a->quantity("clock", Dimension::frequency, Need::optional, Range{1e6, 10e6, "", ""})) {
            out.adc.fclkin_hz = *v;
        }
        const double sclk_max = 0.8 * out.adc.fclkin_hz / 4.0;
        parse_spi(*a, out.adc.spi, sclk_max, "ADS1256: 0.8 x fCLKIN/4 (t1 = 4 tCLKIN, with 20 % margin)");
        if (auto v = a->quantity("data_rate", Dimension::frequency)) {
            bool known = false;
            for (double r : ads1256_rates) known = known || r == *v;
            if (!known) {
                a->error("data_rate", "'data_rate': the ADS1256 has 30000, 15000, 7500, 3750, 2000, 1000, 500, 100, "
                                      "60, 50, 30, 25, 15, 10, 5 and 2.5 Hz");
            } else {
                out.adc.data_rate_sps = *v;
            }
        }
        // Explicit: with the buffer off the input impedance at PGA 32/64 is
        // 4.7 kOhm, which loads a 350 Ohm bridge by ~7 %.
        if (auto v = a->boolean("input_buffer", Need::required)) out.adc.input_buffer = *v;
        parse_adc_input(*a, "load_cell", out.adc.load_cell);
        parse_adc_input(*a, "current", out.adc.current);
        if (auto v = a->quantity("drdy_timeout", Dimension::time, Need::optional, Range{1e-3, 1.0, "", ""})) {
            out.adc.drdy_timeout = seconds_to_ns(*v);
        }
        if (auto w = a->choice("wiring", {"one_adc", "two_adc"}, Need::optional)) {
            out.adc.wiring = *w == "one_adc" ? AdcWiring::one_adc : AdcWiring::two_adc;
        }
        if (auto v = a->choice("service", {"drdy_thread", "loop"}, Need::optional)) out.adc.drdy_thread = *v == "drdy_thread";
        if (out.adc.wiring == AdcWiring::two_adc) {
            if (auto c = a->map("current_adc")) {
                parse_spi(*c, out.adc.current_spi, sclk_max, "ADS1256: 0.8 x fCLKIN/4");
                if (auto v = c->integer("drdy", Need::required, 0, 1023)) out.lines.drdy2 = static_cast<unsigned>(*v);
                c->finish();
            }
        } else if (a->has("current_adc")) {
            a->error("current_adc", "'current_adc' needs 'wiring: two_adc'");
        }
        a->finish();
    }
    if (out.adc.spi.device == out.encoder_spi.device && !out.adc.spi.device.empty() && hw.has("adc") &&
        hw.has("encoder")) {
        hw.error("adc", "the ADC and the encoder counter cannot share one spidev node (" + out.adc.spi.device + ")");
    }

    if (auto p = hw.map("pwm")) {
        // The chip number follows probe order (it changed between Pi 5
        // kernels); the device address does not: prefer `device`.
        if (auto v = p->string("device", Need::optional)) out.pwm.device = *v;
        if (auto v = p->integer("chip", out.pwm.device.empty() ? Need::required : Need::optional, 0, 63)) {
            out.pwm.chip = static_cast<unsigned>(*v);
        }
        if (auto v = p->integer("channel", Need::required, 0, 15)) out.pwm.channel = static_cast<unsigned>(*v);
        if (auto v = p->quantity("period", Dimension::time, Need::required, Range{1e-6, 0.1, "1 MHz", "10 Hz"})) {
            out.pwm.period = seconds_to_ns(*v);
        }
        p->finish();
    }

    if (auto s = hw.map("stepper", stepper ? Need::required : Need::optional)) {
        if (!stepper) s->error("steps_per_mm", "'stepper' given but 'depth_actuator' is 'prompt'");
        if (auto v = s->integer("steps_per_mm", Need::required, 1, 1'000'000)) {
            out.stepper.steps_per_mm = static_cast<double>(*v);
        }
        if (auto v = s->quantity("max_step_rate", Dimension::frequency, Need::required, Range{1.0, 100e3, "", ""})) {
            out.stepper.max_step_rate_hz = *v;
        }
        if (auto v = s->quantity("homing_step_rate", Dimension::frequency, Need::optional, Range{1.0, 100e3, "", ""})) {
            out.stepper.homing_step_rate_hz = *v;
        }
        if (auto v = s->integer("homing_limit_steps", Need::required, 1, 100'000'000)) {
            out.stepper.homing_limit_steps = *v;
        }
        if (auto v = s->quantity("step_pulse", Dimension::time, Need::required, Range{1e-6, 1e-3, "1 us", "1 ms"})) {
            out.stepper.step_pulse = seconds_to_ns(*v);
        }
        if (auto v = s->quantity("dir_setup", Dimension::time, Need::required, Range{0.2e-6, 1e-3, "200 ns", "1 ms"})) {
            out.stepper.dir_setup = seconds_to_ns(*v);
        }
        if (out.stepper.step_pulse * 2 > std::chrono::nanoseconds(std::llround(1e9 / out.stepper.max_step_rate_hz))) {
            s->error("step_pulse", "'step_pulse' must be at most half the step period at 'max_step_rate'");
        }
        if (out.stepper.homing_step_rate_hz > out.stepper.max_step_rate_hz) {
            s->error("homing_step_rate", "'homing_step_rate' must not exceed 'max_step_rate'");
        }
        s->finish();
    }

    if (auto sf = hw.map("safety", Need::optional)) {
        if (auto v = sf->string("watchdog", Need::optional)) {
            if (v->rfind("/dev/watchdog", 0) != 0) {
                sf->error("watchdog", "'watchdog': expected a watchdog device such as /dev/watchdog, found '" + *v + "'");
            } else {
                out.safety.watchdog_device = *v;
            }
        }
        if (auto v = sf->quantity("watchdog_timeout", Dimension::time, Need::optional, Range{1.0, 60.0, "1 s", "60 s"})) {
            out.safety.watchdog_timeout = std::chrono::seconds(std::llround(*v));
        }
        if (auto v = sf->quantity("encoder_check_every", Dimension::time, Need::optional, Range{1e-3, 10.0, "1 ms", "10 s"})) {
            out.safety.encoder_check_every = seconds_to_ns(*v);
        }
        sf->finish();
    }

    if (auto rt = hw.map("realtime", Need::optional)) {
        if (auto v = rt->integer("priority", Need::optional, 1, 99)) out.realtime.priority = static_cast<int>(*v);
        if (auto v = rt->integer("cpu", Need::optional, 0, 1023)) out.realtime.cpu = static_cast<unsigned>(*v);
        if (auto v = rt->boolean("lock_memory", Need::optional)) out.realtime.lock_memory = *v;
        rt->finish();
    }
}

}  // namespace rig
