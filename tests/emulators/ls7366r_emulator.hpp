#pragma once
// An LS7366R quadrature counter that speaks its SPI instruction protocol
// (CLR/RD/WR/LOAD x MDR0/MDR1/DTR/CNTR/OTR/STR), so the real driver code runs
// against it. The test drives the count with move(); the counter wraps at its
// configured width (MDR1 bits 1:0) like the chip.
#include <cstdint>
#include <string>
#include <vector>

#include "rig/hw/spi.hpp"

namespace rig::test {

class Ls7366rEmulator final : public hw::SpiDevice {
public:
    /// Powers up as the datasheet says: registers clear, PLS set.
    explicit Ls7366rEmulator(std::string name = "emulated LS7366R") : name_(std::move(name)) { power_cycle(); }
    using hw::SpiDevice::transfer;
    std::error_code transfer(std::span<const hw::SpiSegment> segments) noexcept override;
    [[nodiscard]] const std::string& name() const noexcept override { return name_; }

    /// Quadrature edges seen by the chip (x4 counts); scaled by the MDR0 mode.
    void move(std::int64_t x4_edges);
    /// The INDEX input (active level = true). On the edge to active the chip
    /// does what MDR0 bits 5:4 select (datasheet, "MDR0" register
    /// description, B5 B4): 00 nothing (index disabled), 01 "load CNTR"
    /// (DTR -> CNTR), 10 "reset CNTR" (CNTR -> 0), 11 "load OTR" (CNTR ->
    /// OTR). STR bit 4 (IDX) follows the input's level (datasheet, "STR":
    /// "IDX: set when INDEX input is at active level"). Synchronous index
    /// (MDR0 bit 6) only aligns the action to the quadrature clocks; move()
    /// has no clock phase, so both act at once here.
    void index(bool active);
    void set_cntr(std::uint32_t v) { cntr_ = v & mask(); }
    /// A supply dip below the chip's brown-out level: it powers up again with
    /// every register cleared (MDR0 = 0: non-quadrature, x1) and STR's power-loss
    /// latch PLS (bit 2) set until CLR STR (datasheet: STR bit 2 "PLS: power loss
    /// indicator latch; set upon power up").
    void power_cycle() {
        mdr0_ = 0;
        mdr1_ = 0;
        cntr_ = 0;
        otr_ = 0;
        dtr_ = 0;
        str_ = 0x04;
    }

    [[nodiscard]] std::uint8_t mdr0() const { return mdr0_; }
    [[nodiscard]] std::uint8_t mdr1() const { return mdr1_; }
    [[nodiscard]] std::uint32_t cntr() const { return cntr_; }
    [[nodiscard]] std::uint32_t otr() const { return otr_; }
    [[nodiscard]] std::uint8_t str() const { return str_; }
    [[nodiscard]] const std::vector<std::uint8_t>& instructions() const { return instructions_; }

    /// Error injection: the next transfer fails with `ec` / moves one byte less.
    void fail_next(std::error_code ec) { fail_ = ec; }
    void short_next() { short_ = true; }
    /// An absent chip: MISO floats low, nothing is stored.
    bool absent = false;

private:
    [[nodiscard]] unsigned width_bytes() const { return 4u - (mdr1_ & 0x03u); }
    [[nodiscard]] std::uint32_t mask() const {
        return width_bytes() == 4 ? 0xFFFF'FFFFu : (1u << (8 * width_bytes())) - 1u;
    }
    std::string name_;
    std::uint8_t mdr0_ = 0, mdr1_ = 0, str_ = 0;
    std::uint32_t dtr_ = 0, cntr_ = 0, otr_ = 0;
    std::int64_t sub_edges_ = 0;  // x4 edges not yet a count in x1/x2 mode
    bool index_ = false;          // the INDEX input's level
    std::vector<std::uint8_t> instructions_;
    std::error_code fail_;
    bool short_ = false;
};

}  // namespace rig::test
