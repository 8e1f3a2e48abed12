#include "rig/hw/ads1256.hpp"

#include <pthread.h>
#include <sched.h>

#include <array>
#include <system_error>
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

namespace {
struct RateTiming {
    double sps;
    double settling_ms;  // Table 13
    double cycling_hz;   // Table 14
};
constexpr std::array<RateTiming, 16> rate_timing{{{30000, 0.21, 4374}, {15000, 0.25, 3817}, {7500, 0.31, 3043},
                                                  {3750, 0.44, 2165},  {2000, 0.68, 1438},  {1000, 1.18, 837},
                                                  {500, 2.18, 456},    {100, 10.18, 98},    {60, 16.84, 59},
                                                  {50, 20.18, 50},     {30, 33.51, 30},     {25, 40.18, 25},
                                                  {15, 66.84, 15},     {10, 100.18, 10},    {5, 200.18, 5},
                                                  {2.5, 400.18, 2.5}}};
}  // namespace

std::chrono::nanoseconds settling_time(double sps) noexcept {
    for (const auto& r : rate_timing) {
        if (r.sps == sps) return std::chrono::nanoseconds(static_cast<std::int64_t>(r.settling_ms * 1e6));
    }
    return std::chrono::nanoseconds(0);
}

double cycling_throughput_hz(double sps) noexcept {
    for (const auto& r : rate_timing) {
        if (r.sps == sps) return r.cycling_hz;
    }
    return 0.0;
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
    // would then add a calibration to every conversion. Each gain is
    // self-calibrated once (self_calibrate) and its OFC/FSC restored on switch.
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

std::array<std::uint8_t, 6> Ads1256::self_calibrate(std::uint8_t pga) {
    using namespace ads1256;
    const std::array<std::uint8_t, 3> w{static_cast<std::uint8_t>(wreg | reg_adcon), 0, pga};
    const std::array<std::uint8_t, 1> cal{selfcal};
    const std::array<SpiSegment, 2> seg{SpiSegment{w, {}, t11_short}, SpiSegment{cal, {}, t11_short}};
    spi_->transfer_or_throw(seg, "ADS1256: WREG ADCON + SELFCAL");
    wait_drdy("SELFCAL");
    std::array<std::uint8_t, 6> out{};
    read_registers(reg_ofc0, out);
    return out;
}

void Ads1256::read_registers(std::uint8_t first, std::span<std::uint8_t> out) {
    if (out.empty() || out.size() > 11) throw std::invalid_argument("ADS1256: read 1..11 registers");
    const std::array<std::uint8_t, 2> cmd{static_cast<std::uint8_t>(ads1256::rreg | (first & 0x0F)),
                                          static_cast<std::uint8_t>(out.size() - 1)};
    std::array<std::uint8_t, 11> zeros{};
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

namespace {
// One conversion read, then the next input started, in one chip-select
// transaction: RDATA, the 24-bit result, `wreg_cmd` (a WREG from MUX on),
// SYNC, WAKEUP. std::nullopt when the transfer fails.
std::optional<std::int32_t> read_then_start(SpiDevice& spi, std::span<const std::uint8_t> wreg_cmd) noexcept {
    using namespace ads1256;
    const std::array<std::uint8_t, 1> rd{rdata};
    const std::array<std::uint8_t, 3> zeros{};
    std::array<std::uint8_t, 3> data{};
    const std::array<std::uint8_t, 1> s{sync};
    const std::array<std::uint8_t, 1> wk{wakeup};
    const std::array<SpiSegment, 5> seg{SpiSegment{rd, {}, t6_delay}, SpiSegment{zeros, data, t11_short},
                                        SpiSegment{wreg_cmd, {}, t11_short}, SpiSegment{s, {}, t11_sync},
                                        SpiSegment{wk, {}, t11_short}};
    if (spi.transfer(seg)) return std::nullopt;
    const std::uint32_t raw = (std::uint32_t{data[0]} << 16) | (std::uint32_t{data[1]} << 8) | std::uint32_t{data[2]};
    return sign_extend_24(raw);
}
}  // namespace

std::optional<std::int32_t> Ads1256::cycle(std::uint8_t next_mux, std::uint8_t next_pga) noexcept {
    using namespace ads1256;
    // Read first, then switch: see the calibrated overload below.
    const std::array<std::uint8_t, 4> w{static_cast<std::uint8_t>(wreg | reg_mux), 1, next_mux, next_pga};
    return read_then_start(*spi_, w);
}

std::optional<std::int32_t> Ads1256::cycle(std::uint8_t next_mux, std::uint8_t next_pga,
                                           const std::array<std::uint8_t, 6>& cal) noexcept {
    using namespace ads1256;
    // Read first, then switch. The datasheet's order (WREG MUX first, p.21)
    // assumes the host acts at DRDY; polled from a loop, the chip has gone on
    // converting the same input every 1/fDATA (33 us at 30 kSPS), and a
    // conversion completing between the MUX write and WAKEUP would mix both
    // inputs into the data register. RDATA loads the output shift register at
    // the command, so the value read is the newest whole conversion.
    // MUX ADCON DRATE IO OFC0..2 FSC0..2 are adjacent: one WREG of 10.
    const std::array<std::uint8_t, 12> w{static_cast<std::uint8_t>(wreg | reg_mux), 9, next_mux, next_pga, drate_, io_,
                                         cal[0], cal[1], cal[2], cal[3], cal[4], cal[5]};
    return read_then_start(*spi_, w);
}

namespace {
// The DRDY falling edge of the conversion just collected: the line's event
// timestamp when it has one, else now (then the age is an upper bound).
Nanos drdy_time(GpioInput& drdy, Clock& clock) noexcept {
    (void)drdy.take_edges();
    const Nanos now = clock.now();
    if (auto t = drdy.last_edge_time(); t && *t <= now) return *t;
    return now;
}
}  // namespace

Ads1256Channels::Ads1256Channels(Ads1256& adc, GpioInput& drdy, AdcChannel force, AdcChannel current, Clock& clock)
    : adc_(&adc), drdy_(&drdy), clock_(&clock) {
    slots_[0].ch = force;
    slots_[1].ch = current;
    for (auto& s : slots_) {
        auto code = ads1256::pga_code(s.ch.pga_gain);
        if (!code) throw std::invalid_argument("ADS1256: unsupported PGA gain " + std::to_string(s.ch.pga_gain));
        s.pga = *code;
    }
    same_gain_ = slots_[0].pga == slots_[1].pga;
    half_settle_ = ads1256::settling_time(adc.settings().data_rate_sps) / 2;
    // Each gain's own calibration (datasheet p.24: calibrate when the PGA changes).
    slots_[1].cal = adc_->self_calibrate(slots_[1].pga);
    slots_[0].cal = same_gain_ ? slots_[1].cal : adc_->self_calibrate(slots_[0].pga);
    // Start with the force input (its calibration is the one in the chip now).
    adc_->start(force.mux, slots_[0].pga);
    (void)drdy_->take_edges();
    converting_ = 0;
}

void Ads1256Channels::poll() noexcept {
    if (!adc_->ready()) return;
    const Nanos at = drdy_time(*drdy_, *clock_);
    const std::size_t next = 1 - converting_;
    auto code = same_gain_ ? adc_->cycle(slots_[next].ch.mux, slots_[next].pga)
                           : adc_->cycle(slots_[next].ch.mux, slots_[next].pga, slots_[next].cal);
    if (!code) return;  // chip state unknown; DRDY stays low and the next poll retries
    auto& done = slots_[converting_];
    done.code = *code;
    done.represents = at - half_settle_;
    ++done.count;
    converting_ = next;
}

Ads1256Channels::~Ads1256Channels() {
    service_.request_stop();
    if (service_.joinable()) service_.join();
}

void Ads1256Channels::service_once() noexcept {
    const auto before = slots_[0].count + slots_[1].count;
    poll();
    if (slots_[0].count + slots_[1].count == before) return;
    for (std::size_t i = 0; i < 2; ++i) published_[i].publish({slots_[i].code, slots_[i].represents, slots_[i].count});
}

std::string Ads1256Channels::start_service(std::optional<int> priority) {
    enable_service_mode();
    const auto timeout = adc_->settings().drdy_timeout;
    service_ = std::jthread([this, timeout](const std::stop_token& st) {
        while (!st.stop_requested()) {
            (void)drdy_->wait_edge(timeout);
            if (st.stop_requested()) break;
            service_once();
        }
    });
    if (!priority) return {};
    sched_param sp{};
    sp.sched_priority = *priority;
    if (const int err = ::pthread_setschedparam(service_.native_handle(), SCHED_FIFO, &sp)) {
        return "ADS1256 service thread: SCHED_FIFO " + std::to_string(*priority) + " not applied (" +
               std::system_category().message(err) + ")";
    }
    return {};
}

std::optional<double> Ads1256Channels::value(std::size_t i) noexcept {
    auto& s = slots_[i];
    // Service mode: the service thread owns the chip and the slots'
    // conversion fields; the loop reads the published copy only. The reader's
    // own fields are `returned` and `timing`.
    const PublishedConversion::Value c =
        serviced_ ? published_[i].read() : PublishedConversion::Value{s.code, s.represents, s.count};
    const Nanos now = clock_->now();
    s.timing.fresh = c.count != s.returned;
    s.returned = c.count;
    s.timing.represents = c.represents;
    s.timing.age = now - c.represents;
    // Datasheet §9.4.2 (data format): an input beyond the positive full scale
    // reads 0x7FFFFF, beyond the negative one 0x800000.
    s.timing.clipped = c.count != 0 && (c.code >= ads1256::code_max || c.code <= ads1256::code_min);
    if (c.count == 0) return std::nullopt;
    if (s.timing.age > adc_->settings().drdy_timeout) return std::nullopt;
    if (s.timing.clipped) return std::nullopt;
    return static_cast<double>(c.code) * s.ch.scale_per_count + s.ch.offset;
}

ReadingTiming Ads1256Channels::timing_of(std::size_t i) const noexcept {
    const auto& t = slots_[i].timing;
    return {t.age.count(), t.fresh, t.clipped};
}

std::optional<double> Ads1256Channels::read(std::size_t input) noexcept {
    if (!serviced_) poll();
    return value(input > 0 ? 1 : 0);
}

Ads1256Single::Ads1256Single(Ads1256& adc, GpioInput& drdy, AdcChannel ch, Clock& clock)
    : adc_(&adc), drdy_(&drdy), clock_(&clock), ch_(ch) {
    auto code = ads1256::pga_code(ch.pga_gain);
    if (!code) throw std::invalid_argument("ADS1256: unsupported PGA gain " + std::to_string(ch.pga_gain));
    half_settle_ = ads1256::settling_time(adc.settings().data_rate_sps) / 2;
    (void)adc_->self_calibrate(*code);
    adc_->start(ch.mux, *code);
    (void)drdy_->take_edges();
}

std::optional<double> Ads1256Single::read() noexcept {
    if (adc_->ready()) {
        const Nanos at = drdy_time(*drdy_, *clock_);
        // Continuous conversion of one input: RDATA only (no restart).
        const std::array<std::uint8_t, 1> rd{ads1256::rdata};
        const std::array<std::uint8_t, 3> zeros{};
        std::array<std::uint8_t, 3> data{};
        const std::array<SpiSegment, 2> seg{SpiSegment{rd, {}, ads1256::t6_delay}, SpiSegment{zeros, data, {}}};
        if (!adc_->spi().transfer(seg)) {
            const std::uint32_t raw =
                (std::uint32_t{data[0]} << 16) | (std::uint32_t{data[1]} << 8) | std::uint32_t{data[2]};
            code_ = ads1256::sign_extend_24(raw);
            represents_ = at - half_settle_;
            ++count_;
        }
    }
    const Nanos now = clock_->now();
    timing_.fresh = count_ != returned_;
    returned_ = count_;
    timing_.represents = represents_;
    timing_.age = now - represents_;
    timing_.clipped = count_ != 0 && (code_ >= ads1256::code_max || code_ <= ads1256::code_min);
    if (count_ == 0 || timing_.age > adc_->settings().drdy_timeout) return std::nullopt;
    if (timing_.clipped) return std::nullopt;
    return static_cast<double>(code_) * ch_.scale_per_count + ch_.offset;
}

ReadingTiming Ads1256Single::timing() const noexcept { return {timing_.age.count(), timing_.fresh, timing_.clipped}; }

}  // namespace rig::hw
