#include "ads1256_emulator.hpp"

#include <algorithm>
#include <cmath>

namespace rig::test {

namespace ads1256_ds {
namespace {
struct RateRow {
    double sps;
    std::uint8_t code;     // DRATE register (p.31, "DRATE: A/D Data Rate")
    double settling_ms;    // Table 13, t18
    double cycling_hz;     // Table 14, 1/t19
};
constexpr std::array<RateRow, 16> rows{{{30000, 0xF0, 0.21, 4374}, {15000, 0xE0, 0.25, 3817},
                                        {7500, 0xD0, 0.31, 3043},  {3750, 0xC0, 0.44, 2165},
                                        {2000, 0xB0, 0.68, 1438},  {1000, 0xA1, 1.18, 837},
                                        {500, 0x92, 2.18, 456},    {100, 0x82, 10.18, 98},
                                        {60, 0x72, 16.84, 59},     {50, 0x63, 20.18, 50},
                                        {30, 0x53, 33.51, 30},     {25, 0x43, 40.18, 25},
                                        {15, 0x33, 66.84, 15},     {10, 0x23, 100.18, 10},
                                        {5, 0x13, 200.18, 5},      {2.5, 0x03, 400.18, 2.5}}};
}  // namespace
double settling_ms(double sps) {
    for (const auto& r : rows) {
        if (r.sps == sps) return r.settling_ms;
    }
    return 0;
}
double rate_of_code(std::uint8_t code) {
    for (const auto& r : rows) {
        if (r.code == code) return r.sps;
    }
    return 0;
}
double cycling_hz(double sps) {
    for (const auto& r : rows) {
        if (r.sps == sps) return r.cycling_hz;
    }
    return 0;
}
double input_impedance_ohm(int pga, bool buffer) {
    if (buffer) return 80e6;
    return pga >= 32 ? 4.7e3 : 150e3 / pga;
}
}  // namespace ads1256_ds

namespace {
// Command opcodes (p.34, Table 24 "Command Definitions"), written here from the
// table, not from the driver.
constexpr std::uint8_t op_wakeup = 0x00, op_rdata = 0x01, op_rdatac = 0x03, op_sdatac = 0x0F, op_rreg = 0x10,
                       op_wreg = 0x50, op_selfcal = 0xF0, op_selfocal = 0xF1, op_selfgcal = 0xF2, op_sync = 0xFC,
                       op_standby = 0xFD, op_reset = 0xFE, op_wakeup_ff = 0xFF;
// Register map (p.30, Table 23).
constexpr std::size_t r_status = 0, r_mux = 1, r_adcon = 2, r_drate = 3, r_ofc0 = 5, r_fsc0 = 8;

Nanos ns(double v) { return Nanos(static_cast<std::int64_t>(std::llround(v))); }
}  // namespace

Ads1256Emulator::Ads1256Emulator(const Clock& clock, std::string name) : clock_(&clock), name_(std::move(name)) {
    reset_registers();
    // Power-up: "After a reset, the ADS1255/6 performs self-calibration" (p.24).
    start_calibration(clock.now(), true);
}

void Ads1256Emulator::reset_registers() {
    // Reset values (p.30, Table 23): STATUS x1h (ID 3), MUX 01h, ADCON 20h,
    // DRATE F0h, IO E0h; OFC/FSC are then set by the reset's self-calibration.
    regs_ = {0x31, 0x01, 0x20, 0xF0, 0xE0, 0, 0, 0, 0, 0, 0};
}

double Ads1256Emulator::rate() const { return ads1256_ds::rate_of_code(regs_[r_drate]); }

bool Ads1256Emulator::drdy_low() const {
    const_cast<Ads1256Emulator*>(this)->update(clock_->now());
    return data_ready_;
}

std::vector<std::uint8_t> Ads1256Emulator::converted_mux() const {
    std::vector<std::uint8_t> out;
    for (const auto& c : done_) out.push_back(c.mux);
    return out;
}

double Ads1256Emulator::differential_v(std::uint8_t mux, Nanos t) const {
    const auto p = static_cast<std::size_t>(mux >> 4);
    const auto n = static_cast<std::size_t>(mux & 0x0F);
    auto v = [&](std::size_t i) {
        if (i >= ain_v.size()) return 0.0;
        return ain_at ? ain_at(i, t) : ain_v[i];
    };
    return v(p) - v(n);
}

std::int32_t Ads1256Emulator::ideal_code(std::uint8_t mux, int pga, Nanos t) const {
    const double code = std::round(differential_v(mux, t) * pga / (2.0 * vref_v) * 8388608.0);
    return static_cast<std::int32_t>(std::clamp(code, -8388608.0, 8388607.0));
}

std::int32_t Ads1256Emulator::output_code(std::uint8_t mux, int pga_code, Nanos t) const {
    namespace ds = ads1256_ds;
    const int pga = 1 << pga_code;
    const bool buffer = (regs_[r_status] & 0x02) != 0;
    // The source impedance and the input impedance divide the signal.
    const double rs = source_ohm[mux >> 4] + source_ohm[std::min<std::size_t>(mux & 0x0F, 8)];
    const double zin = ds::input_impedance_ohm(pga, buffer);
    const double vin = differential_v(mux, t) * zin / (zin + rs);
    // The modulator's view, with the chip's own errors at this PGA.
    const double x = pga * (vin + offset_v[static_cast<std::size_t>(pga_code)]) * (1.0 + gain_error[static_cast<std::size_t>(pga_code)]) / (2.0 * vref_v);
    const auto ofc_raw = std::uint32_t{regs_[r_ofc0]} | (std::uint32_t{regs_[r_ofc0 + 1]} << 8) |
                         (std::uint32_t{regs_[r_ofc0 + 2]} << 16);
    const std::int32_t ofc = (ofc_raw & 0x800000u) != 0 ? static_cast<std::int32_t>(ofc_raw) - 0x1000000
                                                       : static_cast<std::int32_t>(ofc_raw);
    const auto fsc = std::uint32_t{regs_[r_fsc0]} | (std::uint32_t{regs_[r_fsc0 + 1]} << 8) |
                     (std::uint32_t{regs_[r_fsc0 + 2]} << 16);
    // Equation 3 (p.24).
    const double out = (x - ofc / ds::alpha) * (static_cast<double>(fsc) / ds::fsc_ideal) * 8388608.0;
    return static_cast<std::int32_t>(std::clamp(std::round(out), -8388608.0, 8388607.0));
}

void Ads1256Emulator::start_conversion(Nanos t) {
    busy_ = Busy::converting;
    continuous_ = false;
    conv_mux_ = regs_[r_mux];
    conv_adcon_ = regs_[r_adcon];
    mux_changed_ = false;
    data_ready_ = false;  // DRDY goes high as the conversion starts (p.20, Settling Time Using Synchronization)
    ready_at_ = t + ns(ads1256_ds::settling_ms(rate()) * 1e6);
    ++started_;
}

void Ads1256Emulator::start_calibration(Nanos t, bool after_reset) {
    // "DRDY goes high when calibration begins and remains so until settled
    // data is ready afterwards" (p.24). The duration is Table 19's; modelled
    // here as 4 settling times (0.84 ms at 30 kSPS against the table's 0.8 ms).
    busy_ = Busy::calibrating;
    data_ready_ = false;
    ready_at_ = t + ns(4 * ads1256_ds::settling_ms(rate()) * 1e6);
    if (!after_reset) ++selfcals_;
}

void Ads1256Emulator::update(Nanos t) {
    if (stuck || busy_ == Busy::idle) return;
    while (t >= ready_at_) {
        if (busy_ == Busy::calibrating) {
            // Self-calibration measures this PGA's offset (inputs shorted) and
            // gain (reference) into OFC and FSC (p.24, "Self-Calibration").
            const int pga_code = regs_[r_adcon] & 0x07;
            const int pga = 1 << pga_code;
            const double x0 = pga * offset_v[static_cast<std::size_t>(pga_code)] * (1.0 + gain_error[static_cast<std::size_t>(pga_code)]) / (2.0 * vref_v);
            const auto ofc = static_cast<std::int32_t>(std::llround(x0 * ads1256_ds::alpha));
            const auto fsc = static_cast<std::uint32_t>(std::llround(ads1256_ds::fsc_ideal / (1.0 + gain_error[static_cast<std::size_t>(pga_code)])));
            const auto uofc = static_cast<std::uint32_t>(ofc) & 0xFFFFFFu;
            for (int i = 0; i < 3; ++i) {
                regs_[r_ofc0 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(uofc >> (8 * i));
                regs_[r_fsc0 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(fsc >> (8 * i));
            }
            // After calibration the chip converts the selected input.
            start_conversion(ready_at_);
            continue;
        }
        // A conversion completes: DRDY falls.
        const Nanos at = ready_at_;
        const Nanos half_settle = ns(ads1256_ds::settling_ms(rate()) * 1e6 / 2);
        std::int32_t code = output_code(conv_mux_, conv_adcon_ & 0x07, at - half_settle);
        if (mux_changed_) {
            // "the next data will represent a combination of the previous and
            // current input signal" (p.22, Settling Time while Continuously Converting)
            code = static_cast<std::int32_t>(
                (static_cast<std::int64_t>(code) + output_code(regs_[r_mux], regs_[r_adcon] & 0x07, at - half_settle)) / 2);
            conv_mux_ = regs_[r_mux];
            conv_adcon_ = regs_[r_adcon];
            mux_changed_ = false;
        }
        data_ = code;
        data_ready_ = true;
        done_.push_back({conv_mux_, 1 << (conv_adcon_ & 0x07), at, at - half_settle, code});
        // Then it keeps converting at the data rate (p.22, Table 15: one DRDY period).
        continuous_ = true;
        ready_at_ = at + ns(1e9 / rate());
    }
}

std::optional<bool> Ads1256Emulator::Drdy::value() noexcept {
    e_->update(e_->clock_->now());
    return !e_->data_ready_;
}

int Ads1256Emulator::Drdy::take_edges() noexcept {
    e_->update(e_->clock_->now());
    const int n = static_cast<int>(e_->done_.size() - seen_);
    seen_ = e_->done_.size();
    return n;
}

std::optional<Nanos> Ads1256Emulator::Drdy::last_edge_time() noexcept {
    if (e_->done_.empty()) return std::nullopt;
    return e_->done_.back().drdy_at;
}

std::error_code Ads1256Emulator::transfer(std::span<const hw::SpiSegment> segments) noexcept {
    if (fail_) {
        auto e = fail_;
        fail_ = {};
        return e;
    }
    namespace ds = ads1256_ds;
    const double tclk = tclkin_ns();
    // t1: SCLK period >= 4 tCLKIN.
    if (1e9 / sclk_hz < ds::t1_min_tclkin * tclk) {
        violation("SCLK " + std::to_string(sclk_hz) + " Hz: period below t1 = 4 tCLKIN at fCLKIN " +
                  std::to_string(fclkin_hz) + " Hz");
    }
    const double byte_ns = 8e9 / sclk_hz;
    Nanos t = clock_->now();
    // A byte-level parser over one chip-select frame; the pause after a
    // segment counts toward the timing rule that is waiting.
    enum class St { command, wreg_count, wreg_data, rreg_count, rreg_data, rdata };
    St st = St::command;
    double pause_ns = 1e18;      // time since the last command byte ended
    double need_ns = 0;          // the pause the pending rule asks for
    const char* rule = "";
    std::uint8_t first = 0;
    unsigned remaining = 0;
    unsigned index = 0;
    // The last data byte of WREG, RREG or RDATA read or written: the next
    // command waits t11.
    auto command_after_t11 = [&](const char* what) {
        st = St::command;
        need_ns = ds::t11_min_tclkin * tclk;
        rule = what;
    };
    for (const auto& seg : segments) {
        for (std::size_t i = 0; i < seg.tx.size(); ++i) {
            const std::uint8_t b = seg.tx[i];
            std::uint8_t out = 0;
            update(t);
            if (absent) {
                if (!seg.rx.empty()) seg.rx[i] = 0;
                t += ns(byte_ns);
                continue;
            }
            const bool data_out = st == St::rreg_data || st == St::rdata;
            if (pause_ns < need_ns) violation(std::string(rule) + (data_out ? " before data" : " before the next command"));
            need_ns = 0;
            switch (st) {
                case St::command:
                    commands_.push_back(b);
                    if (b == op_wakeup || b == op_wakeup_ff) {
                        // WAKEUP completes a SYNC: the conversion starts (p.35, SYNC/WAKEUP).
                        if (synced_) start_conversion(t + ns(byte_ns));
                        synced_ = false;
                    } else if (b == op_rdata || b == op_rdatac) {
                        // RDATA (and RDATAC) load the output shift register
                        // with the newest conversion as the command arrives.
                        latched_ = data_;
                        st = St::rdata;
                        remaining = 3;
                        need_ns = ds::t6_min_tclkin * tclk;
                        rule = b == op_rdata ? "RDATA: t6" : "RDATAC: t6";
                    } else if (b == op_sdatac) {
                    } else if ((b & 0xF0) == op_rreg) {
                        st = St::rreg_count;
                        first = b & 0x0F;
                    } else if ((b & 0xF0) == op_wreg) {
                        st = St::wreg_count;
                        first = b & 0x0F;
                    } else if (b == op_selfcal || b == op_selfocal || b == op_selfgcal) {
                        start_calibration(t + ns(byte_ns), false);
                    } else if (b == op_sync) {
                        synced_ = true;
                        need_ns = ds::t11_sync_min_tclkin * tclk;
                        rule = "SYNC: t11 (24 tCLKIN)";
                    } else if (b == op_reset) {
                        reset_registers();
                        synced_ = false;
                        start_calibration(t + ns(byte_ns), true);
                        need_ns = ds::t11_sync_min_tclkin * tclk;
                        rule = "RESET: t11 (24 tCLKIN)";
                    } else if (b == op_standby) {
                        busy_ = Busy::idle;
                    } else {
                        violation("unknown command byte " + std::to_string(b));
                    }
                    break;
                case St::wreg_count:
                case St::rreg_count:
                    remaining = (b & 0x0F) + 1u;
                    index = 0;
                    if (st == St::rreg_count) {
                        need_ns = ds::t6_min_tclkin * tclk;
                        rule = "RREG: t6";
                    }
                    st = st == St::wreg_count ? St::wreg_data : St::rreg_data;
                    break;
                case St::wreg_data: {
                    const std::size_t r = first + index++;
                    if (r < regs_.size()) {
                        if (r == r_status) {
                            regs_[r] = static_cast<std::uint8_t>((regs_[r] & 0xF1) | (b & 0x0E));  // ID and DRDY read-only
                        } else {
                            if ((r == r_mux || r == r_adcon) && regs_[r] != b && busy_ == Busy::converting) mux_changed_ = true;
                            regs_[r] = b;
                        }
                        // ACAL: calibrate after a PGA / DRATE / BUFEN change (p.30, STATUS bit 2).
                        if ((regs_[r_status] & 0x04) != 0 && (r == r_adcon || r == r_drate)) start_calibration(t, false);
                    }
                    if (--remaining == 0) command_after_t11("WREG: t11");
                    break;
                }
                case St::rreg_data: {
                    const std::size_t r = first + index++;
                    if (r < regs_.size()) out = regs_[r];
                    if (r == r_status) out = static_cast<std::uint8_t>((out & 0xFE) | (data_ready_ ? 0 : 1));
                    if (--remaining == 0) command_after_t11("RREG: t11");
                    break;
                }
                case St::rdata: {
                    const auto u = static_cast<std::uint32_t>(latched_) & 0xFF'FFFFu;
                    out = static_cast<std::uint8_t>(u >> (8 * (remaining - 1)));
                    if (--remaining == 0) {
                        data_ready_ = false;  // DRDY returns high once the data are read (p.35, RDATAC)
                        command_after_t11("RDATA: t11");
                    }
                    break;
                }
            }
            if (!seg.rx.empty()) seg.rx[i] = out;
            t += ns(byte_ns);
            pause_ns = 0;
        }
        const auto d = std::chrono::duration_cast<Nanos>(seg.delay_after);
        pause_ns += static_cast<double>(d.count());
        t += d;
    }
    if (st != St::command) violation("chip select released in the middle of a command");
    if (advance != nullptr && t > advance->now()) advance->advance(t - advance->now());
    if (short_) {
        short_ = false;
        return hw::spi_errc::short_transfer;
    }
    return {};
}

}  // namespace rig::test
