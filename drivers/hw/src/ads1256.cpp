#include "rig/hw/ads1256.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>

namespace rig::hw {
namespace ads1256 {

std::optional<std::uint8_t> drate_code(double sps) noexcept {
    struct Entry {
        double sps;
        std::uint8_t code;
    };
    static constexpr std::array<Entry, 16> table{{{30000, 0xF0}, {15000, 0xE0}, {7500, 0xD0}, {3750, 0xC0},
                                                  {2000, 0xB0}, {1000, 0xA1}, {500, 0x92}, {100, 0x82},
                                                  {60, 0x72}, {50, 0x63}, {30, 0x53}, {25, 0x43},
                                                  {15, 0x33}, {10, 0x23}, {5, 0x13}, {2.5, 0x03}}};
    for (const auto& e : table) {
        if (e.sps == sps) return e.code;
    }
    return std::nullopt;
}

std::optional<std::uint8_t> pga_code(int gain) noexcept {
    for (std::uint8_t code = 0; code <= 6; ++code) {
        if (gain == (1 << code)) return code;
    }
    return std::nullopt;
}

}  // namespace ads1256

namespace {
std::string hex(std::uint8_t v) {
    char b[8];
    std::snprintf(b, sizeof b, "0x%02x", v);
    return b;
}
}  // namespace

Ads1256::Ads1256(SpiDevice& spi, GpioInput& drdy, Clock& clock, const Ads1256Settings& s)
    : spi_(&spi), drdy_(&drdy), clock_(&clock), settings_(s) {
    auto d = ads1256::drate_code(s.data_rate_sps);
    if (!d) throw std::invalid_argument("ADS1256: unsupported data rate " + std::to_string(s.data_rate_sps) + " SPS");
    auto g = ads1256::pga_code(s.pga_gain);
    if (!g) throw std::invalid_argument("ADS1256: unsupported PGA gain " + std::to_string(s.pga_gain));
    drate_ = *d;
    adcon_ = *g;  // clock out off, sensor detect off
    // ACAL off: the PGA changes with every input switch, and auto-calibration
    // would then add a calibration to every conversion. One SELFCAL at setup;
    // the calibration records take each input's gain end to end.
    status_ = static_cast<std::uint8_t>(ads1256::status_order_msb_first | (s.input_buffer ? ads1256::status_bufen : 0));
}

void Ads1256::wait_drdy(const char* after) {
    const Nanos deadline = clock_->now() + settings_.drdy_timeout;
    // Setup path only: poll every 50 µs, well below a conversion at any rate.
    while (!ready()) {
        if (clock_->now() >= deadline) {
            throw std::runtime_error("ADS1256 on " + spi_->name() + ": DRDY timeout after " + after + " (no DRDY within " +
                                     std::to_string(settings_.drdy_timeout.count() / 1000) +
                                     " us: chip absent, unclocked, or DRDY miswired?)");
        }
        clock_->sleep_until(clock_->now() + std::chrono::microseconds(50));
    }
}

bool Ads1256::ready() noexcept {
    auto v = drdy_->value();
    return v.has_value() && !*v;  // DRDY is active-low
}

void Ads1256::configure() {
    using namespace ads1256;
    const std::array<std::uint8_t, 1> rst{reset};
    const SpiSegment s_reset{rst, {}, t11_sync};
    spi_->transfer_or_throw(std::span(&s_reset, 1), "ADS1256: RESET");
    wait_drdy("RESET");

    const std::array<std::uint8_t, 1> stop{sdatac};
    const std::array<std::uint8_t, 6> regs{static_cast<std::uint8_t>(wreg | reg_status), 3, status_, mux_byte(0, ain_com),
                                           adcon_, drate_};
    const std::array<SpiSegment, 2> setup{SpiSegment{stop, {}, t11_short}, SpiSegment{regs, {}, t11_short}};
    spi_->transfer_or_throw(setup, "ADS1256: SDATAC + WREG STATUS..DRATE");

    std::array<std::uint8_t, 4> back{};
    read_registers(reg_status, back);
    // STATUS bits 7:4 are the chip ID and bit 0 the live DRDY: compare the
    // bits written, not the whole byte.
    const bool ok = (back[0] & 0x0E) == (status_ & 0x0E) && back[2] == adcon_ && back[3] == drate_;
    if (!ok) {
        throw std::runtime_error("ADS1256 on " + spi_->name() + ": register read-back STATUS=" + hex(back[0]) +
                                 " ADCON=" + hex(back[2]) + " DRATE=" + hex(back[3]) + ", expected STATUS bits " +
                                 hex(status_) + " ADCON=" + hex(adcon_) + " DRATE=" + hex(drate_) +
                                 " (chip absent or miswired?)");
    }
    const std::array<std::uint8_t, 1> cal{selfcal};
    const SpiSegment s_cal{cal, {}, t11_short};
    spi_->transfer_or_throw(std::span(&s_cal, 1), "ADS1256: SELFCAL");
    wait_drdy("SELFCAL");
}

void Ads1256::read_registers(std::uint8_t first, std::span<std::uint8_t> out) {
    if (out.empty() || out.size() > 4) throw std::invalid_argument("ADS1256: read 1..4 registers");
    const std::array<std::uint8_t, 2> cmd{static_cast<std::uint8_t>(ads1256::rreg | (first & 0x0F)),
                                          static_cast<std::uint8_t>(out.size() - 1)};
    std::array<std::uint8_t, 4> zeros{};
    const std::array<SpiSegment, 2> seg{SpiSegment{cmd, {}, ads1256::t6_delay},
                                        SpiSegment{std::span(zeros.data(), out.size()), out, {}}};
    spi_->transfer_or_throw(seg, "ADS1256: RREG");
}

void Ads1256::start(std::uint8_t mux, std::uint8_t pga) {
    using namespace ads1256;
    const std::array<std::uint8_t, 4> w{static_cast<std::uint8_t>(wreg | reg_mux), 1, mux, pga};
    const std::array<std::uint8_t, 1> s{sync};
    const std::array<std::uint8_t, 1> wk{wakeup};
    const std::array<SpiSegment, 3> seg{SpiSegment{w, {}, t11_short}, SpiSegment{s, {}, t11_sync},
                                        SpiSegment{wk, {}, t11_short}};
    spi_->transfer_or_throw(seg, "ADS1256: WREG MUX + SYNC + WAKEUP");
}

std::optional<std::int32_t> Ads1256::cycle(std::uint8_t next_mux, std::uint8_t next_pga) noexcept {
    using namespace ads1256;
    // WREG MUX and ADCON (adjacent registers) in one command.
    const std::array<std::uint8_t, 4> w{static_cast<std::uint8_t>(wreg | reg_mux), 1, next_mux, next_pga};
    const std::array<std::uint8_t, 1> s{sync};
    const std::array<std::uint8_t, 2> wk_rd{wakeup, rdata};
    const std::array<std::uint8_t, 3> zeros{};
    std::array<std::uint8_t, 3> data{};
    const std::array<SpiSegment, 4> seg{SpiSegment{w, {}, t11_short}, SpiSegment{s, {}, t11_sync},
                                        SpiSegment{wk_rd, {}, t6_delay}, SpiSegment{zeros, data, {}}};
    if (spi_->transfer(seg)) return std::nullopt;
    const std::uint32_t raw = (std::uint32_t{data[0]} << 16) | (std::uint32_t{data[1]} << 8) | std::uint32_t{data[2]};
    return ads1256::sign_extend_24(raw);
}

Ads1256Channels::Ads1256Channels(Ads1256& adc, AdcChannel force, AdcChannel current, Clock& clock)
    : adc_(&adc), clock_(&clock) {
    slots_[0].ch = force;
    slots_[1].ch = current;
    for (auto& s : slots_) {
        auto code = ads1256::pga_code(s.ch.pga_gain);
        if (!code) throw std::invalid_argument("ADS1256: unsupported PGA gain " + std::to_string(s.ch.pga_gain));
        s.pga = *code;
    }
    adc_->start(force.mux, slots_[0].pga);
    converting_ = 0;
}

void Ads1256Channels::poll() noexcept {
    if (!adc_->ready()) return;
    const std::size_t next = 1 - converting_;
    auto code = adc_->cycle(slots_[next].ch.mux, slots_[next].pga);
    if (!code) return;  // chip state unknown; DRDY stays low and the next poll retries
    auto& done = slots_[converting_];
    done.code = *code;
    done.at = clock_->now();
    ++done.count;
    converting_ = next;
}

std::optional<double> Ads1256Channels::value(std::size_t i) noexcept {
    const auto& s = slots_[i];
    if (s.count == 0) return std::nullopt;
    if (clock_->now() - s.at > adc_->settings().drdy_timeout) return std::nullopt;
    if (s.code >= ads1256::code_max || s.code <= ads1256::code_min) return std::nullopt;  // clipped
    return static_cast<double>(s.code) * s.ch.scale_per_count + s.ch.offset;
}

std::optional<double> Ads1256Channels::read_n() noexcept {
    poll();
    return value(0);
}

std::optional<double> Ads1256Channels::read_a() noexcept {
    poll();
    return value(1);
}

}  // namespace rig::hw
