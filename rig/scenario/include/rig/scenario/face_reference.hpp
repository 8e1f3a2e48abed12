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
//    ERROR (its value removed). A later reference that fails on the
//    encoder's evidence (its return check) does the same; one that fails
//    otherwise (no contact, contact at rest) leaves them unchecked. The check
//    is written into those measurements' `stats.checks`.
//  - Scale check: a touch-off is valid only if the encoder read the drive's
//    known travel speed within scale_limit() (touch_off.hpp): a counter that
//    gains or loses a fraction of its counts makes every depth that fraction
//    long or short. As a closing reference it fails on the encoder's
//    evidence, so the depths measured on the reference before are ERROR.
//
// Thread-safety: pure functions (close_reference changes its arguments only).

#include <span>
#include <vector>

#include "rig/record/measurement.hpp"
#include "rig/record/reference.hpp"
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig {

/// The depth accuracy the README states (README "Accuracy"), in encoder counts.
inline constexpr double kDepthAccuracyCounts = 2.0;
/// Two touch-offs agree to ~0.5 um (U ~0.7 um each on the sim): the closing
/// limit is the stated depth accuracy.
inline constexpr double kClosingLimitCounts = kDepthAccuracyCounts;
/// The share of the stated depth accuracy an encoder scale error may take at
/// the fixture's deepest dial setting (the rest: the face's uncertainty, the
/// BDC estimate). Scale check limit (touch_off.hpp "scale"):
/// kScaleBudgetFraction x kDepthAccuracyCounts x count / max_depth, 0.04 %
/// on the sim (1 um at 2.5 mm).
inline constexpr double kScaleBudgetFraction = 0.5;

/// The encoder scale error a reference tolerates on fixture `fx` (ratio).
double scale_limit(const FixtureConfig& fx);

/// The reference found by plan step `index` (a reference step) from the
/// samples of its span, with the truth on the sim.
FaceReference take_reference(const Scenario& sc, std::size_t index, const RunData& data);

/// The reference a window beginning at `begin_ns` is measured from (the last
/// one in force then), or nullptr when no reference step ended before it.
const FaceReference* reference_for(std::span<const FaceReference> refs, std::int64_t begin_ns);

/// The id of the reference step whose closing check measurement `m` (taken
/// by plan step `step`) still awaits: m was judged on a face reference and a
/// later reference step follows in the plan, so its outcome may still become
/// ERROR. nullopt: final as judged (ERROR already, no reference, or no later
/// reference step).
std::optional<std::string> awaiting_closing(const Scenario& sc, std::size_t step, const Measurement& m);

/// A provisional measurement's outcome in a live stream, e.g.
/// "PASS (provisional: awaiting closing reference)".
std::string provisional_outcome(Outcome o);

/// Closing check of the newest reference (refs.back()) against the one
/// before it, applied to the measurements taken on that one.
void close_reference(std::span<FaceReference> refs, std::span<Measurement> measurements, const FixtureConfig& fx);

}  // namespace rig
