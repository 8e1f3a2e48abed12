#pragma once
// Touch-off analysis: where the cartridge face is in encoder readings, from
// the samples of a `reference:` step (the sequence: drivers/include/rig/
// drivers/touch_off.hpp). Pure; the same samples give the same face online
// and in `rig analyze`.
//
// Definition. The face gauge (the skin phantom, flush with the cartridge
// face) pushes back once the needle tip passes it: force rises with
// penetration from zero at the face. During the slow probe (the last
// monotonic advance of the step, ending at its deepest point) the contact
// samples whose force above the rest baseline lies between kFitLowFraction
// and kFitHighFraction of the stop force are fitted with a straight line
// F - baseline = k (x - x_face) (least squares of force on position: the
// encoder is exact to a count, the force is noisy); the fit is then redone
// twice over every sample whose *position* lies where that force range is on
// the line (selecting on the noisy force would bias the line). The face is
// the line's zero-force intercept x_face, in encoder readings (mm).
//
// Uncertainty (k = 2): U = 2 sqrt(se(x_face)^2 + q^2/12), se from the fit's
// covariance (delta method), q one encoder count. Not in U, and kept small
// by the probe speed v instead: the load cell's filter lag (v x tau, 0.02 um
// at 0.25 mm/s and 2 kHz) and the phantom's damping (c v / k, 0.17 um with
// c = 1 N s/m, k = 1.5 N/mm). README "Depth reference" gives the measured
// error against the sim's truth.
//
// Validity (a reference that is not valid is no reference: depth is ERROR):
//  - no flagged sample (encoder or load-cell fault, gap) in the step;
//  - the rest readings before and after (the first and last `dwell` x 0.8 of
//    the step) agree within kReturnLimitCounts counts: the needle came back to
//    the same place on the cam, so counts lost or gained on the way show;
//  - at least kMinFitPoints contact samples, a positive contact stiffness;
//  - the face at least kMinApproachMm beyond the rest position (a needle
//    resting on the gauge would make the baseline a contact force);
//  - scale: the drive moves the needle at a known speed during the approach
//    and the retract (a stepper's step rate on hardware, the plunger's
//    commanded speed on the sim): a length standard independent of the
//    encoder. The encoder's speed over the middle of each (least squares of
//    position on the samples' time, kScaleTrimFraction of the travel left out
//    at each end for the drive's ramps and the contact turn) against that
//    speed gives the encoder's scale error; the worse of the two must lie
//    within scale_limit. A counter that gains or loses a fraction of its
//    counts reads every distance that fraction long or short, the depth from
//    the face too, and no return or closing check sees it (both ends are read
//    by the same wrong scale).
//
// Thread-safety: pure function.

#include <chrono>
#include <optional>
#include <string>

#include "rig/analysis/trace.hpp"

namespace rig::analysis {

inline constexpr double kFitLowFraction = 0.2;
inline constexpr double kFitHighFraction = 0.95;
inline constexpr std::size_t kMinFitPoints = 20;
inline constexpr double kReturnLimitCounts = 10.0;
/// The face must lie at least this far beyond the rest position: a needle
/// resting on the gauge makes the rest baseline a contact force.
inline constexpr double kMinApproachMm = 0.1;
/// Left out at each end of the approach and the retract for the scale fit.
inline constexpr double kScaleTrimFraction = 0.1;
/// The scale fit needs at least this many samples on each pass.
inline constexpr std::size_t kMinScalePoints = 50;

struct TouchOffParams {
    std::chrono::nanoseconds dwell{std::chrono::milliseconds(100)};  // the sequence's rest dwell
    double stop_force_n = 0.15;  // the probe's stop force above the baseline
    double count_mm = 1e-3;      // one encoder count, mm
    double approach_speed_mm_s = 0.0;  // the drive's approach and retract speed (0: no scale check)
    double scale_limit = 0.0;          // |scale error| allowed (ratio; 0: no scale check)
};

struct TouchOffResult {
    std::optional<double> face_mm;        // the encoder reading at the face (unset: not valid)
    double uncertainty_mm = 0.0;          // U, k = 2
    double stiffness_n_per_mm = 0.0;      // contact line slope
    double residual_n = 0.0;              // RMS residual of the fit
    std::size_t points = 0;               // samples in the fit
    std::optional<double> baseline_n;     // mean force at rest before
    std::optional<double> rest_return_mm; // rest after - rest before
    std::optional<double> scale_error;    // encoder speed / drive speed - 1, the worse of approach and retract
    std::optional<std::string> invalid;   // why not valid (names the instrument)
};

/// The face from the samples of a touch-off step (`w`: the step's span).
TouchOffResult analyse_touch_off(TraceView v, TimeWindow w, const TouchOffParams& p);

/// A length in mm as micrometres for messages: "0.68 um" (3 significant digits).
std::string format_um(double mm);

}  // namespace rig::analysis
