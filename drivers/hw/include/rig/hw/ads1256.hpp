#pragma once
// ADS1256 24-bit delta-sigma ADC (TI) on SPI with DRDY on a GPIO input, and
// the load-cell and current-sense channels read through it.
//
// Protocol (datasheet SBAS288, "Command definitions"): single-byte commands,
// registers STATUS 0x00, MUX 0x01, ADCON 0x02, DRATE 0x03; RREG/WREG take the
// register in the low nibble and "count - 1" in a second byte. SPI mode 1;
// SCLK <= fCLKIN / 4 (1.92 MHz with the usual 7.68 MHz crystal). After RDATA
// and RREG the host waits t6 = 50 tCLKIN (6.5 µs) before clocking data out;
// after SYNC, t11 = 24 tCLKIN (3.1 µs) before WAKEUP. Data are 24-bit two's
// complement, MSB first.
//
// Ownership: borrows the SpiDevice, the DRDY input and the clock (the fixture
// owns them and outlives this). Thread-safety: one thread at a time.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "rig/core/clock.hpp"
#include "rig/drivers/parts.hpp"
#include "rig/hw/gpio.hpp"
#include "rig/hw/spi.hpp"

namespace rig::hw::ads1256 {

// Commands.
constexpr std::uint8_t wakeup = 0x00;
constexpr std::uint8_t rdata = 0x01;
constexpr std::uint8_t rdatac = 0x03;
constexpr std::uint8_t sdatac = 0x0F;
constexpr std::uint8_t rreg = 0x10;  // | register
constexpr std::uint8_t wreg = 0x50;  // | register
constexpr std::uint8_t selfcal = 0xF0;
constexpr std::uint8_t sync = 0xFC;
constexpr std::uint8_t standby = 0xFD;
constexpr std::uint8_t reset = 0xFE;
// Registers.
constexpr std::uint8_t reg_status = 0x00;
constexpr std::uint8_t reg_mux = 0x01;
constexpr std::uint8_t reg_adcon = 0x02;
constexpr std::uint8_t reg_drate = 0x03;

constexpr std::uint8_t status_order_msb_first = 0x00;
constexpr std::uint8_t status_acal = 0x04;   // auto-calibrate on PGA/DRATE/BUFEN change (kept off:
                                             // the gain changes with every input switch)
constexpr std::uint8_t status_bufen = 0x02;  // analog input buffer
constexpr std::uint8_t ain_com = 8;          // AINCOM as a mux input

/// MUX byte for a differential input AIN<p> - AIN<n> (8 = AINCOM).
constexpr std::uint8_t mux_byte(std::uint8_t positive, std::uint8_t negative) {
    return static_cast<std::uint8_t>((positive << 4) | (negative & 0x0F));
}
/// DRATE register code for a data rate in samples/s (the datasheet's 16
/// rates, 2.5 .. 30000); std::nullopt for any other rate.
std::optional<std::uint8_t> drate_code(double samples_per_s) noexcept;
/// ADCON PGA bits for a gain of 1, 2, 4 ... 64; std::nullopt otherwise.
std::optional<std::uint8_t> pga_code(int gain) noexcept;
/// 24-bit two's complement (in the low 24 bits) to a signed value.
constexpr std::int32_t sign_extend_24(std::uint32_t raw) {
    raw &= 0x00FF'FFFFu;
    return (raw & 0x0080'0000u) != 0 ? static_cast<std::int32_t>(raw) - 0x0100'0000 : static_cast<std::int32_t>(raw);
}
constexpr std::int32_t code_max = 0x7F'FFFF;
constexpr std::int32_t code_min = -0x80'0000;

constexpr std::chrono::microseconds t6_delay{7};   // 50 tCLKIN at 7.68 MHz, rounded up
constexpr std::chrono::microseconds t11_sync{4};   // 24 tCLKIN, rounded up
constexpr std::chrono::microseconds t11_short{1};  // 4 tCLKIN, rounded up

}  // namespace rig::hw::ads1256

namespace rig::hw {

struct Ads1256Settings {
    double data_rate_sps = 30000.0;
    int pga_gain = 1;  // during self-calibration (the load cell's gain)
    bool input_buffer = false;
    /// Longest wait for DRDY during setup (reset, self-calibration); in the
    /// loop, a channel whose last conversion is older than this reads as a
    /// failure.
    std::chrono::nanoseconds drdy_timeout{std::chrono::milliseconds(50)};
};

class Ads1256 {
public:
    /// Validates the settings (std::invalid_argument for a rate or gain the
    /// chip does not have). Talks to nothing yet.
    Ads1256(SpiDevice& spi, GpioInput& drdy, Clock& clock, const Ads1256Settings& settings);

    /// RESET, wait DRDY, SDATAC, WREG STATUS..DRATE, read back, SELFCAL, wait
    /// DRDY. Throws std::system_error (transfer), std::runtime_error (DRDY
    /// timeout or read-back mismatch: chip absent or miswired), each naming
    /// the device.
    void configure();

    /// Selects `mux` with PGA code `pga` (ADCON bits 2:0), SYNC, WAKEUP:
    /// starts a conversion of that input. Throws std::system_error.
    void start(std::uint8_t mux, std::uint8_t pga);

    /// True when DRDY is low (a conversion is ready); false also on a read
    /// error of the DRDY line.
    [[nodiscard]] bool ready() noexcept;

    /// Pipelined read (datasheet "cycling through the multiplexer"): with DRDY
    /// low, writes MUX and ADCON (`next_mux`, PGA code `next_pga`), SYNC,
    /// WAKEUP, RDATA. Returns the conversion that just finished (of the
    /// previously selected input) while the chip converts `next_mux`.
    /// std::nullopt on a transfer error. Never throws.
    std::optional<std::int32_t> cycle(std::uint8_t next_mux, std::uint8_t next_pga) noexcept;

    /// Register bytes (count 1..4 starting at `first`), for checks. Throws.
    void read_registers(std::uint8_t first, std::span<std::uint8_t> out);

    [[nodiscard]] const Ads1256Settings& settings() const noexcept { return settings_; }

private:
    void wait_drdy(const char* after);
    SpiDevice* spi_;
    GpioInput* drdy_;
    Clock* clock_;
    Ads1256Settings settings_;
    std::uint8_t drate_;
    std::uint8_t adcon_;
    std::uint8_t status_;
};

/// Calibrated conversion of one ADC input: value = code x scale + offset.
/// Each input has its own PGA gain (a bridge needs 64, a shunt amplifier 1);
/// the fixture's calibration record covers the input end to end at that gain.
struct AdcChannel {
    std::uint8_t mux = 0;
    int pga_gain = 1;
    double scale_per_count = 1.0;  // SI unit per count (N or A)
    double offset = 0.0;           // SI unit
};

/// Alternates the ADS1256 between the load-cell and current inputs, one
/// conversion each in turn, and serves both as fixture parts. Each read polls
/// DRDY without blocking; when a conversion is ready it is collected and the
/// other input started. A read returns the latest conversion of its input,
/// or std::nullopt if that is older than the DRDY timeout, saturated (full
/// scale: clipped, not a force), or never arrived.
///
/// With mux switching every conversion includes the digital filter's settling
/// (0.21 ms at 30 kSPS), so each input updates at about 2.4 kHz; the loop's
/// samples between two updates repeat the last value with its age bounded.
class Ads1256Channels final : public LoadCell, public CurrentSense {
public:
    Ads1256Channels(Ads1256& adc, AdcChannel force, AdcChannel current, Clock& clock);

    std::optional<double> read_n() noexcept override;
    std::optional<double> read_a() noexcept override;

    /// Collects a finished conversion if DRDY says one is ready.
    void poll() noexcept;
    [[nodiscard]] std::uint64_t conversions(std::size_t channel) const noexcept { return slots_.at(channel).count; }

private:
    struct Slot {
        AdcChannel ch;
        std::uint8_t pga = 0;  // ADCON code
        std::int32_t code = 0;
        Nanos at{0};
        std::uint64_t count = 0;
    };
    std::optional<double> value(std::size_t i) noexcept;
    Ads1256* adc_;
    Clock* clock_;
    std::array<Slot, 2> slots_{};
    std::size_t converting_ = 0;  // slot whose input the chip is converting now
};

}  // namespace rig::hw
