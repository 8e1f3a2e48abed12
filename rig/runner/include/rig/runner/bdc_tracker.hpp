#pragma once
// Online BDC tracker for the acquisition loop (wait_until conditions and the
// progress display). It runs the analysis' own detector and vertex
// (rig/analysis/stroke_detector.hpp) one sample at a time, keeping the four
// samples the vertex needs (before the peak, the peak, the plateau's end, the
// sample after it) instead of an array: an online decision uses the BDC
// instants the measurements compute, bit for bit (at 140 Hz and 10 kHz a
// sample-quantised interval is off by up to +-1.4 %, the interpolated one by
// ~0.01 %).
//
// Real-time safe: fixed-size history, no allocation, never throws.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "rig/analysis/stroke_detector.hpp"

namespace rig {

class BdcTracker {
public:
    static constexpr std::size_t kHistory = 16;  // BDC instants kept

    explicit BdcTracker(double hysteresis_mm = 0.05) noexcept : det_(hysteresis_mm) {}

    /// Feeds one sample (ns since t0, protrusion mm). Returns true when it
    /// confirmed a BDC (then last_t_ns() / last_depth_mm() are that one's).
    bool add(std::int64_t t_ns, double x_mm) noexcept {
        if (!det_.started()) {
            det_.start(0, x_mm);
            candidate(t_ns, x_mm);
            prev_t_ = t_ns;
            prev_x_ = x_mm;
            n_ = 1;
            return false;
        }
        // The candidate peak's plateau and the sample after it (detect_strokes'
        // q and q + 1), before this sample can confirm the peak.
        if (after_pending_) {
            if (x_mm == peak_x_) {
                plateau_end_t_ = t_ns;
            } else {
                after_t_ = t_ns;
                after_x_ = x_mm;
                after_pending_ = false;
            }
        }
        const std::size_t i = n_++;
        const auto ev = det_.add(i, x_mm);
        bool confirmed = false;
        if (ev == analysis::StrokeDetector::Event::bdc) {
            const auto v = analysis::bdc_vertex(before_t_, before_x_, peak_t_, plateau_end_t_, peak_x_, after_t_, after_x_);
            push(v.t_ns, v.x_mm);
            confirmed = true;
        } else if (det_.seeking_peak() && det_.extremum_index() == i) {
            candidate(t_ns, x_mm);  // a new running maximum
        }
        prev_t_ = t_ns;
        prev_x_ = x_mm;
        return confirmed;
    }

    /// Forget the strokes (power off): intervals never span an off period.
    void reset() noexcept { count_ = 0; }

    [[nodiscard]] std::size_t count() const noexcept { return count_; }
    [[nodiscard]] double last_t_ns() const noexcept { return t_back(0); }
    [[nodiscard]] double last_depth_mm() const noexcept { return last_depth_; }
    /// BDC instant k back from the latest (0 = latest); k < min(count, kHistory).
    [[nodiscard]] double t_back(std::size_t k) const noexcept { return t_[(count_ - 1 - k) % kHistory]; }

    /// The rate has stopped changing (wait_until: rate_stable): the last
    /// `intervals` per-interval rates each within (1 +- band) of their own
    /// mean, that mean within band/2 of the mean of the `intervals` before
    /// them (no trend left: a rate still converging moves between the two),
    /// and the latest BDC no older than two of those mean periods at now_ns.
    /// It does not compare with the setpoint: how far the settled rate is from
    /// it is the puncture_rate measurement's finding (a pen 4 % off inside a
    /// 5 % tolerance settles and PASSes; one 8 % off settles and FAILs there).
    [[nodiscard]] bool rate_settled(double band, std::size_t intervals, std::int64_t now_ns) const noexcept {
        if (intervals == 0 || 2 * intervals + 1 > count_ || 2 * intervals + 1 > kHistory) return false;
        auto rate = [&](std::size_t k) {
            const double dt = t_back(k) - t_back(k + 1);
            return dt > 0.0 ? 1e9 / dt : 0.0;
        };
        double recent = 0.0, before = 0.0;
        for (std::size_t k = 0; k < intervals; ++k) {
            const double r = rate(k), b = rate(k + intervals);
            if (!(r > 0.0) || !(b > 0.0)) return false;
            recent += r, before += b;
        }
        recent /= static_cast<double>(intervals);
        before /= static_cast<double>(intervals);
        if (static_cast<double>(now_ns) - last_t_ns() > 2.0 * 1e9 / recent) return false;
        if (std::abs(recent - before) > 0.5 * band * recent) return false;
        for (std::size_t k = 0; k < intervals; ++k) {
            if (std::abs(rate(k) - recent) > band * recent) return false;
        }
        return true;
    }

private:
    void candidate(std::int64_t t_ns, double x_mm) noexcept {
        before_t_ = prev_t_;
        before_x_ = prev_x_;
        peak_t_ = plateau_end_t_ = t_ns;
        peak_x_ = x_mm;
        after_pending_ = true;
    }
    void push(double t_ns, double x_mm) noexcept {
        t_[count_ % kHistory] = t_ns;
        last_depth_ = x_mm;
        ++count_;
    }

    analysis::StrokeDetector det_;
    std::size_t n_ = 0;  // samples fed
    std::int64_t prev_t_ = 0;
    double prev_x_ = 0.0;
    // The candidate peak and its neighbours.
    std::int64_t before_t_ = 0, peak_t_ = 0, plateau_end_t_ = 0, after_t_ = 0;
    double before_x_ = 0.0, peak_x_ = 0.0, after_x_ = 0.0;
    bool after_pending_ = false;
    std::array<double, kHistory> t_{};
    std::size_t count_ = 0;
    double last_depth_ = 0.0;
};

}  // namespace rig
