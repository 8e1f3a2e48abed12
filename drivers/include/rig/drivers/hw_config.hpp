#pragma once
// The `hardware:` section of a fixture file (backend: hardware): which GPIO
// chip and lines, which spidev nodes, which PWM channel, how the depth dial is
// turned and how the acquisition thread runs. Parsed by parse_hw_section()
// (drivers/src/hw_section.cpp); used by drivers/hw and `rig doctor`.
// Reference wiring: drivers/hw/README.md, fixtures/pi4-reference.yaml.
//
// Plain data; quantities carry their unit in the member name or type.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace rig {

/// GPIO line offsets on the chip named by `chip_label` (offsets, not
/// header pin numbers: on both Pi 4 and Pi 5 the offset is the BCM GPIO number).
struct HwGpioLines {
    unsigned pen_power = 17;  // output, active-high, pull-down on the board
    unsigned brake = 27;      // output, active-high (solenoid driver)
    unsigned step = 22;       // output, stepper driver STEP
    unsigned dir = 23;        // output, stepper driver DIR (low = toward home)
    unsigned home = 24;       // input, home switch to ground (pull-up)
    unsigned estop = 25;      // input, E-stop contact to ground (pull-up), see EStopContact
    unsigned drdy = 6;        // input, ADS1256 DRDY, active-low
    unsigned drdy2 = 6;       // input, second ADS1256's DRDY (adc wiring: two_adc)
};

/// How the E-stop contact is wired between its GPIO input (internal pull-up)
/// and ground. normally_closed: the closed contact holds the input low; a
/// press, a cut cable or a lost connector opens it and the pull-up reads high
/// = stop (fail-safe). normally_open: pressing closes to ground (low = stop);
/// a cut cable reads "not pressed", so `rig doctor` fails it.
enum class EStopContact { normally_closed, normally_open };

struct HwSpiDevice {
    std::string device;           // "/dev/spidev0.0"
    std::uint32_t speed_hz = 0;   // SCLK
};

/// One ADC input: AIN<positive> - AIN<negative> (8 = AINCOM).
struct HwAdcInput {
    std::uint8_t positive = 0;
    std::uint8_t negative = 1;
    int pga_gain = 1;  // 1, 2, 4 ... 64
};

/// one_adc: one ADS1256 cycles its mux between load cell and current (each
/// input updates at half the Table 14 throughput: 2187 Hz at 30 kSPS).
/// two_adc: one ADS1256 per input, no mux switching (each converts
/// continuously at the data rate: 30 kHz at 30 kSPS).
enum class AdcWiring { one_adc, two_adc };

struct HwAdcConfig {
    HwSpiDevice spi{"/dev/spidev0.0", 1'500'000};
    double data_rate_sps = 30000.0;  // one of the ADS1256 DRATE values
    double fclkin_hz = 7.68e6;       // the ADC's crystal; SCLK must stay below fCLKIN/4 with margin
    bool input_buffer = true;        // required in the file: buffer off loads a bridge at PGA 32/64 (4.7 kOhm)
    HwAdcInput load_cell{0, 1, 64};  // bridge: mV-level signal
    HwAdcInput current{2, 8, 1};     // shunt amplifier output vs AINCOM
    std::chrono::nanoseconds drdy_timeout{std::chrono::milliseconds(10)};
    AdcWiring wiring = AdcWiring::one_adc;
    /// one_adc: cycle the mux from a thread woken by DRDY (true) or from the
    /// loop's reads (false: fewer conversions, SPI work inside the tick).
    bool drdy_thread = true;
    HwSpiDevice current_spi{"/dev/spidev1.0", 1'500'000};  // two_adc: the current input's ADS1256
};

struct HwPwmConfig {
    std::string device;      // platform device of the PWM block ("fe20c000.pwm"): resolves the chip
    unsigned chip = 0;       // /sys/class/pwm/pwmchip<chip> when no device is given
    unsigned channel = 0;    // .../pwm<channel>
    std::chrono::nanoseconds period{50'000};  // 20 kHz
};

enum class DepthActuatorKind { stepper, prompt };

struct HwStepperConfig {
    double steps_per_mm = 1600.0;        // dial steps per mm of depth
    double max_step_rate_hz = 2000.0;
    double homing_step_rate_hz = 500.0;
    std::int64_t homing_limit_steps = 6000;
    std::chrono::nanoseconds step_pulse{std::chrono::microseconds(5)};  // STEP high time (driver minimum 1-5 us)
    std::chrono::nanoseconds dir_setup{std::chrono::microseconds(5)};   // DIR stable before the STEP edge
};

/// Safety settings of a hardware fixture.
struct HwSafetyConfig {
    EStopContact estop_contact = EStopContact::normally_closed;
    std::optional<std::string> watchdog_device;   // "/dev/watchdog": fed by the loop's heartbeat
    std::chrono::seconds watchdog_timeout{1};
    std::chrono::nanoseconds encoder_check_every{std::chrono::milliseconds(100)};  // LS7366R MDR0/MDR1/STR re-read
};

/// The acquisition thread's real-time settings (applied by the runner).
struct HwRealtimeConfig {
    std::optional<int> priority;     // SCHED_FIFO 1..99; none = normal scheduling
    std::optional<unsigned> cpu;     // pin to this CPU; none = no pinning
    bool lock_memory = true;         // mlockall(MCL_CURRENT) before the loop starts (rig/hw/realtime.hpp)
};

struct HwConfig {
    std::string gpio_chip_label;  // "pinctrl-bcm2711" (Pi 4), "pinctrl-rp1" (Pi 5)
    HwGpioLines lines;
    HwSpiDevice encoder_spi{"/dev/spidev0.1", 2'000'000};  // LS7366R
    HwAdcConfig adc;                                       // ADS1256
    HwPwmConfig pwm;
    DepthActuatorKind depth_actuator = DepthActuatorKind::stepper;
    HwStepperConfig stepper;
    HwRealtimeConfig realtime;
    HwSafetyConfig safety;
};

}  // namespace rig
