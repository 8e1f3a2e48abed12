#pragma once
// An ADS1256 written from the TI datasheet (SBAS288K, June 2003 - revised
// September 2013), independent of the driver: every constant below is the
// datasheet's, with its section beside it, and none is taken from
// rig/hw/ads1256.hpp.
//
// It speaks the SPI command protocol (RESET, SDATAC, RREG, WREG, SELFCAL,
// SYNC, WAKEUP, RDATA), keeps the register map (STATUS, MUX, ADCON, DRATE, IO,
// OFC0..2, FSC0..2) and drives DRDY in time: a conversion started by
// SYNC + WAKEUP completes after the settling time of Table 13, then the chip
// keeps converting at the data rate; calibration takes time and sets OFC/FSC
// for the PGA in use; the output goes through OFC/FSC (p.24, Equation 3).
// Time comes from the test's Clock; with `advance` set, every transfer moves
// that FakeClock by its duration on the wire (8 SCLK per byte + the pauses).
//
// Rules the host must keep are counted as violations (t6, t11, t1 SCLK
// period, chip select released mid-command).
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fake_clock.hpp"
#include "rig/core/clock.hpp"
#include "rig/hw/gpio.hpp"
#include "rig/hw/spi.hpp"

namespace rig::test {

/// Datasheet facts, in the emulator's own words.
namespace ads1256_ds {
constexpr double fclkin_nominal_hz = 7.68e6;  // p.1 / Table 13 note: "fCLKIN = 7.68MHz"
// Timing Characteristics (p.6): t1 SCLK period >= 4 tCLKIN; t6 (RDATA, RREG ->
// first DOUT SCLK) >= 50 tCLKIN; t11 (end of command -> next command) >= 4
// tCLKIN after RREG/WREG/RDATA, >= 24 tCLKIN after SYNC, RESET, RDATAC.
constexpr double t1_min_tclkin = 4;
constexpr double t6_min_tclkin = 50;
constexpr double t11_min_tclkin = 4;
constexpr double t11_sync_min_tclkin = 24;
/// Table 13: settling time t18 (ms) after SYNC/WAKEUP or a mux change, by rate.
double settling_ms(double sps);
/// DRATE register code (Table 12 / register map p.31) -> samples/s; 0 if unknown.
double rate_of_code(std::uint8_t code);
/// Table 14: multiplexer cycling throughput 1/t19 (Hz), fSCLK = fCLKIN/4.
double cycling_hz(double sps);
// Electrical Characteristics (p.3): differential input impedance, buffer off:
// 150 kOhm / PGA for PGA 1..16, 4.7 kOhm for PGA 32, 64; buffer on: 80 MOhm.
double input_impedance_ohm(int pga, bool buffer);
// p.24 Equation 3: Output = (PGA.VIN/(2VREF) - OFC/alpha) . FSC . beta, with
// alpha = 400000h and, from Table 18, beta . (ideal FSC 44AC08h) = 2^23 to
// 18 ppm at 30 kSPS: FSC/44AC08h is the gain correction, 1 when ideal.
constexpr double alpha = 0x400000;
constexpr std::uint32_t fsc_ideal = 0x44AC08;
}  // namespace ads1256_ds

class Ads1256Emulator final : public hw::SpiDevice {
public:
    explicit Ads1256Emulator(const Clock& clock, std::string name = "emulated ADS1256");
    using hw::SpiDevice::transfer;
    std::error_code transfer(std::span<const hw::SpiSegment> segments) noexcept override;
    [[nodiscard]] const std::string& name() const noexcept override { return name_; }

    /// DRDY as a GPIO input (active-low), low from a conversion's completion
    /// until its data are read or the next conversion starts. Edge events
    /// (falling) carry the completion time.
    hw::GpioInput& drdy() { return drdy_; }

    /// Clock this chip runs on (a crystal within its tolerance).
    double fclkin_hz = ads1256_ds::fclkin_nominal_hz;
    /// The SCLK the host drives (the spidev speed); checked against t1.
    double sclk_hz = 1.5e6;
    /// Moves this clock by each transfer's wire time (realistic transfer times).
    FakeClock* advance = nullptr;

    /// Input voltages AIN0..AIN7 and AINCOM (index 8), volts, as functions of
    /// time (ns on the test clock). Constant inputs: set ain_v instead.
    std::array<double, 9> ain_v{};
    std::function<double(std::size_t ain, Nanos t)> ain_at;
    /// Differential source impedance of an input pair (bridge: ~350 Ohm).
    std::array<double, 9> source_ohm{};
    double vref_v = 2.5;
    /// The chip's own analog errors per PGA code (0..6), which self-calibration
    /// measures into OFC/FSC: input-referred offset (V) and gain error (ratio).
    std::array<double, 7> offset_v{};
    std::array<double, 7> gain_error{};

    // --- what the test can inspect --------------------------------------
    [[nodiscard]] std::uint8_t reg(std::size_t i) const { return regs_[i]; }
    [[nodiscard]] bool drdy_low() const;
    [[nodiscard]] const std::vector<std::uint8_t>& commands() const { return commands_; }
    [[nodiscard]] const std::vector<std::string>& violations() const { return violations_; }
    [[nodiscard]] int conversions_started() const { return started_; }
    [[nodiscard]] int self_calibrations() const { return selfcals_; }
    /// Every completed conversion: its input, DRDY time, the instant it
    /// represents (DRDY - t18/2: the filter is linear-phase, its group delay
    /// half its settling), the PGA, and the code.
    struct Conversion {
        std::uint8_t mux;
        int pga;
        Nanos drdy_at;
        Nanos represents;
        std::int32_t code;
    };
    [[nodiscard]] const std::vector<Conversion>& conversions() const { return done_; }
    /// MUX of each conversion as it completed, in order.
    [[nodiscard]] std::vector<std::uint8_t> converted_mux() const;
    /// The ideal code for `mux` at PGA `pga` at time t (no chip error): what a
    /// perfectly calibrated chip gives.
    [[nodiscard]] std::int32_t ideal_code(std::uint8_t mux, int pga, Nanos t) const;

    void fail_next(std::error_code ec) { fail_ = ec; }
    void short_next() { short_ = true; }
    bool absent = false;  // MISO floats low, commands ignored
    /// DRDY never falls (chip unclocked).
    bool stuck = false;

private:
    class Drdy final : public hw::GpioInput {
    public:
        explicit Drdy(Ads1256Emulator& e) : e_(&e) {}
        std::optional<bool> value() noexcept override;
        int take_edges() noexcept override;
        std::optional<Nanos> last_edge_time() noexcept override;

    private:
        Ads1256Emulator* e_;
        std::size_t seen_ = 0;
    };
    void update(Nanos t);  // completes whatever finished by t
    void start_conversion(Nanos t);
    void start_calibration(Nanos t, bool after_reset);
    void reset_registers();
    [[nodiscard]] double tclkin_ns() const { return 1e9 / fclkin_hz; }
    [[nodiscard]] double rate() const;
    [[nodiscard]] double differential_v(std::uint8_t mux, Nanos t) const;
    [[nodiscard]] std::int32_t output_code(std::uint8_t mux, int pga_code, Nanos t) const;
    void violation(std::string what) { violations_.push_back(std::move(what)); }

    const Clock* clock_;
    std::string name_;
    Drdy drdy_{*this};
    std::array<std::uint8_t, 11> regs_{};
    // Conversion state.
    enum class Busy { idle, converting, calibrating };
    Busy busy_ = Busy::idle;
    Nanos ready_at_{0};          // when the running conversion / calibration ends
    bool continuous_ = false;    // converting continuously after the first result
    std::uint8_t conv_mux_ = 0x01;
    std::uint8_t conv_adcon_ = 0x20;
    bool mux_changed_ = false;   // MUX written without a SYNC since the conversion began
    bool data_ready_ = false;    // DRDY low
    std::int32_t data_ = 0;
    std::int32_t latched_ = 0;  // output shift register (loaded by RDATA)
    bool synced_ = false;
    int started_ = 0;
    int selfcals_ = 0;
    std::vector<std::uint8_t> commands_;
    std::vector<std::string> violations_;
    std::vector<Conversion> done_;
    std::error_code fail_;
    bool short_ = false;
};

}  // namespace rig::test
