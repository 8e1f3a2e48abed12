#include "rig/analysis/stall.hpp"

#include <algorithm>
#include <deque>
#include <sstream>
#include <stdexcept>

namespace rig::analysis {
namespace {

double interp_time(std::int64_t t0, double y0, std::int64_t t1, double y1, double level) {
    if (y1 == y0) return static_cast<double>(t1);
    return static_cast<double>(t0) + static_cast<double>(t1 - t0) * (level - y0) / (y1 - y0);
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
    r.onset_ns = t[s];

    const double thr = opt.current_threshold_a;
    std::size_t cut = e;
    if (cur[s] >= thr) {
        for (std::size_t k = s + 1; k < e; ++k)
            if (cur[k - 1] >= thr && cur[k] < thr) {
                cut = k;
                break;
            }
    } else {
        // Already cut when the needle came to rest: the last downward
        // crossing since the brake engaged.
        for (std::size_t k = s; k > b; --k)
            if (cur[k - 1] >= thr && cur[k] < thr) {
                cut = k;
                break;
            }
    }
    if (cut == e) {
        std::ostringstream m;
        m << "no cut-off: the motor current never fell below " << thr << " A after the stall";
        r.invalid = m.str();
        return r;
    }
    r.cutoff_index = cut;
    r.cutoff_ns = interp_time(t[cut - 1], cur[cut - 1], t[cut], cur[cut], thr);
    r.latency_s = (r.cutoff_ns - static_cast<double>(r.onset_ns)) * 1e-9;

    for (std::size_t k = cut + 1; k < e; ++k) {
        if (cur[k - 1] < thr && cur[k] >= thr) {
            r.retried = true;
            r.retry_ns = interp_time(t[k - 1], cur[k - 1], t[k], cur[k], thr);
            r.retry_delay_s = (r.retry_ns - r.cutoff_ns) * 1e-9;
            break;
        }
    }
    r.latched = !r.retried;
    return r;
}

}  // namespace rig::analysis
