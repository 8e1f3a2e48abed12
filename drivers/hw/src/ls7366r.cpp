#include "rig/hw/ls7366r.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>

namespace rig::hw {

using ls7366r::instruction;
using ls7366r::Op;
using ls7366r::Reg;

namespace {
void command(SpiDevice& spi, std::span<const std::uint8_t> bytes, const char* what) {
    const SpiSegment seg{bytes, {}, {}};
    spi.transfer_or_throw(std::span<const SpiSegment>(&seg, 1), what);
}
}  // namespace

void Ls7366r::configure() {
    const std::array<std::uint8_t, 2> mdr0{instruction(Op::wr, Reg::mdr0), ls7366r::mdr0_config};
    const std::array<std::uint8_t, 2> mdr1{instruction(Op::wr, Reg::mdr1), ls7366r::mdr1_config};
    const std::array<std::uint8_t, 1> clr_cntr{instruction(Op::clr, Reg::cntr)};
    const std::array<std::uint8_t, 1> clr_str{instruction(Op::clr, Reg::str)};
    command(*spi_, mdr0, "LS7366R: write MDR0");
    command(*spi_, mdr1, "LS7366R: write MDR1");
    command(*spi_, clr_cntr, "LS7366R: clear CNTR");
    command(*spi_, clr_str, "LS7366R: clear STR");
    // A missing chip reads all-0 or all-1 on MISO; MDR0 = 0x03 tells it apart.
    const auto m0 = read_register(Reg::mdr0);
    const auto m1 = read_register(Reg::mdr1);
    if (m0 != ls7366r::mdr0_config || m1 != ls7366r::mdr1_config) {
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "LS7366R on %s: configuration read back MDR0=0x%02x MDR1=0x%02x, expected 0x%02x 0x%02x "
                      "(chip absent, unpowered or miswired?)",
                      spi_->name().c_str(), m0, m1, ls7366r::mdr0_config, ls7366r::mdr1_config);
        throw std::runtime_error(buf);
    }
}

std::uint8_t Ls7366r::read_register(Reg reg) {
    const std::array<std::uint8_t, 2> tx{instruction(Op::rd, reg), 0};
    std::array<std::uint8_t, 2> rx{};
    const SpiSegment seg{tx, rx, {}};
    spi_->transfer_or_throw(std::span<const SpiSegment>(&seg, 1), "LS7366R: read register");
    return rx[1];
}

std::optional<std::uint8_t> Ls7366r::try_read_register(Reg reg) noexcept {
    const std::array<std::uint8_t, 2> tx{instruction(Op::rd, reg), 0};
    std::array<std::uint8_t, 2> rx{};
    if (spi_->transfer(tx, rx)) return std::nullopt;
    return rx[1];
}

void Ls7366r::set_index_mode(ls7366r::IndexMode mode) {
    const std::uint8_t want = ls7366r::mdr0_with_index(mode);
    const std::array<std::uint8_t, 2> mdr0{instruction(Op::wr, Reg::mdr0), want};
    command(*spi_, mdr0, "LS7366R: write MDR0 (index mode)");
    const auto got = read_register(Reg::mdr0);
    if (got != want) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "LS7366R on %s: MDR0 read back 0x%02x after setting the index mode, expected 0x%02x",
                      spi_->name().c_str(), got, want);
        throw std::runtime_error(buf);
    }
}

std::optional<std::int32_t> Ls7366r::read_latched() noexcept { return read_32(Reg::otr); }

std::optional<std::int32_t> Ls7366r::read_counter() noexcept { return read_32(Reg::cntr); }

std::optional<std::int32_t> Ls7366r::read_32(Reg reg) noexcept {
    const std::array<std::uint8_t, 5> tx{instruction(Op::rd, reg), 0, 0, 0, 0};
    std::array<std::uint8_t, 5> rx{};
    if (spi_->transfer(tx, rx)) return std::nullopt;
    const std::uint32_t raw = (std::uint32_t{rx[1]} << 24) | (std::uint32_t{rx[2]} << 16) |
                              (std::uint32_t{rx[3]} << 8) | std::uint32_t{rx[4]};
    return static_cast<std::int32_t>(raw);  // two's complement (defined since C++20)
}

Ls7366rEncoder::Ls7366rEncoder(SpiDevice& spi, double scale_m_per_count, double offset_m, Clock* clock,
                               std::chrono::nanoseconds check_every)
    : chip_(spi), scale_mm_per_count_(scale_m_per_count * 1e3), offset_mm_(offset_m * 1e3), spi_(&spi), clock_(clock),
      check_every_(check_every) {
    chip_.configure();
    if (clock_ != nullptr) next_check_ = clock_->now() + check_every_;
    auto first = chip_.read_counter();
    if (!first) throw std::runtime_error("LS7366R on " + spi.name() + ": first counter read failed");
    last_raw_ = static_cast<std::uint32_t>(*first);
}

std::optional<double> Ls7366rEncoder::read_mm() noexcept {
    if (fault_) return std::nullopt;
    if (clock_ != nullptr && check_every_.count() > 0 && clock_->now() >= next_check_) {
        // One register per check keeps the tick's SPI time to one short transfer.
        next_check_ = clock_->now() + check_every_;
        const Reg reg = check_index_ == 0 ? Reg::mdr0 : check_index_ == 1 ? Reg::mdr1 : Reg::str;
        check_index_ = (check_index_ + 1) % 3;
        if (auto v = chip_.try_read_register(reg)) {
            const bool ok = reg == Reg::mdr0   ? *v == ls7366r::mdr0_config
                            : reg == Reg::mdr1 ? *v == ls7366r::mdr1_config
                                               : (*v & ls7366r::str_power_loss) == 0;
            if (!ok) {
                fault_ = true;
                return std::nullopt;
            }
        }
    }
    auto c = chip_.read_counter();
    if (!c) return std::nullopt;
    const auto raw = static_cast<std::uint32_t>(*c);
    // Unsigned subtraction is modulo 2^32; read as signed it is the shortest
    // way round, so a wrap in either direction is one small step.
    position_counts_ += static_cast<std::int32_t>(raw - last_raw_);
    last_raw_ = raw;
    return reading_mm(position_counts_);
}

bool Ls7366rEncoder::begin_index_latch() noexcept {
    if (fault_) return false;
    // RD CNTR: the count up to date, and OTR = CNTR = last_raw_ (Table 1),
    // the value poll_index_latch() compares against.
    auto c = chip_.read_counter();
    if (!c) return false;
    const auto raw = static_cast<std::uint32_t>(*c);
    position_counts_ += static_cast<std::int32_t>(raw - last_raw_);
    last_raw_ = raw;
    try {
        chip_.set_index_mode(ls7366r::IndexMode::load_otr);
    } catch (...) {
        (void)end_index_latch();
        return false;
    }
    return true;
}

std::optional<std::int64_t> Ls7366rEncoder::poll_index_latch() noexcept {
    if (fault_) return std::nullopt;
    auto otr = chip_.read_latched();
    if (!otr) return std::nullopt;
    const auto raw = static_cast<std::uint32_t>(*otr);
    if (raw == last_raw_) return std::nullopt;
    // Counted modulo 2^32 from the last read, as read_mm() does.
    return position_counts_ + static_cast<std::int32_t>(raw - last_raw_);
}

bool Ls7366rEncoder::end_index_latch() noexcept {
    try {
        chip_.set_index_mode(ls7366r::IndexMode::disabled);
        return true;
    } catch (...) {
        fault_ = true;
        return false;
    }
}

}  // namespace rig::hw
