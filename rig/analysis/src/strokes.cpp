#include "rig/analysis/strokes.hpp"

#include "rig/analysis/stroke_detector.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace rig::analysis {
namespace {

struct Summary {
    std::size_t count = 0;
    double mean = 0.0, sd = 0.0, min = 0.0, max = 0.0;
};

// Two passes (mean, then squared deviations) in index order: numerically
// sound and the same bits every time the same data is analysed.
template <typename Get>
Summary summarize(std::size_t n, Get get) {
    Summary s;
    s.count = n;
    if (n == 0) return s;
    double sum = 0.0;
    s.min = s.max = get(0);
    for (std::size_t i = 0; i < n; ++i) {
        const double x = get(i);
        sum += x;
        s.min = std::min(s.min, x);
        s.max = std::max(s.max, x);
    }
    s.mean = sum / static_cast<double>(n);
    if (n > 1) {
        double ss = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const double d = get(i) - s.mean;
            ss += d * d;
        }
        s.sd = std::sqrt(ss / static_cast<double>(n - 1));
    }
    return s;
}

// Common validity rules of the per-window stroke statistics.
std::optional<std::string> check_strokes(std::span<const Stroke> strokes, const StatsOptions& opt) {
    if (strokes.size() < opt.min_strokes) {
        std::ostringstream m;
        m << "too few strokes in the window (" << strokes.size() << " < " << opt.min_strokes << ")";
        return m.str();
    }
    for (std::size_t i = 0; i < strokes.size(); ++i) {
        const Stroke& s = strokes[i];
        if (!s.valid()) {
            std::ostringstream m;
            m << "stroke " << i << " in the window is invalid (" << describe_problems(s.problems & stroke_invalidating)
              << "; samples " << s.begin_index << ".." << s.end_index << ")";
            return m.str();
        }
        if (i > 0 && strokes[i - 1].end_index != s.begin_index) {
            std::ostringstream m;
            m << "strokes " << i - 1 << " and " << i << " are not contiguous: a cycle was not detected";
            return m.str();
        }
    }
    return std::nullopt;
}

}  // namespace

std::string describe_problems(std::uint32_t problems) {
    std::string out;
    auto add = [&](std::uint32_t bit, const char* text) {
        if ((problems & bit) == 0) return;
        if (!out.empty()) out += ", ";
        out += text;
    };
    add(stroke_too_few_samples, "too few samples");
    add(stroke_gap, "gap (samples missing)");
    add(stroke_encoder_fault, "encoder fault");
    add(stroke_force_fault, "force fault");
    add(stroke_current_fault, "current fault");
    return out.empty() ? "ok" : out;
}

std::vector<Stroke> detect_strokes(TraceView v, std::size_t begin, std::size_t end, const StrokeOptions& opt) {
    if (!v.has_measurement_columns())
        throw std::invalid_argument("detect_strokes: position, force, current and flags columns must match t_ns");
    std::vector<Stroke> out;
    end = std::min(end, v.size());
    if (end < begin + 3) return out;
    const std::int64_t limit = gap_limit(v, begin, end, opt.max_sample_interval).count();
    const std::size_t min_samples = std::max<std::size_t>(opt.min_samples_per_stroke, 1);
    // Upper bound on the number of valid strokes; shorter (invalid) strokes
    // may still grow the vector, amortised.
    out.reserve((end - begin) / min_samples + 1);

    const double* x = v.position_mm.data();
    const std::int64_t* t = v.t_ns.data();
    const double* force = v.force_n.data();
    const double* current = v.current_a.data();
    const std::uint32_t* flags = v.flags.data();
    const double h = opt.hysteresis_mm;

    auto emit = [&](std::size_t b, std::size_t e, std::size_t p) {
        Stroke s;
        s.begin_index = b;
        s.end_index = e;
        s.bdc_index = p;
        double fmax = force[b], imax = current[b];
        std::uint32_t f_or = flags[b] & ~static_cast<std::uint32_t>(sample_after_gap);
        std::int64_t max_dt = 0;
        bool gap = false;
        for (std::size_t k = b + 1; k < e; ++k) {
            fmax = std::max(fmax, force[k]);
            imax = std::max(imax, current[k]);
            f_or |= flags[k];
        }
        // Intervals (b, b+1] .. (e-1, e]: the stroke spans t[b]..t[e].
        for (std::size_t k = b + 1; k <= e; ++k) {
            const std::int64_t dt = t[k] - t[k - 1];
            max_dt = std::max(max_dt, dt);
            gap = gap || dt > limit || (flags[k] & sample_after_gap) != 0;
        }
        f_or = (f_or & ~static_cast<std::uint32_t>(sample_after_gap)) | (gap ? sample_after_gap : 0u);
        s.peak_force_n = fmax;
        s.peak_current_a = imax;
        s.flags = f_or;
        s.max_interval_ns = max_dt;
        std::uint32_t problems = stroke_ok;
        if (e - b < min_samples) problems |= stroke_too_few_samples;
        if (gap) problems |= stroke_gap;
        if ((f_or & sample_encoder_fault) != 0) problems |= stroke_encoder_fault;
        if ((f_or & sample_force_fault) != 0) problems |= stroke_force_fault;
        if ((f_or & sample_current_fault) != 0) problems |= stroke_current_fault;
        s.problems = problems;

        // Sub-sample BDC (stroke_detector.hpp): a plateau of equal maxima
        // (quantised encoder) is treated as one point at its middle.
        std::size_t q = p;
        while (q + 1 < e && x[q + 1] == x[p]) ++q;
        const BdcVertex vx = bdc_vertex(t[p - 1], x[p - 1], t[p], t[q], x[p], t[q + 1], x[q + 1]);
        s.t_bdc_ns = vx.t_ns;
        s.depth_mm = vx.x_mm;
        out.push_back(s);
    };

    // The one detector (stroke_detector.hpp): it starts looking for a peak;
    // that first "peak" has no confirmed trough before it and is no BDC, so
    // the first reported stroke starts at a real trough even when the window
    // opens mid-cycle.
    StrokeDetector det(h);
    det.start(begin, x[begin]);
    for (std::size_t i = begin + 1; i < end; ++i) {
        if (det.add(i, x[i]) == StrokeDetector::Event::stroke) emit(det.stroke_begin(), det.stroke_end(), det.bdc_index());
    }
    return out;
}

std::span<const Stroke> strokes_in(std::span<const Stroke> strokes, TimeWindow w) {
    const auto b = std::lower_bound(strokes.begin(), strokes.end(), static_cast<double>(w.begin_ns),
                                    [](const Stroke& s, double t) { return s.t_bdc_ns < t; });
    const auto e = std::lower_bound(b, strokes.end(), static_cast<double>(w.end_ns),
                                    [](const Stroke& s, double t) { return s.t_bdc_ns < t; });
    return strokes.subspan(static_cast<std::size_t>(b - strokes.begin()), static_cast<std::size_t>(e - b));
}

RateStats puncture_rate(std::span<const Stroke> strokes, const StatsOptions& opt) {
    RateStats r;
    StatsOptions o = opt;
    o.min_strokes = std::max<std::size_t>(o.min_strokes, 2);  // a rate needs an interval
    if (auto why = check_strokes(strokes, o)) {
        r.invalid = std::move(why);
        return r;
    }
    const Summary s = summarize(strokes.size() - 1, [&](std::size_t i) {
        return 1e9 / (strokes[i + 1].t_bdc_ns - strokes[i].t_bdc_ns);
    });
    r.count = s.count;
    r.mean_hz = s.mean;
    r.sd_hz = s.sd;
    r.min_hz = s.min;
    r.max_hz = s.max;
    return r;
}

DepthStats depth_stats(std::span<const Stroke> strokes, const StatsOptions& opt) {
    DepthStats r;
    if (auto why = check_strokes(strokes, opt)) {
        r.invalid = std::move(why);
        return r;
    }
    const Summary s = summarize(strokes.size(), [&](std::size_t i) { return strokes[i].depth_mm; });
    r.count = s.count;
    r.mean_mm = s.mean;
    r.sd_mm = s.sd;
    r.min_mm = s.min;
    r.max_mm = s.max;
    return r;
}

ForceStats strike_force_stats(std::span<const Stroke> strokes, const StatsOptions& opt) {
    ForceStats r;
    if (auto why = check_strokes(strokes, opt)) {
        r.invalid = std::move(why);
        return r;
    }
    for (std::size_t i = 0; i < strokes.size(); ++i) {
        if ((strokes[i].problems & stroke_force_fault) != 0) {
            std::ostringstream m;
            m << "stroke " << i << " in the window has a load-cell fault";
            r.invalid = m.str();
            return r;
        }
    }
    const Summary s = summarize(strokes.size(), [&](std::size_t i) { return strokes[i].peak_force_n; });
    r.count = s.count;
    r.mean_n = s.mean;
    r.sd_n = s.sd;
    r.min_n = s.min;
    r.max_n = s.max;
    return r;
}

WindowMeasurement measure_window(TraceView v, TimeWindow w, const StrokeOptions& stroke_opt,
                                 const StatsOptions& stats_opt) {
    WindowMeasurement m;
    m.window = w;
    const IndexRange r = index_range(v, w);
    QualityOptions q;
    q.max_sample_interval = stroke_opt.max_sample_interval;
    q.min_samples = 3;
    m.quality = check_window(v, r.begin, r.end, q);
    // Strokes are detected on the window's own samples so that a window's
    // numbers do not depend on what lies outside it.
    StrokeOptions so = stroke_opt;
    so.max_sample_interval = std::chrono::nanoseconds{m.quality.gap_limit_ns};
    std::vector<Stroke> all = detect_strokes(v, r.begin, r.end, so);
    const std::span<const Stroke> in = strokes_in(all, w);
    m.strokes.assign(in.begin(), in.end());
    m.rate = puncture_rate(m.strokes, stats_opt);
    m.depth = depth_stats(m.strokes, stats_opt);
    m.force = strike_force_stats(m.strokes, stats_opt);
    if (!m.quality.ok()) {
        m.rate.invalid = m.quality.invalid;
        m.depth.invalid = m.quality.invalid;
        m.force.invalid = m.quality.invalid;
    }
    return m;
}

SpeedRegulation speed_regulation(double no_load_rate_hz, double loaded_rate_hz) {
    SpeedRegulation r;
    if (!(loaded_rate_hz > 0.0) || !std::isfinite(no_load_rate_hz) || !std::isfinite(loaded_rate_hz)) {
        r.invalid = "loaded rate must be a positive, finite number";
        return r;
    }
    r.regulation_pct = (no_load_rate_hz - loaded_rate_hz) / loaded_rate_hz * 100.0;
    return r;
}

SpeedRegulation speed_regulation(const RateStats& no_load, const RateStats& loaded) {
    if (!no_load.ok()) return SpeedRegulation{0.0, "no-load rate invalid: " + *no_load.invalid};
    if (!loaded.ok()) return SpeedRegulation{0.0, "loaded rate invalid: " + *loaded.invalid};
    return speed_regulation(no_load.mean_hz, loaded.mean_hz);
}

}  // namespace rig::analysis
