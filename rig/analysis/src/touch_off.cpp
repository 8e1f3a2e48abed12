#include "rig/analysis/touch_off.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "rig/core/samples.hpp"

namespace rig::analysis {

std::string format_um(double mm) {
    std::ostringstream o;
    o.precision(3);
    o << mm * 1e3 << " um";
    return o.str();
}

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
