// Parsing of a fixture file's `hardware:` section (backend: hardware).
// Schema: drivers/hw/README.md; examples: fixtures/pi4-reference.yaml,
// fixtures/pi5-reference.yaml. Every problem is reported with its line and
// column; nothing here touches the hardware.
#include <array>
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
        g->finish();
    }

    if (auto e = hw.map("encoder")) {
        parse_spi(*e, out.encoder_spi, 8e6, "LS7366R fSCK maximum");
        e->finish();
    }

    if (auto a = hw.map("adc")) {
        parse_spi(*a, out.adc.spi, 1.92e6, "ADS1256: fCLKIN/4 with a 7.68 MHz clock");
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
        if (auto v = a->boolean("input_buffer", Need::optional)) out.adc.input_buffer = *v;
        parse_adc_input(*a, "load_cell", out.adc.load_cell);
        parse_adc_input(*a, "current", out.adc.current);
        if (auto v = a->quantity("drdy_timeout", Dimension::time, Need::optional, Range{1e-3, 1.0, "", ""})) {
            out.adc.drdy_timeout = seconds_to_ns(*v);
        }
        a->finish();
    }
    if (out.adc.spi.device == out.encoder_spi.device && !out.adc.spi.device.empty() && hw.has("adc") &&
        hw.has("encoder")) {
        hw.error("adc", "the ADC and the encoder counter cannot share one spidev node (" + out.adc.spi.device + ")");
    }

    if (auto p = hw.map("pwm")) {
        if (auto v = p->integer("chip", Need::required, 0, 63)) out.pwm.chip = static_cast<unsigned>(*v);
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
        if (out.stepper.homing_step_rate_hz > out.stepper.max_step_rate_hz) {
            s->error("homing_step_rate", "'homing_step_rate' must not exceed 'max_step_rate'");
        }
        s->finish();
    }

    if (auto rt = hw.map("realtime", Need::optional)) {
        if (auto v = rt->integer("priority", Need::optional, 1, 99)) out.realtime.priority = static_cast<int>(*v);
        if (auto v = rt->integer("cpu", Need::optional, 0, 1023)) out.realtime.cpu = static_cast<unsigned>(*v);
        if (auto v = rt->boolean("lock_memory", Need::optional)) out.realtime.lock_memory = *v;
        rt->finish();
    }
}

}  // namespace rig
