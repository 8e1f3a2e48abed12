#include "rig/analysis/stall.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <optional>
#include <span>
#include <vector>
#include <sstream>
#include <stdexcept>

namespace rig::analysis {
namespace {

double interp_time(std::int64_t t0, double y0, std::int64_t t1, double y1, double level) {
    // Only a real crossing is interpolated (else the later sample's time).
    if (y1 == y0 || (level - y0) * (level - y1) > 0.0) return static_cast<double>(t1);
    return static_cast<double>(t0) + static_cast<double>(t1 - t0) * (level - y0) / (y1 - y0);
}

/// Centred moving mean of y over |t_k - t_j| <= w/2, for samples [b, e)
/// (index 0 of the result is sample b).
std::vector<double> smoothed(std::span<const std::int64_t> t, std::span<const double> y, std::size_t b,
                             std::size_t e, std::int64_t w) {
    std::vector<double> out(e - b);
    const std::int64_t half = w / 2;
    std::size_t lo = b, hi = b;  // [lo, hi) inside the window of sample j
    double sum = 0.0;
    for (std::size_t j = b; j < e; ++j) {
        while (hi < e && t[hi] - t[j] <= half) sum += y[hi++];
        while (t[j] - t[lo] > half) sum -= y[lo++];
        out[j - b] = sum / static_cast<double>(hi - lo);
    }
    return out;
}

struct Change {
    bool on = false;               // the new state
    std::size_t confirmed_at = 0;  // sample at which the new state had held min_dwell
    std::size_t raw_index = 0;     // first raw sample beyond the threshold: the instant is its crossing
};

/// Schmitt trigger with dwell on the smoothed current `sm` (index 0 = sample
/// b), and each change's instant from the raw current (see stall.hpp).
std::vector<Change> drive_changes(std::span<const std::int64_t> t, std::span<const double> cur,
                                  std::span<const double> sm, std::size_t b, std::size_t e, double thr,
                                  double thr_on, std::int64_t dwell, std::int64_t half) {
    std::vector<Change> out;
    bool on = sm[0] >= thr;
    std::size_t last_solid = b;  // last sample firmly in the current state
    std::optional<std::size_t> cand;
    for (std::size_t k = b; k < e; ++k) {
        const double v = sm[k - b];
        const bool beyond = on ? v < thr : v >= thr_on;  // past the other level
        const bool firm = on ? v >= thr_on : v < thr;    // firmly in the current state
        if (firm) {
            last_solid = k;
            cand.reset();
            continue;
        }
        if (beyond && !cand) cand = k;
        if (!cand || t[k] - t[*cand] < dwell) continue;
        Change c;
        c.on = !on;
        c.confirmed_at = k;
        c.raw_index = std::max(k, b + 1);
        // The raw crossing after the old state's last firm sample; the smoothed
        // current is centred, so it sees an edge half a window early or late:
        // search from half a window before that sample.
        std::size_t from = std::max(last_solid, b + 1);
        while (from > b + 1 && t[last_solid] - t[from - 1] <= half) --from;
        for (std::size_t j = from; j <= k; ++j) {
            const bool crossed = c.on ? (cur[j - 1] < thr && cur[j] >= thr) : (cur[j - 1] >= thr && cur[j] < thr);
            if (crossed) {
                c.raw_index = j;
                break;
            }
        }
        out.push_back(c);
        on = !on;
        last_solid = k;
        cand.reset();
    }
    return out;
}

}  // namespace

StallResult analyze_stall(TraceView v, std::int64_t t_brake_ns, std::int64_t t_end_ns, const StallOptions& opt) {
    if (!v.has_measurement_columns())
        throw std::invalid_argument("analyze_stall: position, force, current and flags columns must match t_ns");
    StallResult r;
    const IndexRange range = index_range(v, TimeWindow{t_brake_ns, t_end_ns});
    QualityOptions q;
    q.max_sample_interval = opt.max_sample_interval;
    q.fault_flags = sample_encoder_fault | sample_current_fault;
    q.min_samples = 3;
    const WindowQuality quality = check_window(v, range.begin, range.end, q);
    if (!quality.ok()) {
        r.invalid = quality.invalid;
        return r;
    }
    const std::size_t b = range.begin, e = range.end;
    const auto& x = v.position_mm;
    const auto& t = v.t_ns;
    const auto& cur = v.current_a;

    // Earliest still period: two pointers with monotonic deques give, for
    // every end sample j, the smallest start s with max - min <= band over
    // s..j. The first j with t[j] - t[s] >= min_still fixes the onset at s;
    // no earlier start can qualify (its range to j already exceeds the band,
    // and its shorter periods were checked at earlier j).
    std::deque<std::size_t> maxq, minq;
    std::size_t s = b;
    bool found = false;
    for (std::size_t j = b; j < e; ++j) {
        while (!maxq.empty() && x[maxq.back()] <= x[j]) maxq.pop_back();
        maxq.push_back(j);
        while (!minq.empty() && x[minq.back()] >= x[j]) minq.pop_back();
        minq.push_back(j);
        while (x[maxq.front()] - x[minq.front()] > opt.stillness_band_mm) {
            ++s;
            if (maxq.front() < s) maxq.pop_front();
            if (minq.front() < s) minq.pop_front();
        }
        if (t[j] - t[s] >= opt.min_still_time.count()) {
            found = true;
            break;
        }
    }
    if (!found) {
        std::ostringstream m;
        m << "no stall onset: the needle never stayed within " << opt.stillness_band_mm * 1000.0 << " um for "
          << static_cast<double>(opt.min_still_time.count()) * 1e-6 << " ms after the brake engaged";
        r.invalid = m.str();
        return r;
    }
    r.onset_index = s;
    r.stall_seen = true;
    r.onset_ns = t[s];

    const double thr = opt.current_threshold_a;
    const double thr_on = thr + opt.hysteresis_a.value_or(0.5 * std::abs(thr));
    const std::vector<double> sm = smoothed(t, cur, b, e, opt.smoothing_window.count());
    const auto changes = drive_changes(t, cur, sm, b, e, thr, thr_on, opt.min_dwell.count(),
                                       opt.smoothing_window.count() / 2);

    // The cut-off: the last change at or before the onset if it is a cut (the
    // drive was off when the needle stopped), else the first cut after it.
    const Change* cut = nullptr;
    for (const auto& ch : changes) {
        if (ch.raw_index <= s) {
            cut = ch.on ? nullptr : &ch;
        } else if (cut == nullptr && !ch.on) {
            cut = &ch;
            break;
        } else if (cut != nullptr) {
            break;
        }
    }
    if (cut == nullptr) {
        r.latency_lower_bound_s = static_cast<double>(t[e - 1] - r.onset_ns) * 1e-9;
        std::ostringstream m;
        m << "no cut-off: the motor current did not fall below " << thr << " A and stay there for "
          << static_cast<double>(opt.min_dwell.count()) * 1e-6 << " ms after the stall (latency > "
          << r.latency_lower_bound_s * 1e3 << " ms, window end)";
        r.invalid = m.str();
        return r;
    }
    r.cut_off = true;
    const std::size_t k = cut->raw_index;
    r.cutoff_index = k;
    // The current's crossing on its own time base: between the conversions
    // the two samples carry (a held value shares its conversion's instant).
    auto crossing = [&](std::size_t j) {
        const std::int64_t c0 = v.current_t_ns(j - 1), c1 = v.current_t_ns(j);
        return c1 > c0 ? interp_time(c0, cur[j - 1], c1, cur[j], thr) : static_cast<double>(c1);
    };
    r.cutoff_ns = crossing(k);
    r.latency_s = (r.cutoff_ns - static_cast<double>(r.onset_ns)) * 1e-9;

    for (const auto& ch : changes) {
        if (!ch.on || ch.confirmed_at <= cut->confirmed_at) continue;
        const std::size_t j = ch.raw_index;
        r.retried = true;
        r.retry_ns = crossing(j);
        r.retry_delay_s = (r.retry_ns - r.cutoff_ns) * 1e-9;
        break;
    }
    r.latched = !r.retried;
    return r;
}

}  // namespace rig::analysis
