#include "ads1256_emulator.hpp"

#include <cmath>

#include "rig/hw/ads1256.hpp"

namespace rig::test {

namespace cmd = hw::ads1256;

Ads1256Emulator::Ads1256Emulator(std::string name) : name_(std::move(name)) {
    reset_registers();
    // Power-up: the chip self-calibrates and then converts.
    pending_ = true;
}

void Ads1256Emulator::reset_registers() {
    regs_ = {0x30, 0x01, 0x20, 0xF0, 0xE1, 0, 0, 0, 0, 0, 0};  // datasheet reset values (ID = 3)
    pending_mux_ = regs_[1];
}

std::optional<bool> Ads1256Emulator::Drdy::value() noexcept {
    if (e_->pending_ && e_->auto_complete) e_->complete();
    return !e_->drdy_low_;
}

void Ads1256Emulator::complete() {
    if (!pending_) return;
    pending_ = false;
    data_ = code_for(pending_mux_);
    converted_mux_.push_back(pending_mux_);
    drdy_low_ = true;
}

void Ads1256Emulator::start_conversion() {
    pending_ = true;
    pending_mux_ = regs_[1];
    pending_adcon_ = regs_[2];
    drdy_low_ = false;
    ++started_;
}

std::int32_t Ads1256Emulator::code_for(std::uint8_t mux) const {
    const auto p = static_cast<std::size_t>(mux >> 4);
    const auto n = static_cast<std::size_t>(mux & 0x0F);
    const double vp = p < ain_v.size() ? ain_v[p] : 0.0;
    const double vn = n < ain_v.size() ? ain_v[n] : 0.0;
    const int gain = 1 << (pending_adcon_ & 0x07);
    const double code = std::round((vp - vn) * gain / (2.0 * vref_v) * 8388608.0);
    if (code > 8388607.0) return 8388607;
    if (code < -8388608.0) return -8388608;
    return static_cast<std::int32_t>(code);
}

std::error_code Ads1256Emulator::transfer(std::span<const hw::SpiSegment> segments) noexcept {
    if (fail_) {
        auto e = fail_;
        fail_ = {};
        return e;
    }
    // A byte-level parser over one chip-select frame; a delay after a segment
    // satisfies the timing rule that is waiting (t6 / t11).
    enum class St { command, wreg_count, wreg_data, rreg_count, rreg_data, rdata };
    St st = St::command;
    bool waited = false;        // the pause since the last command is long enough
    bool need_t11 = false;      // after SYNC: a pause before the next command
    std::chrono::microseconds need{0};  // the pause the pending rule asks for
    std::uint8_t first = 0;
    unsigned remaining = 0;
    unsigned index = 0;
    for (const auto& seg : segments) {
        for (std::size_t i = 0; i < seg.tx.size(); ++i) {
            const std::uint8_t b = seg.tx[i];
            std::uint8_t out = 0;
            if (absent) {
                if (!seg.rx.empty()) seg.rx[i] = 0;
                continue;
            }
            switch (st) {
                case St::command:
                    if (need_t11 && !waited) violation("command after SYNC without t11");
                    need_t11 = false;
                    commands_.push_back(b);
                    if (b == cmd::wakeup || b == 0xFF) {
                        if (synced_) start_conversion();
                        synced_ = false;
                    } else if (b == cmd::rdata) {
                        st = St::rdata;
                        remaining = 3;
                        waited = false;
                        need = cmd::t6_delay;
                    } else if (b == cmd::rdatac) {
                        rdatac_ = true;
                    } else if (b == cmd::sdatac) {
                        rdatac_ = false;
                    } else if ((b & 0xF0) == cmd::rreg) {
                        st = St::rreg_count;
                        first = b & 0x0F;
                    } else if ((b & 0xF0) == cmd::wreg) {
                        st = St::wreg_count;
                        first = b & 0x0F;
                    } else if (b == cmd::selfcal) {
                        ++selfcals_;
                        pending_ = true;  // DRDY high until the calibration is done
                        pending_mux_ = regs_[1];
                        drdy_low_ = false;
                    } else if (b == cmd::sync) {
                        synced_ = true;
                        need_t11 = true;
                        waited = false;
                        need = cmd::t11_sync;
                    } else if (b == cmd::reset) {
                        reset_registers();
                        rdatac_ = false;
                        synced_ = false;
                        pending_ = true;
                        drdy_low_ = false;
                        need_t11 = true;
                        waited = false;
                        need = cmd::t11_sync;
                    } else if (b == cmd::standby) {
                    } else {
                        violation("unknown command byte " + std::to_string(b));
                    }
                    break;
                case St::wreg_count:
                case St::rreg_count:
                    remaining = (b & 0x0F) + 1u;
                    index = 0;
                    waited = false;
                    need = cmd::t6_delay;
                    st = st == St::wreg_count ? St::wreg_data : St::rreg_data;
                    break;
                case St::wreg_data: {
                    const std::size_t r = first + index++;
                    if (r < regs_.size()) {
                        const bool recal = (regs_[0] & 0x04) != 0 && (r == 2 || r == 3);
                        regs_[r] = r == 0 ? static_cast<std::uint8_t>((regs_[0] & 0xF1) | (b & 0x0E)) : b;
                        if (recal) {  // ACAL: calibrate after a PGA / DRATE change
                            pending_ = true;
                            drdy_low_ = false;
                        }
                    }
                    if (--remaining == 0) st = St::command;
                    break;
                }
                case St::rreg_data: {
                    if (!waited) violation("RREG data clocked before t6");
                    const std::size_t r = first + index++;
                    if (r < regs_.size()) out = regs_[r];
                    if (r == 0) out = static_cast<std::uint8_t>((out & 0xFE) | (drdy_low_ ? 0 : 1));
                    if (--remaining == 0) st = St::command;
                    break;
                }
                case St::rdata: {
                    if (!waited) violation("RDATA data clocked before t6");
                    const auto u = static_cast<std::uint32_t>(data_) & 0xFF'FFFFu;
                    out = static_cast<std::uint8_t>(u >> (8 * (remaining - 1)));
                    if (--remaining == 0) {
                        st = St::command;
                        if (!pending_) drdy_low_ = false;  // DRDY returns high after the read
                    }
                    break;
                }
            }
            if (!seg.rx.empty()) seg.rx[i] = out;
        }
        if (seg.delay_after >= need) waited = true;
    }
    if (st != St::command) violation("chip select released in the middle of a command");
    if (short_) {
        short_ = false;
        return hw::spi_errc::short_transfer;
    }
    return {};
}

}  // namespace rig::test
