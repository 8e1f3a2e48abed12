#include "ls7366r_emulator.hpp"

#include <vector>

namespace rig::test {

void Ls7366rEmulator::move(std::int64_t x4_edges) {
    if ((mdr1_ & 0x04) != 0) return;  // counting disabled
    std::int64_t counts = x4_edges;
    switch (mdr0_ & 0x03) {
        case 0x01: sub_edges_ += x4_edges; counts = sub_edges_ / 4; sub_edges_ %= 4; break;  // x1
        case 0x02: sub_edges_ += x4_edges; counts = sub_edges_ / 2; sub_edges_ %= 2; break;  // x2
        default: break;  // x4 (and non-quadrature: one count per edge)
    }
    const std::int64_t before = cntr_;
    const std::int64_t after = before + counts;
    const std::int64_t modulus = static_cast<std::int64_t>(mask()) + 1;
    str_ = static_cast<std::uint8_t>(str_ & ~0xC3u);  // CY, BW, U/D, sign are per count; PLS and IDX stay
    if (after >= modulus) str_ |= 0x80;  // CY
    if (after < 0) str_ |= 0x40;         // BW
    if (counts >= 0) str_ |= 0x02;       // U/D
    cntr_ = static_cast<std::uint32_t>(((after % modulus) + modulus) % modulus);
}

void Ls7366rEmulator::index(bool active) {
    const bool edge = active && !index_;
    index_ = active;
    // STR bit 4 IDX: the input's level (datasheet "STR").
    str_ = static_cast<std::uint8_t>(active ? (str_ | 0x10u) : (str_ & ~0x10u));
    if (!edge) return;
    // MDR0 B5 B4 (datasheet "MDR0"): the index input's function.
    switch (mdr0_ & 0x30u) {
        case 0x10: cntr_ = dtr_ & mask(); break;  // 01: load CNTR (DTR -> CNTR)
        case 0x20: cntr_ = 0; break;              // 10: reset CNTR
        case 0x30: otr_ = cntr_; break;           // 11: load OTR (CNTR -> OTR)
        default: break;                           // 00: index disabled
    }
}

std::error_code Ls7366rEmulator::transfer(std::span<const hw::SpiSegment> segments) noexcept {
    if (fail_) {
        auto e = fail_;
        fail_ = {};
        return e;
    }
    // The chip sees one chip-select frame: the segments' bytes in order.
    std::vector<std::uint8_t> tx;
    for (const auto& s : segments) tx.insert(tx.end(), s.tx.begin(), s.tx.end());
    std::vector<std::uint8_t> rx(tx.size(), 0);
    if (!tx.empty() && !absent) {
        const std::uint8_t ir = tx[0];
        instructions_.push_back(ir);
        const unsigned op = ir & 0xC0u;
        const unsigned reg = ir & 0x38u;
        auto shift_out = [&](std::uint32_t value, unsigned bytes) {
            for (unsigned i = 0; i < bytes && i + 1 < rx.size(); ++i) {
                rx[i + 1] = static_cast<std::uint8_t>(value >> (8 * (bytes - 1 - i)));
            }
        };
        auto shift_in = [&](unsigned bytes) {
            std::uint32_t v = 0;
            for (unsigned i = 0; i < bytes && i + 1 < tx.size(); ++i) v = (v << 8) | tx[i + 1];
            return v;
        };
        switch (op) {
            case 0x00:  // CLR
                if (reg == 0x08) mdr0_ = 0;
                if (reg == 0x10) mdr1_ = 0;
                if (reg == 0x20) cntr_ = 0;
                if (reg == 0x30) str_ = 0;
                break;
            case 0x40:  // RD
                if (reg == 0x08) shift_out(mdr0_, 1);
                if (reg == 0x10) shift_out(mdr1_, 1);
                if (reg == 0x20) {  // CNTR is latched into OTR, OTR shifted out
                    otr_ = cntr_;
                    shift_out(otr_, width_bytes());
                }
                if (reg == 0x28) shift_out(otr_, width_bytes());
                if (reg == 0x30) {  // IDX (bit 4) is the input's level, CEN (bit 3) counting enabled
                    const unsigned live = (index_ ? 0x10u : 0u) | ((mdr1_ & 0x04) ? 0u : 0x08u);
                    shift_out(static_cast<std::uint8_t>(str_ | live), 1);
                }
                break;
            case 0x80:  // WR
                if (reg == 0x08) mdr0_ = static_cast<std::uint8_t>(shift_in(1));
                if (reg == 0x10) mdr1_ = static_cast<std::uint8_t>(shift_in(1));
                if (reg == 0x18) dtr_ = shift_in(width_bytes());
                break;
            default:  // LOAD
                if (reg == 0x20) cntr_ = dtr_ & mask();
                if (reg == 0x28) otr_ = cntr_;
                break;
        }
    }
    std::size_t at = 0;
    for (const auto& s : segments) {
        if (!s.rx.empty()) std::copy(rx.begin() + static_cast<std::ptrdiff_t>(at),
                                     rx.begin() + static_cast<std::ptrdiff_t>(at + s.rx.size()), s.rx.begin());
        at += s.tx.size();
    }
    if (short_) {
        short_ = false;
        return hw::spi_errc::short_transfer;
    }
    return {};
}

}  // namespace rig::test
