#pragma once
// The one stroke detector: the hysteresis state machine of strokes.hpp, fed
// one sample at a time, and the sub-sample BDC vertex. detect_strokes() runs
// it over sample arrays (the analysis, online while the run goes on and in
// `rig analyze`); the acquisition loop runs it live for its online decisions
// (rig/runner/bdc_tracker.hpp). So `wait_until: rate_stable` and the progress
// display see the BDC instants the measurements see, bit for bit.
//
// Definition (strokes.hpp): a running maximum is confirmed as a peak once the
// position falls below it by more than the hysteresis h; the detector then
// tracks the minimum and confirms it as a trough once the position rises above
// it by more than h. It starts looking for a peak; a peak with no confirmed
// trough before it (the first, when the data open mid-cycle) is not a BDC.
// A stroke runs trough to trough with its BDC inside.
//
// Real-time safe: no allocation, never throws; header-only so that the
// per-sample step inlines into detect_strokes()' loop.
// Thread-safety: one owner.

#include <cstddef>
#include <cstdint>

namespace rig::analysis {

class StrokeDetector {
public:
    enum class Event {
        none,
        bdc,     // a peak with a trough before it was confirmed: bdc_index()
        stroke,  // a trough that ends a stroke was confirmed: stroke_begin(), bdc_index(), stroke_end()
    };
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

    explicit StrokeDetector(double hysteresis_mm) noexcept : h_(hysteresis_mm) {}

    /// The first sample (index i, position x mm): the search for a peak starts here.
    void start(std::size_t i, double x) noexcept {
        sign_ = 1.0;
        ext_ = x;
        ext_i_ = i;
        trough_i_ = npos;
        peak_i_ = npos;
        started_ = true;
    }
    [[nodiscard]] bool started() const noexcept { return started_; }

    /// Feeds the next sample (indices increase by one). Returns what it confirmed.
    Event add(std::size_t i, double x) noexcept {
        const double y = sign_ * x;
        if (y > ext_) {
            ext_ = y;
            ext_i_ = i;
            return Event::none;
        }
        if (!(y < ext_ - h_)) return Event::none;
        Event ev = Event::none;
        if (sign_ > 0.0) {
            if (trough_i_ != npos) {
                peak_i_ = bdc_i_ = ext_i_;
                ev = Event::bdc;
            }
        } else {
            if (peak_i_ != npos) {
                begin_i_ = trough_i_;
                end_i_ = ext_i_;
                ev = Event::stroke;
            }
            trough_i_ = ext_i_;
            peak_i_ = npos;
        }
        sign_ = -sign_;
        ext_ = -y;
        ext_i_ = i;
        return ev;
    }

    /// The latest BDC sample (first of a plateau of equal maxima): after Event::bdc,
    /// and the stroke's after Event::stroke.
    [[nodiscard]] std::size_t bdc_index() const noexcept { return bdc_i_; }
    [[nodiscard]] std::size_t stroke_begin() const noexcept { return begin_i_; }
    [[nodiscard]] std::size_t stroke_end() const noexcept { return end_i_; }
    /// True while the detector looks for a peak (the needle is going down).
    [[nodiscard]] bool seeking_peak() const noexcept { return sign_ > 0.0; }
    /// The sample of the running extremum (the candidate peak while seeking one).
    [[nodiscard]] std::size_t extremum_index() const noexcept { return ext_i_; }

private:
    double h_;
    double sign_ = 1.0;
    double ext_ = 0.0;
    std::size_t ext_i_ = 0;
    std::size_t trough_i_ = npos, peak_i_ = npos;
    std::size_t begin_i_ = npos, bdc_i_ = npos, end_i_ = npos;
    bool started_ = false;
};

/// Sub-sample BDC: the vertex of the parabola through the sample before the
/// peak, the peak (at the middle of a plateau of equal maxima, which keeps the
/// parabola strict) and the sample after the plateau, on their real
/// timestamps (ns since t0). Not a strict maximum: the peak sample itself.
struct BdcVertex {
    double t_ns;
    double x_mm;
};
inline BdcVertex bdc_vertex(std::int64_t t_before, double x_before, std::int64_t t_peak, std::int64_t t_plateau_end,
                            double x_peak, std::int64_t t_after, double x_after) noexcept {
    // Local origin at the peak keeps full precision; Newton form needs no
    // special case for non-uniform spacing.
    const double ta = static_cast<double>(t_before - t_peak);
    const double tm = 0.5 * static_cast<double>(t_plateau_end - t_peak);
    const double tb = static_cast<double>(t_after - t_peak);
    const double d1 = (x_peak - x_before) / (tm - ta);
    const double d2 = (x_after - x_peak) / (tb - tm);
    const double c2 = (d2 - d1) / (tb - ta);
    if (!(c2 < 0.0)) return {static_cast<double>(t_peak) + tm, x_peak};
    const double u = 0.5 * (ta + tm) - d1 / (2.0 * c2);
    return {static_cast<double>(t_peak) + u, x_before + d1 * (u - ta) + c2 * (u - ta) * (u - tm)};
}

}  // namespace rig::analysis
