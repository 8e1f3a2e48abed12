#pragma once
// Online BDC tracker for the acquisition loop (wait_until conditions and the
// progress display). Same definition as the analysis (rig/analysis/strokes.hpp):
// a running maximum confirmed once the position falls below it by more than
// the hysteresis, re-armed once it rises above the trough by more than the
// hysteresis; the BDC time and depth are the vertex of the parabola through
// the sample before the peak, the peak (the middle of a plateau of equal
// maxima) and the sample after it, with their real timestamps. So an online
// decision uses the same sub-sample BDC instants as the measurement: at
// 140 Hz and 10 kHz a sample-quantised interval is off by up to +-1.4 %,
// the interpolated one by ~0.01 %.
//
// Real-time safe: fixed-size history, no allocation, never throws.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace rig {

class BdcTracker {
public:
    static constexpr std::size_t kHistory = 16;  // BDC instants kept

    explicit BdcTracker(double hysteresis_mm = 0.05) noexcept : hyst_(hysteresis_mm) {}

    /// Feeds one sample (ns since t0, protrusion mm). Returns true when it
    /// confirmed a BDC (then last_t_ns() / last_depth_mm() are that one's).
    bool add(std::int64_t t_ns, double x_mm) noexcept {
        bool confirmed = false;
        if (after_pending_) {
            // The sample after the peak (or after the plateau's middle).
            after_t_ = t_ns;
            after_x_ = x_mm;
            after_pending_ = false;
        }
        if (armed_) {
            if (x_mm > max_x_) {
                before_t_ = prev_t_, before_x_ = prev_x_;
                max_t_ = plateau_end_t_ = t_ns;
                max_x_ = x_mm;
                after_pending_ = true;
            } else if (x_mm == max_x_ && prev_x_ == max_x_) {
                plateau_end_t_ = t_ns;  // plateau continues: the "after" sample moves on
                after_pending_ = true;
            } else if (x_mm < max_x_ - hyst_) {
                push(vertex());
                confirmed = true;
                armed_ = false;
                min_x_ = x_mm;
            }
        } else if (x_mm < min_x_) {
            min_x_ = x_mm;
        } else if (x_mm > min_x_ + hyst_) {
            armed_ = true;
            before_t_ = prev_t_, before_x_ = prev_x_;
            max_t_ = plateau_end_t_ = t_ns;
            max_x_ = x_mm;
            after_pending_ = true;
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
    struct Bdc {
        double t_ns;
        double x_mm;
    };
    /// Vertex of the parabola through (before, peak, after), the peak being
    /// the plateau's middle when the maximum repeats (then the vertex is that
    /// middle: a symmetric plateau has its vertex there).
    [[nodiscard]] Bdc vertex() const noexcept {
        const double t1 = static_cast<double>(max_t_);
        if (plateau_end_t_ != max_t_) return {0.5 * (t1 + static_cast<double>(plateau_end_t_)), max_x_};
        const double a = static_cast<double>(before_t_) - t1;
        const double c = static_cast<double>(after_t_) - t1;
        if (!(a < 0.0) || !(c > 0.0)) return {t1, max_x_};
        const double d0 = (before_x_ - max_x_) / a;  // slope to the sample before
        const double d2 = (after_x_ - max_x_) / c;   // slope to the sample after
        const double curv = (d0 - d2) / (a - c);     // x = x1 + slope*tau + curv*tau^2
        if (!(curv < 0.0)) return {t1, max_x_};
        const double slope = d0 - curv * a;
        double tau = -slope / (2.0 * curv);
        tau = tau < a ? a : (tau > c ? c : tau);
        return {t1 + tau, max_x_ + slope * tau + curv * tau * tau};
    }
    void push(Bdc b) noexcept {
        t_[count_ % kHistory] = b.t_ns;
        last_depth_ = b.x_mm;
        ++count_;
    }

    double hyst_;
    bool armed_ = false;
    bool after_pending_ = false;
    double max_x_ = -1e9, min_x_ = 1e9;
    std::int64_t max_t_ = 0, plateau_end_t_ = 0;
    std::int64_t before_t_ = 0, after_t_ = 0;
    double before_x_ = 0.0, after_x_ = 0.0;
    std::int64_t prev_t_ = 0;
    double prev_x_ = 0.0;
    std::array<double, kHistory> t_{};
    std::size_t count_ = 0;
    double last_depth_ = 0.0;
};

}  // namespace rig
