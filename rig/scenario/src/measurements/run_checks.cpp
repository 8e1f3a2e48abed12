// Run-start checks and ADC full-scale counts (rig/scenario/run_checks.hpp).
#include "rig/scenario/run_checks.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "instrument_checks.hpp"
#include "rig/scenario/measure_kind.hpp"

namespace rig::checks {
namespace {

struct MeanSd {
    double mean = 0.0, sd = 0.0;
    std::size_t n = 0;
};

template <typename Get>
MeanSd mean_sd(std::size_t begin, std::size_t end, Get get) {
    // Two passes: the tare's noise is small beside its mean (no cancellation).
    MeanSd r;
    double sum = 0.0;
    for (std::size_t k = begin; k < end; ++k) {
        if (auto x = get(k)) sum += *x, ++r.n;
    }
    if (r.n == 0) return r;
    r.mean = sum / static_cast<double>(r.n);
    double ss = 0.0;
    for (std::size_t k = begin; k < end; ++k) {
        if (auto x = get(k)) ss += (*x - r.mean) * (*x - r.mean);
    }
    r.sd = r.n > 1 ? std::sqrt(ss / static_cast<double>(r.n - 1)) : 0.0;
    return r;
}

void add(InstrumentResult& r, const char* instrument, const char* check, double value, double limit, const char* unit,
         std::optional<std::string> reason) {
    if (reason && !r.failure) r.failure = reason;
    r.record.push_back(entry(instrument, check, value, limit, unit, reason));
}

std::string fmt(double v, const char* unit, double scale) {
    std::ostringstream o;
    o.precision(4);
    o << v * scale << ' ' << unit;
    return o.str();
}

bool uses(std::span<const std::string_view> instruments, std::string_view which) {
    return std::find(instruments.begin(), instruments.end(), which) != instruments.end();
}

}  // namespace

RunStartChecks run_start_checks(analysis::TraceView v, std::span<const Event> events, std::span<const StepSpan> spans) {
    RunStartChecks r;
    const Event* on = analysis::find_event(events, EventKind::power_on);
    if (on == nullptr) return r;
    r.taken = true;
    r.end_ns = on->t_ns;
    r.begin_ns = on->step_index < spans.size() && spans[on->step_index].start_ns >= 0 ? spans[on->step_index].start_ns
                                                                                       : on->t_ns;
    const auto range = analysis::index_range(v, analysis::TimeWindow{r.begin_ns, r.end_ns});
    r.samples = range.size();
    const std::int64_t span_ns = range.size() > 1 ? v.t_ns[range.end - 1] - v.t_ns[range.begin] : 0;
    const auto min_ns = std::chrono::nanoseconds(kRunStartMinWindow).count();
    if (span_ns < min_ns) {
        // No valid window (a record from before the run-start checks, or a
        // recording that lost the samples): nothing to tare with.
        std::ostringstream m;
        m << "no run-start window before power-on (" << static_cast<double>(span_ns) * 1e-6 << " ms of samples, at least "
          << kRunStartMinWindow.count() << " ms needed)";
        add(r.load_cell, "load_cell", "tare", std::nan(""), kTareLimitN, "N", "load cell: " + m.str() + ": no tare");
        add(r.current_sense, "current_sense", "zero", std::nan(""), kCurrentZeroLimitA, "A",
            "current sense: " + m.str() + ": no zero check");
        return r;
    }
    std::size_t force_clipped = 0, current_clipped = 0;
    double lo = 1e300, hi = -1e300;
    for (std::size_t k = range.begin; k < range.end; ++k) {
        if ((v.flags[k] & sample_force_clipped) != 0) ++force_clipped;
        if ((v.flags[k] & sample_current_clipped) != 0) ++current_clipped;
        if ((v.flags[k] & sample_encoder_fault) == 0) lo = std::min(lo, v.position_mm[k]), hi = std::max(hi, v.position_mm[k]);
    }
    // Fresh conversions only (a held ADC value is the same reading again).
    const auto force = mean_sd(range.begin, range.end, [&](std::size_t k) -> std::optional<double> {
        if ((v.flags[k] & (sample_force_fault | sample_force_held)) != 0) return std::nullopt;
        return v.force_n[k];
    });
    const auto current = mean_sd(range.begin, range.end, [&](std::size_t k) -> std::optional<double> {
        if ((v.flags[k] & (sample_current_fault | sample_current_held)) != 0) return std::nullopt;
        return v.current_a[k];
    });
    r.tare_n = force.mean, r.tare_sd_n = force.sd;
    r.current_zero_a = current.mean, r.current_sd_a = current.sd;
    const std::string over = " over " + std::to_string(force.n) + " readings before power-on";

    // Load cell.
    const double still = hi >= lo ? hi - lo : std::nan("");
    add(r.load_cell, "load_cell", "needle_still", still, kStillLimitMm, "mm",
        !(still <= kStillLimitMm)
            ? std::optional<std::string>("load cell: the needle moved " + fmt(still, "um", 1e3) +
                                         " during the tare (limit " + fmt(kStillLimitMm, "um", 1e3) +
                                         "): not a no-load zero")
            : std::nullopt);
    add(r.load_cell, "load_cell", "adc_full_scale_at_tare", static_cast<double>(force_clipped), 0.0, "samples",
        force_clipped > 0 ? std::optional<std::string>("load cell at ADC full scale during the tare: " +
                                                       std::to_string(force_clipped) + " samples")
                          : std::nullopt);
    add(r.load_cell, "load_cell", "tare", force.n > 0 ? force.mean : std::nan(""), kTareLimitN, "N",
        force.n == 0 ? std::optional<std::string>("load cell: no reading during the tare")
        : std::abs(force.mean) > kTareLimitN
            ? std::optional<std::string>("load cell: tare " + fmt(force.mean, "mN", 1e3) + over +
                                         ", the calibration record's zero is 0 N (limit +/-" +
                                         fmt(kTareLimitN, "mN", 1e3) + "): zero not at its calibration")
            : std::nullopt);
    add(r.load_cell, "load_cell", "tare_noise", force.sd, kTareNoiseLimitN, "N",
        force.sd > kTareNoiseLimitN ? std::optional<std::string>("load cell: noise " + fmt(force.sd, "mN", 1e3) +
                                                                 " RMS during the tare (limit " +
                                                                 fmt(kTareNoiseLimitN, "mN", 1e3) + ")")
                                    : std::nullopt);

    // Current sense: the pen is unpowered, its true current is 0.
    add(r.current_sense, "current_sense", "adc_full_scale_at_zero", static_cast<double>(current_clipped), 0.0,
        "samples",
        current_clipped > 0 ? std::optional<std::string>("current sense at ADC full scale with the pen unpowered: " +
                                                         std::to_string(current_clipped) + " samples")
                            : std::nullopt);
    add(r.current_sense, "current_sense", "zero", current.n > 0 ? current.mean : std::nan(""), kCurrentZeroLimitA,
        "A",
        current.n == 0 ? std::optional<std::string>("current sense: no reading with the pen unpowered")
        : std::abs(current.mean) > kCurrentZeroLimitA
            ? std::optional<std::string>("current sense: " + fmt(current.mean, "mA", 1e3) +
                                         " with the pen unpowered (limit +/-" + fmt(kCurrentZeroLimitA, "mA", 1e3) +
                                         "): zero not at its calibration")
            : std::nullopt);
    add(r.current_sense, "current_sense", "zero_noise", current.sd, kCurrentNoiseLimitA, "A",
        current.sd > kCurrentNoiseLimitA
            ? std::optional<std::string>("current sense: noise " + fmt(current.sd, "mA", 1e3) +
                                         " RMS with the pen unpowered (limit " + fmt(kCurrentNoiseLimitA, "mA", 1e3) +
                                         ")")
            : std::nullopt);
    return r;
}

void apply_instrument_checks(Measurement& m, std::span<const std::string_view> instruments,
                             const RunStartChecks* run_start, analysis::TraceView v, analysis::TimeWindow w) {
    struct Instrument {
        std::string_view name;
        const char* says;
        std::uint32_t clip_flag;
        const InstrumentResult* start;
    };
    const Instrument all[] = {
        {"load_cell", "load cell", sample_force_clipped, run_start != nullptr ? &run_start->load_cell : nullptr},
        {"current_sense", "current sense", sample_current_clipped,
         run_start != nullptr ? &run_start->current_sense : nullptr},
    };
    std::optional<std::string> failure;
    nlohmann::json& list = m.stats["checks"];
    if (!list.is_array()) list = nlohmann::json::array();
    for (const auto& ins : all) {
        if (!uses(instruments, ins.name)) continue;
        const std::string name(ins.name);
        if (run_start == nullptr || !run_start->taken) {
            const std::string why = std::string(ins.says) + ": no run-start check (the pen was not powered on after one)";
            list.push_back(entry(name.c_str(), "run_start", std::nan(""), 0.0, "", why));
            if (!failure) failure = why;
        } else {
            for (const auto& c : ins.start->record) list.push_back(c);
            if (ins.start->failure && !failure) failure = ins.start->failure;
        }
        const auto range = analysis::index_range(v, w);
        std::size_t clipped = 0;
        for (std::size_t k = range.begin; k < range.end; ++k) if ((v.flags[k] & ins.clip_flag) != 0) ++clipped;
        std::optional<std::string> why;
        if (clipped > 0) {
            why = std::string(ins.says) + " at ADC full scale: " + std::to_string(clipped) + " samples in the window";
            if (!failure) failure = why;
        }
        list.push_back(entry(name.c_str(), "adc_full_scale", static_cast<double>(clipped), 0.0, "samples", why));
    }
    if (!failure) return;
    // The instrument's reason comes first: it says why the data are not valid,
    // whatever the analysis made of them.
    if (m.outcome == Outcome::error && !m.message.empty() && m.message != *failure) {
        m.message = *failure + " (" + m.message + ")";
    } else {
        m.message = *failure;
    }
    m.outcome = Outcome::error;
    m.value.reset();
}

}  // namespace rig::checks
