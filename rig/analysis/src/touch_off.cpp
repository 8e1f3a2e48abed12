#include "rig/analysis/touch_off.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <sstream>

#include "rig/core/samples.hpp"

namespace rig::analysis {

std::string format_um(double mm) {
    std::ostringstream o;
    o.precision(3);
    o << mm * 1e3 << " um";
    return o.str();
}

namespace {

/// Least-squares speed (mm/s) of the samples [a, b] whose position lies
/// within [x_lo, x_hi]; nullopt with fewer than kMinScalePoints.
std::optional<double> speed_between(TraceView v, std::size_t a, std::size_t b, double x_lo, double x_hi) {
    const std::int64_t t0 = v.t_ns[a];  // centred: no cancellation in the sums
    double st = 0.0, sx = 0.0, stt = 0.0, stx = 0.0;
    std::size_t n = 0;
    for (std::size_t k = a; k <= b; ++k) {
        const double x = v.position_mm[k];
        if (x < x_lo || x > x_hi) continue;
        const double t = static_cast<double>(v.t_ns[k] - t0) * 1e-9;
        st += t, sx += x, stt += t * t, stx += t * x;
        ++n;
    }
    if (n < kMinScalePoints) return std::nullopt;
    const double nn = static_cast<double>(n);
    const double dtt = stt - st * st / nn;
    if (!(dtt > 0.0)) return std::nullopt;
    return (stx - st * sx / nn) / dtt;
}

/// The encoder's scale error against the drive's known speed: the approach
/// (from the end of the dwell before, up to where the advance turns) and the
/// retract (from the deepest point to the start of the dwell after), each
/// trimmed at both ends. Timed by the sequence's dwells, not by a rest
/// reading: a needle still settling on the cam must not cut the passes short.
std::optional<double> encoder_scale_error(TraceView v, std::size_t lo, std::size_t hi, std::size_t deep, TimeWindow w,
                                          const TouchOffParams& p) {
    std::size_t a = lo;
    while (a < hi && v.t_ns[a] < w.begin_ns + p.dwell.count()) ++a;
    // The turn: two counts back from the highest reading so far (a quantised
    // reading may repeat).
    std::size_t turn = a;
    for (std::size_t k = a; k < hi; ++k) {
        if (v.position_mm[k] >= v.position_mm[turn]) turn = k;
        else if (v.position_mm[k] < v.position_mm[turn] - 2.0 * p.count_mm) break;
    }
    std::size_t end = deep;
    while (end + 1 < hi && v.t_ns[end + 1] <= w.end_ns - p.dwell.count()) ++end;
    if (a >= hi || turn <= a || end <= deep) return std::nullopt;
    const double in_travel = v.position_mm[turn] - v.position_mm[a];
    const double out_travel = v.position_mm[deep] - v.position_mm[end];
    const auto in = speed_between(v, a, turn, v.position_mm[a] + kScaleTrimFraction * in_travel,
                                  v.position_mm[turn] - kScaleTrimFraction * in_travel);
    const auto out = speed_between(v, deep, end, v.position_mm[end] + kScaleTrimFraction * out_travel,
                                   v.position_mm[deep] - kScaleTrimFraction * out_travel);
    if (!in || !out) return std::nullopt;
    const double e_in = *in / p.approach_speed_mm_s - 1.0;
    const double e_out = -*out / p.approach_speed_mm_s - 1.0;
    return std::abs(e_in) >= std::abs(e_out) ? e_in : e_out;
}

}  // namespace

TouchOffResult analyse_touch_off(TraceView v, TimeWindow w, const TouchOffParams& p) {
    TouchOffResult r;
    const auto lo = static_cast<std::size_t>(std::lower_bound(v.t_ns.begin(), v.t_ns.end(), w.begin_ns) - v.t_ns.begin());
    const auto hi = static_cast<std::size_t>(std::lower_bound(v.t_ns.begin(), v.t_ns.end(), w.end_ns) - v.t_ns.begin());
    if (hi <= lo + 2) {
        r.invalid = "touch-off: no samples in the reference step";
        return r;
    }
    for (std::size_t k = lo; k < hi; ++k) {
        if ((v.flags[k] & (sample_encoder_fault | sample_after_gap)) != 0) {
            r.invalid = "encoder: samples missing or failed during the touch-off (no cartridge-face reference)";
            return r;
        }
        if ((v.flags[k] & sample_force_fault) != 0) {
            r.invalid = "load cell: a failed or clipped reading during the touch-off (no cartridge-face reference)";
            return r;
        }
    }
    // Rest before and after: the first and last 80 % of a dwell (the drive
    // starts and ends on actuation ticks, not on sample boundaries).
    const std::int64_t rest_ns = p.dwell.count() * 8 / 10;
    double f0 = 0.0, x0 = 0.0, x1 = 0.0;
    std::size_t n0 = 0, n1 = 0;
    for (std::size_t k = lo; k < hi && v.t_ns[k] < w.begin_ns + rest_ns; ++k) f0 += v.force_n[k], x0 += v.position_mm[k], ++n0;
    for (std::size_t k = hi; k-- > lo && v.t_ns[k] >= w.end_ns - rest_ns;) x1 += v.position_mm[k], ++n1;
    if (n0 < 5 || n1 < 5) {
        r.invalid = "touch-off: the step has no rest period before or after the probe";
        return r;
    }
    const double baseline = f0 / static_cast<double>(n0);
    r.baseline_n = baseline;
    r.rest_return_mm = x1 / static_cast<double>(n1) - x0 / static_cast<double>(n0);
    const double return_limit = kReturnLimitCounts * p.count_mm;
    if (std::abs(*r.rest_return_mm) > return_limit) {
        r.invalid = "encoder: after the touch-off the needle's rest position read " + format_um(*r.rest_return_mm) +
                    " from where it read before (limit " + format_um(return_limit) +
                    "): counts lost or gained; no cartridge-face reference";
        return r;
    }
    // The probe: the last monotonic advance, ending at the deepest point.
    std::size_t deep = lo;
    for (std::size_t k = lo; k < hi; ++k) {
        if (v.position_mm[k] >= v.position_mm[deep]) deep = k;
    }
    if (p.approach_speed_mm_s > 0.0 && p.scale_limit > 0.0) {
        const auto scale = encoder_scale_error(v, lo, hi, deep, w, p);
        if (!scale) {
            r.invalid = "encoder: too few samples on the touch-off's approach or retract to check the encoder's "
                        "scale; no cartridge-face reference";
            return r;
        }
        r.scale_error = *scale;
        if (std::abs(*scale) > p.scale_limit) {
            std::ostringstream m;
            m.precision(3);
            m << "encoder: it read the touch-off drive's travel " << *scale * 100.0 << " % "
              << (*scale > 0.0 ? "long" : "short") << " (limit +/-" << p.scale_limit * 100.0
              << " %): counts gained or lost, every depth that much off; no cartridge-face reference";
            r.invalid = m.str();
            return r;
        }
    }
    std::size_t start = deep;
    while (start > lo && v.position_mm[start - 1] <= v.position_mm[start]) --start;
    // Least squares of force on position over the contact samples. Chosen by
    // position, not by force: selecting on the noisy dependent variable keeps
    // the samples whose noise carried them into the range and biases the line
    // (1.6 um on the sim). A first fit over the force range finds where the
    // range lies in position; the final fit takes every sample there.
    const double f_lo = kFitLowFraction * p.stop_force_n, f_hi = kFitHighFraction * p.stop_force_n;
    const double xref = v.position_mm[deep];  // centred: no cancellation in the sums
    struct Fit {
        std::size_t n = 0;
        double mx = 0.0, my = 0.0, dxx = 0.0, dxy = 0.0, dyy = 0.0;
    };
    auto fit = [&](auto&& take) {
        double sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, syy = 0.0;
        Fit ft;
        for (std::size_t k = start; k <= deep; ++k) {
            if ((v.flags[k] & sample_force_held) != 0) continue;  // a held conversion is not a new point
            const double f = v.force_n[k] - baseline;
            const double x = v.position_mm[k] - xref;
            if (!take(x, f)) continue;
            sx += x, sy += f, sxx += x * x, sxy += x * f, syy += f * f;
            ++ft.n;
        }
        if (ft.n == 0) return ft;
        const double nn = static_cast<double>(ft.n);
        ft.mx = sx / nn, ft.my = sy / nn;
        ft.dxx = sxx - nn * ft.mx * ft.mx, ft.dxy = sxy - nn * ft.mx * ft.my, ft.dyy = syy - nn * ft.my * ft.my;
        return ft;
    };
    Fit ft = fit([&](double, double f) { return f >= f_lo && f <= f_hi; });
    if (ft.n >= kMinFitPoints && ft.dxx > 0.0 && ft.dxy > 0.0) {
        for (int pass = 0; pass < 2; ++pass) {
            const double k0 = ft.dxy / ft.dxx;
            const double face0 = ft.mx - ft.my / k0;
            const Fit refit = fit([&](double x, double) { return x >= face0 + f_lo / k0 && x <= face0 + f_hi / k0; });
            if (refit.n < kMinFitPoints || !(refit.dxx > 0.0) || !(refit.dxy > 0.0)) break;
            ft = refit;
        }
    }
    const std::size_t n = ft.n;
    r.points = n;
    if (n < kMinFitPoints) {
        std::ostringstream m;
        m << "load cell: " << n << " contact samples in the touch-off's probe (at least " << kMinFitPoints
          << " needed): no contact with the face gauge; no cartridge-face reference";
        r.invalid = m.str();
        return r;
    }
    const double nn = static_cast<double>(n);
    const double mx = ft.mx, my = ft.my, dxx = ft.dxx, dxy = ft.dxy, dyy = ft.dyy;
    if (!(dxx > 0.0) || !(dxy > 0.0)) {
        r.invalid = "load cell: force does not rise with the needle's advance during the touch-off; no "
                    "cartridge-face reference";
        return r;
    }
    const double slope = dxy / dxx;             // N/mm
    const double icpt = my - slope * mx;        // N at x = xref
    const double ssr = std::max(0.0, dyy - slope * dxy);
    const double s2 = ssr / (nn - 2.0);
    // x_face = -icpt / slope; delta method with var(icpt) = s2 (1/n + mx^2/dxx),
    // var(slope) = s2/dxx, cov(icpt, slope) = -mx s2/dxx.
    const double xf = -icpt / slope;
    const double var_a = s2 * (1.0 / nn + mx * mx / dxx);
    const double var_b = s2 / dxx;
    const double cov_ab = -mx * s2 / dxx;
    const double var_xf = (var_a + xf * xf * var_b + 2.0 * xf * cov_ab) / (slope * slope);
    const double q = p.count_mm;
    if (xf + xref - x0 / static_cast<double>(n0) < kMinApproachMm) {
        r.invalid = "load cell: contact within " + format_um(kMinApproachMm) +
                    " of the needle's rest position: it may have rested on the face gauge (the baseline is then "
                    "not the no-contact force); set the dial to 0 mm before a touch-off; no cartridge-face reference";
        return r;
    }
    r.face_mm = xf + xref;
    r.stiffness_n_per_mm = slope;
    r.residual_n = std::sqrt(ssr / nn);
    r.uncertainty_mm = 2.0 * std::sqrt(std::max(0.0, var_xf) + q * q / 12.0);
    return r;
}

}  // namespace rig::analysis
