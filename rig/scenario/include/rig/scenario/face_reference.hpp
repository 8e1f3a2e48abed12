#pragma once
// The cartridge-face reference of a run: the one place that knows how a
// `reference:` step becomes a FaceReference (rig/record/reference.hpp), which
// reference a depth window is measured from, and the closing check between
// two references. The runner calls these as the run goes; `rig analyze`
// calls them the same way on the recorded samples.
//
// Rules (scenarios/README.md "Depth reference"):
//  - A depth window is measured from the last reference step that ended at
//    or before the window began. If that reference is not valid, or there is
//    none, the depth is ERROR ("encoder: no cartridge-face reference ...").
//  - Closing check: when a later reference step finds the face, the two
//    faces must agree within kClosingLimitCounts counts plus the two
//    uncertainties in quadrature; otherwise counts were lost or gained in
//    between, and every measurement taken on the earlier reference becomes
//    ERROR (its value removed). Either way the check is written into those
//    measurements' `stats.checks`.
//
// Thread-safety: pure functions (close_reference changes its arguments only).

#include <span>
#include <vector>

#include "rig/record/measurement.hpp"
#include "rig/record/reference.hpp"
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig {

/// Two touch-offs agree to ~0.5 um (U ~0.7 um each on the sim); 2 counts is
/// the depth accuracy the README states.
inline constexpr double kClosingLimitCounts = 2.0;

/// The reference found by plan step `index` (a reference step) from the
/// samples of its span, with the truth on the sim.
FaceReference take_reference(const Scenario& sc, std::size_t index, const RunData& data);

/// The reference a window beginning at `begin_ns` is measured from (the last
/// one in force then), or nullptr when no reference step ended before it.
const FaceReference* reference_for(std::span<const FaceReference> refs, std::int64_t begin_ns);

/// Closing check of the newest reference (refs.back()) against the one
/// before it, applied to the measurements taken on that one.
void close_reference(std::span<FaceReference> refs, std::span<Measurement> measurements, const FixtureConfig& fx);

}  // namespace rig
