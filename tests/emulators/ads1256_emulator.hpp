#pragma once
// An ADS1256 that speaks its SPI command protocol (RESET, SDATAC, RREG, WREG,
// SELFCAL, SYNC, WAKEUP, RDATA) with its registers (STATUS, MUX, ADCON,
// DRATE, ...) and a DRDY output the driver reads as a GPIO input. The MUX
// selects which of the test's input voltages is converted; codes follow the
// datasheet transfer function (full scale +-2 VREF / PGA, 24-bit two's
// complement). Timing rules the driver must keep (t6 after RDATA/RREG, t11
// after SYNC, chip select held) are checked and counted as violations.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "rig/hw/gpio.hpp"
#include "rig/hw/spi.hpp"

namespace rig::test {

class Ads1256Emulator final : public hw::SpiDevice {
public:
    explicit Ads1256Emulator(std::string name = "emulated ADS1256");
    using hw::SpiDevice::transfer;
    std::error_code transfer(std::span<const hw::SpiSegment> segments) noexcept override;
    [[nodiscard]] const std::string& name() const noexcept override { return name_; }

    /// DRDY as a GPIO input (active-low). With auto_complete, a pending
    /// conversion completes when DRDY is read (an instantly fast chip);
    /// without, only complete() finishes it (DRDY stuck high until then).
    hw::GpioInput& drdy() { return drdy_; }
    bool auto_complete = true;
    void complete();

    /// Input voltages AIN0..AIN7 and AINCOM (index 8), volts.
    std::array<double, 9> ain_v{};
    double vref_v = 2.5;
    /// The code the chip produces for `mux` at the PGA of the conversion
    /// being made (set when it started).
    [[nodiscard]] std::int32_t code_for(std::uint8_t mux) const;

    [[nodiscard]] std::uint8_t reg(std::size_t i) const { return regs_[i]; }
    [[nodiscard]] bool drdy_low() const { return drdy_low_; }
    [[nodiscard]] const std::vector<std::uint8_t>& commands() const { return commands_; }
    [[nodiscard]] const std::vector<std::string>& violations() const { return violations_; }
    [[nodiscard]] int conversions_started() const { return started_; }
    [[nodiscard]] int self_calibrations() const { return selfcals_; }
    /// MUX of each conversion as it completed, in order.
    [[nodiscard]] const std::vector<std::uint8_t>& converted_mux() const { return converted_mux_; }

    void fail_next(std::error_code ec) { fail_ = ec; }
    void short_next() { short_ = true; }
    bool absent = false;  // MISO floats low, commands ignored

private:
    class Drdy final : public hw::GpioInput {
    public:
        explicit Drdy(Ads1256Emulator& e) : e_(&e) {}
        std::optional<bool> value() noexcept override;
        int take_edges() noexcept override { return 0; }

    private:
        Ads1256Emulator* e_;
    };
    void reset_registers();
    void start_conversion();
    void violation(std::string what) { violations_.push_back(std::move(what)); }

    std::string name_;
    Drdy drdy_{*this};
    std::array<std::uint8_t, 11> regs_{};
    bool drdy_low_ = false;
    bool pending_ = false;
    std::uint8_t pending_mux_ = 0x01;
    std::uint8_t pending_adcon_ = 0x20;
    std::int32_t data_ = 0;
    bool synced_ = false;
    bool rdatac_ = false;
    int started_ = 0;
    int selfcals_ = 0;
    std::vector<std::uint8_t> commands_;
    std::vector<std::string> violations_;
    std::vector<std::uint8_t> converted_mux_;
    std::error_code fail_;
    bool short_ = false;
};

}  // namespace rig::test
