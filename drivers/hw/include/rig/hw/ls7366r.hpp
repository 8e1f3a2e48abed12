#pragma once
// LS7366R 32-bit quadrature counter (LSI/CSI) on SPI, and the needle-position
// encoder built on it.
//
// Protocol (datasheet "Instruction register"): one instruction byte, bits 7:6
// the operation (CLR 00, RD 01, WR 10, LOAD 11), bits 5:3 the register (MDR0
// 001, MDR1 010, DTR 011, CNTR 100, OTR 101, STR 110), followed by the data
// bytes MSB first. SPI mode 0, chip select framing each instruction.
//
// Ownership: borrows the SpiDevice (the fixture owns it and outlives this).
// Thread-safety: one thread at a time.

#include <chrono>
#include <cstdint>
#include <optional>

#include "rig/core/clock.hpp"

#include "rig/drivers/parts.hpp"
#include "rig/hw/spi.hpp"

namespace rig::hw::ls7366r {

enum class Op : std::uint8_t { clr = 0x00, rd = 0x40, wr = 0x80, load = 0xC0 };
enum class Reg : std::uint8_t { mdr0 = 0x08, mdr1 = 0x10, dtr = 0x18, cntr = 0x20, otr = 0x28, str = 0x30 };
constexpr std::uint8_t instruction(Op op, Reg reg) {
    return static_cast<std::uint8_t>(static_cast<std::uint8_t>(op) | static_cast<std::uint8_t>(reg));
}

// MDR0: quadrature mode bits 1:0, count mode 3:2, index 5:4, index sync 6,
// filter clock division 7.
constexpr std::uint8_t mdr0_x4_quadrature = 0x03;
constexpr std::uint8_t mdr0_free_running = 0x00;
constexpr std::uint8_t mdr0_index_disabled = 0x00;
// MDR1: counter width bits 1:0 (00 = 4 bytes), bit 2 = 1 disables counting.
constexpr std::uint8_t mdr1_4_byte = 0x00;
constexpr std::uint8_t mdr1_counting_disabled = 0x04;

constexpr std::uint8_t mdr0_config = mdr0_x4_quadrature | mdr0_free_running | mdr0_index_disabled;
// MDR0 bits 5:4, what an edge of the INDEX input does (datasheet, "MDR0"
// register description, B5 B4): 00 nothing, 01 "load CNTR" (DTR -> CNTR),
// 10 "reset CNTR", 11 "load OTR" (CNTR -> OTR, the count latched at the
// mark while the counter keeps counting).
enum class IndexMode : std::uint8_t { disabled = 0x00, load_cntr = 0x10, reset_cntr = 0x20, load_otr = 0x30 };
constexpr std::uint8_t mdr0_index_mask = 0x30;
constexpr std::uint8_t mdr0_with_index(IndexMode m) {
    return static_cast<std::uint8_t>((mdr0_config & ~mdr0_index_mask) | static_cast<std::uint8_t>(m));
}
// STR bit 2: power-loss latch, set at power-up, cleared by CLR STR.
constexpr std::uint8_t str_power_loss = 0x04;
constexpr std::uint8_t mdr1_config = mdr1_4_byte;

}  // namespace rig::hw::ls7366r

namespace rig::hw {

/// The chip: configuration and counter reads.
class Ls7366r {
public:
    explicit Ls7366r(SpiDevice& spi) : spi_(&spi) {}

    /// Writes MDR0 (x4 quadrature, free-running, index off) and MDR1 (4-byte
    /// counter, counting enabled), clears CNTR and STR, then reads MDR0/MDR1
    /// back. Throws std::system_error on a transfer error and
    /// std::runtime_error if the read-back differs (chip absent or miswired).
    void configure();

    /// Reads CNTR (RD CNTR latches it into OTR and shifts OTR out), as a
    /// 32-bit two's-complement count; std::nullopt on a transfer error.
    std::optional<std::int32_t> read_counter() noexcept;

    /// Sets the INDEX input's function (MDR0 bits 5:4; the rest of MDR0 as
    /// configure() wrote it) and reads MDR0 back. Throws std::system_error on
    /// a transfer error, std::runtime_error when the read-back differs.
    void set_index_mode(ls7366r::IndexMode mode);
    /// OTR as it is (RD OTR, no transfer from CNTR): in load_otr mode the count
    /// at the last index edge. RD CNTR and LOAD OTR overwrite OTR (datasheet
    /// Table 1), so nothing may read the counter between the edge and this
    /// read. std::nullopt on a transfer error.
    std::optional<std::int32_t> read_latched() noexcept;

    /// One register byte (MDR0, MDR1 or STR); throws std::system_error.
    std::uint8_t read_register(ls7366r::Reg reg);
    /// The same without throwing (std::nullopt on a transfer error).
    std::optional<std::uint8_t> try_read_register(ls7366r::Reg reg) noexcept;

private:
    std::optional<std::int32_t> read_32(ls7366r::Reg reg) noexcept;
    SpiDevice* spi_;
};

/// Needle position from the LS7366R count. The chip's 32-bit counter wraps;
/// successive reads are differenced modulo 2^32 and accumulated into a 64-bit
/// position, which is exact as long as the needle moves fewer than 2^31 counts
/// (2147 m at 1 µm/count) between two reads.
///
/// position_mm = counts x scale + offset, with scale (m/count) and offset (m)
/// from the fixture's "encoder" calibration record.
class Ls7366rEncoder final : public PositionEncoder {
public:
    /// Configures the chip and takes the first reading as the reference
    /// (counter cleared: position = offset). Throws on setup failure.
    /// With `clock` and a `check_every` > 0, read_mm() re-reads one of MDR0,
    /// MDR1, STR (in turn) each time `check_every` passed: a configuration
    /// that changed or STR's power-loss latch set (a brown-out reset the chip
    /// to non-quadrature counting, silently) is a sensor fault, latched: every
    /// later read returns std::nullopt (the run ends ERROR, never with wrong
    /// depths).
    Ls7366rEncoder(SpiDevice& spi, double scale_m_per_count, double offset_m, Clock* clock = nullptr,
                   std::chrono::nanoseconds check_every = std::chrono::nanoseconds(0));

    std::optional<double> read_mm() noexcept override;
    [[nodiscard]] bool faulted() const noexcept { return fault_; }

    // Index latch (the index reference, drivers/hw/README.md "Cartridge-face
    // reference"). Between begin_index_latch() and end_index_latch() nothing
    // may call read_mm(): RD CNTR transfers CNTR to OTR (datasheet Table 1)
    // and would overwrite the latched count.

    /// Reads the counter once more (OTR = CNTR now, the count is brought up
    /// to date), then sets MDR0's index function to "load OTR" (bits 5:4 =
    /// 11) and reads MDR0 back. False on a transfer error or a read-back
    /// that differs (the mode is then restored, best effort).
    bool begin_index_latch() noexcept;
    /// RD OTR (no transfer from CNTR): the accumulated count at the mark once
    /// an INDEX edge has loaded OTR, i.e. once OTR differs from the count
    /// begin_index_latch() left in it; std::nullopt before that or on a
    /// transfer error. A mark latched at exactly that count is not seen (the
    /// reference is then invalid, never wrong).
    std::optional<std::int64_t> poll_index_latch() noexcept;
    /// Restores MDR0 (index disabled) and reads it back; a failure is a
    /// latched sensor fault (the counter's configuration is not known).
    bool end_index_latch() noexcept;
    /// The reading (mm) of an accumulated count: counts x scale + offset.
    [[nodiscard]] double reading_mm(std::int64_t counts) const noexcept {
        return static_cast<double>(counts) * scale_mm_per_count_ + offset_mm_;
    }
    /// Accumulated count since configuration.
    [[nodiscard]] std::int64_t counts() const noexcept { return position_counts_; }

private:
    Ls7366r chip_;
    double scale_mm_per_count_;
    double offset_mm_;
    std::uint32_t last_raw_ = 0;
    std::int64_t position_counts_ = 0;
    SpiDevice* spi_;
    Clock* clock_;
    std::chrono::nanoseconds check_every_;
    Nanos next_check_{0};
    int check_index_ = 0;
    bool fault_ = false;
};

}  // namespace rig::hw
