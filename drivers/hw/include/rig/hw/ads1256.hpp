#pragma once
// ADS1256 24-bit delta-sigma ADC (TI) on SPI with DRDY on a GPIO input, and
// the load-cell and current-sense channels read through it.
//
// Protocol (datasheet SBAS288, "Command definitions"): single-byte commands,
// registers STATUS 0x00, MUX 0x01, ADCON 0x02, DRATE 0x03, IO 0x04, OFC0..2
// 0x05..0x07, FSC0..2 0x08..0x0A; RREG/WREG take the register in the low
// nibble and "count - 1" in a second byte. SPI mode 1; SCLK period >= 4 tCLKIN
// (t1), so fSCLK <= 1.92 MHz with a 7.68 MHz crystal: the fixture keeps 20 %
// below that. After RDATA and RREG the host waits t6 = 50 tCLKIN (6.5 µs)
// before clocking data out; after SYNC, t11 = 24 tCLKIN (3.1 µs) before
// WAKEUP. Data are 24-bit two's complement, MSB first.
//
// Calibration (p.24): OFC/FSC hold one PGA's self-calibration and the output
// goes through them; "calibration ... should be performed when the buffer
// configuration or PGA changes". Each input's gain is self-calibrated once at
// set-up and its OFC/FSC written back with every switch to that input.
//
// Ownership: borrows the SpiDevice, the DRDY input and the clock (the fixture
// owns them and outlives this). Thread-safety: one thread at a time.

#include <array>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <span>
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
constexpr std::uint8_t reg_io = 0x04;
constexpr std::uint8_t reg_ofc0 = 0x05;  // OFC0..2, then FSC0..2 (LSB first)

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
/// Table 13: settling time t18 after SYNC/WAKEUP (single-cycle settling), by
/// data rate; 0 for a rate the chip does not have.
std::chrono::nanoseconds settling_time(double samples_per_s) noexcept;
/// Table 14: multiplexer cycling throughput (all inputs together), Hz.
double cycling_throughput_hz(double samples_per_s) noexcept;

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

    /// Register bytes (count 1..11 starting at `first`), for checks. Throws.
    void read_registers(std::uint8_t first, std::span<std::uint8_t> out);

    /// OFC0..2 and FSC0..2 of a self-calibration at PGA code `pga` (ADCON
    /// bits 2:0): writes ADCON, SELFCAL, waits DRDY, reads them back. Throws.
    std::array<std::uint8_t, 6> self_calibrate(std::uint8_t pga);

    /// As cycle(), and with the next input's OFC/FSC (its own gain's
    /// self-calibration) written in the same WREG: MUX ADCON DRATE IO OFC FSC.
    std::optional<std::int32_t> cycle(std::uint8_t next_mux, std::uint8_t next_pga,
                                      const std::array<std::uint8_t, 6>& next_cal) noexcept;

    [[nodiscard]] const Ads1256Settings& settings() const noexcept { return settings_; }
    [[nodiscard]] SpiDevice& spi() noexcept { return *spi_; }

private:
    void wait_drdy(const char* after);
    SpiDevice* spi_;
    GpioInput* drdy_;
    Clock* clock_;
    Ads1256Settings settings_;
    std::uint8_t drate_;
    std::uint8_t adcon_;
    std::uint8_t status_;
    std::uint8_t io_ = 0xE0;  // reset value: D0..D3 inputs (not used)
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

/// Timing of the newest value a read returned (see Ads1256Channels).
struct AdcTiming {
    Nanos represents{0};   // the instant the conversion stands for (clock time)
    Nanos age{0};          // read time - represents
    bool fresh = false;    // a conversion not returned by an earlier read
    bool clipped = false;  // the conversion is a full-scale code (no value; ReadingTiming::clipped)
};

/// The newest conversion of one input, published by the ADC service thread
/// and read by the loop: a sequence lock over atomics (no lock, no torn
/// values, no allocation; the reader retries while a write is under way).
class PublishedConversion {
public:
    struct Value {
        std::int32_t code = 0;
        Nanos represents{0};
        std::uint64_t count = 0;
    };
    void publish(const Value& v) noexcept {
        const auto s = seq_.load(std::memory_order_relaxed);
        seq_.store(s + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        code_.store(v.code, std::memory_order_relaxed);
        at_.store(v.represents.count(), std::memory_order_relaxed);
        count_.store(v.count, std::memory_order_relaxed);
        seq_.store(s + 2, std::memory_order_release);
    }
    [[nodiscard]] Value read() const noexcept {
        for (;;) {
            const auto s1 = seq_.load(std::memory_order_acquire);
            Value v{code_.load(std::memory_order_relaxed), Nanos(at_.load(std::memory_order_relaxed)),
                    count_.load(std::memory_order_relaxed)};
            std::atomic_thread_fence(std::memory_order_acquire);
            if ((s1 & 1u) == 0 && seq_.load(std::memory_order_relaxed) == s1) return v;
        }
    }

private:
    std::atomic<std::uint32_t> seq_{0};
    std::atomic<std::int32_t> code_{0};
    std::atomic<std::int64_t> at_{0};
    std::atomic<std::uint64_t> count_{0};
};

/// Force (input 0) and current (input 1) from one or two ADCs.
class AdcSource {
public:
    virtual ~AdcSource() = default;
    virtual std::optional<double> read(std::size_t input) noexcept = 0;
    [[nodiscard]] virtual ReadingTiming timing(std::size_t input) const noexcept = 0;
};

/// The fixture parts over an AdcSource.
class AdcLoadCell final : public LoadCell {
public:
    explicit AdcLoadCell(AdcSource& s) : s_(&s) {}
    std::optional<double> read_n() noexcept override { return s_->read(0); }
    [[nodiscard]] ReadingTiming last_timing() const noexcept override { return s_->timing(0); }

private:
    AdcSource* s_;
};
class AdcCurrentSense final : public CurrentSense {
public:
    explicit AdcCurrentSense(AdcSource& s) : s_(&s) {}
    std::optional<double> read_a() noexcept override { return s_->read(1); }
    [[nodiscard]] ReadingTiming last_timing() const noexcept override { return s_->timing(1); }

private:
    AdcSource* s_;
};

/// Alternates the ADS1256 between the load-cell and current inputs, one
/// conversion each in turn, and serves both as fixture parts. Each read polls
/// DRDY without blocking; when a conversion is ready it is collected and the
/// other input started (datasheet p.21: WREG MUX, SYNC, WAKEUP, RDATA).
///
/// Timing, honestly: each conversion is stamped with its DRDY falling edge
/// (the GPIO event's kernel timestamp; the read time when the line has none)
/// and stands for the instant half a settling time before it (the filter is
/// linear-phase: its group delay is half its settling time t18). A read
/// returns the latest conversion of its input with last_timing(): its age,
/// and whether it is fresh or a held value already returned before. Each
/// input updates at most at half the Table 14 throughput (2187 Hz at 30 kSPS)
/// and, polled from a loop, only on loop ticks. A value older than the DRDY
/// timeout, saturated (full scale: clipped, not a force), or never converted
/// reads as std::nullopt.
///
/// Calibration: each input's gain is self-calibrated at construction and its
/// OFC/FSC restored with every switch (when the two gains differ).
class Ads1256Channels final : public AdcSource {
public:
    Ads1256Channels(Ads1256& adc, GpioInput& drdy, AdcChannel force, AdcChannel current, Clock& clock);

    std::optional<double> read(std::size_t input) noexcept override;
    [[nodiscard]] ReadingTiming timing(std::size_t input) const noexcept override { return timing_of(input); }
    std::optional<double> read_n() noexcept { return read(0); }
    std::optional<double> read_a() noexcept { return read(1); }

    /// Collects a finished conversion if DRDY says one is ready (and starts
    /// the other input). Loop-polled mode: read() calls it.
    void poll() noexcept;

    /// Service mode: a thread blocks on DRDY's edge events and cycles the mux
    /// at each DRDY (the datasheet's cycling, p.21), publishing each
    /// conversion; read() then only takes the newest published value (no SPI
    /// in the loop's tick). `priority`: SCHED_FIFO for the thread when
    /// permitted. Returns a note when the priority could not be applied.
    std::string start_service(std::optional<int> priority);
    /// One service step (what the thread does after each DRDY edge); tests
    /// call it directly on a test clock after enable_service_mode().
    void service_once() noexcept;
    /// read() takes published values only (start_service() does this first).
    void enable_service_mode() noexcept { serviced_ = true; }
    ~Ads1256Channels() override;
    Ads1256Channels(const Ads1256Channels&) = delete;
    Ads1256Channels& operator=(const Ads1256Channels&) = delete;
    [[nodiscard]] std::uint64_t conversions(std::size_t channel) const noexcept { return slots_.at(channel).count; }
    [[nodiscard]] const AdcTiming& adc_timing(std::size_t channel) const noexcept { return slots_.at(channel).timing; }
    [[nodiscard]] const std::array<std::uint8_t, 6>& calibration(std::size_t channel) const noexcept {
        return slots_.at(channel).cal;
    }

private:
    struct Slot {
        AdcChannel ch;
        std::uint8_t pga = 0;  // ADCON code
        std::array<std::uint8_t, 6> cal{};
        std::int32_t code = 0;
        Nanos represents{0};
        std::uint64_t count = 0;
        std::uint64_t returned = 0;  // count at the last read
        AdcTiming timing;
    };
    std::optional<double> value(std::size_t i) noexcept;
    [[nodiscard]] ReadingTiming timing_of(std::size_t i) const noexcept;
    Ads1256* adc_;
    GpioInput* drdy_;
    Clock* clock_;
    std::array<Slot, 2> slots_{};
    std::size_t converting_ = 0;  // slot whose input the chip is converting now
    bool same_gain_ = false;
    Nanos half_settle_{0};
    bool serviced_ = false;
    std::array<PublishedConversion, 2> published_;
    std::jthread service_;
};

/// One ADS1256 per input (adc wiring two_adc): no mux switching, the chip
/// converts its input continuously at the data rate; each read collects the
/// newest conversion (RDATA) when DRDY is low.
class Ads1256Single final {
public:
    /// Self-calibrates at the channel's gain and starts continuous conversion.
    Ads1256Single(Ads1256& adc, GpioInput& drdy, AdcChannel ch, Clock& clock);
    std::optional<double> read() noexcept;
    [[nodiscard]] ReadingTiming timing() const noexcept;
    [[nodiscard]] std::uint64_t conversions() const noexcept { return count_; }

private:
    Ads1256* adc_;
    GpioInput* drdy_;
    Clock* clock_;
    AdcChannel ch_;
    std::int32_t code_ = 0;
    Nanos represents_{0};
    std::uint64_t count_ = 0, returned_ = 0;
    AdcTiming timing_;
    Nanos half_settle_{0};
};

/// Two Ads1256Single as one AdcSource (force = input 0, current = input 1).
class TwoAdcSource final : public AdcSource {
public:
    TwoAdcSource(Ads1256Single& force, Ads1256Single& current) : f_(&force), c_(&current) {}
    std::optional<double> read(std::size_t input) noexcept override { return input == 0 ? f_->read() : c_->read(); }
    [[nodiscard]] ReadingTiming timing(std::size_t input) const noexcept override {
        return input == 0 ? f_->timing() : c_->timing();
    }

private:
    Ads1256Single* f_;
    Ads1256Single* c_;
};

}  // namespace rig::hw
