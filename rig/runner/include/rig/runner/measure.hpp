#pragma once
// Turning a scenario's measure steps into judged measurements. Pure: the same
// inputs give the same measurements, so the runner (while the run goes on)
// and `rig analyze` (from the raw samples afterwards) agree exactly.
//
// What each kind measures, its limits and its analysis are its descriptor in
// the measurement registry (rig/scenario/measure_kind.hpp); this file
// resolves a measure step's window and hands it to the kind.
//
// Judgement rules (README "Verdicts"):
//  - ERROR when the analysis cannot give a valid value: too few strokes or
//    samples, a gap or flagged samples in the window, the loop's timing budget
//    broken inside the window, an event the measurement needs is missing.
//  - FAIL when the value lies outside its limits (the pen is out of spec).
//  - PASS otherwise. Rate, depth and force are judged on their window mean;
//    SD, min and max are recorded beside it.

#include <span>
#include <vector>

#include "rig/record/measurement.hpp"
#include "rig/scenario/measure_kind.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig {

/// Computes the measurements of plan step `index` (a measure step) taken at
/// `at_ns` (the step's end). `earlier` holds the measurements already taken
/// (speed regulation refers to them).
std::vector<Measurement> take_measurement(const Scenario& sc, std::size_t index, std::int64_t at_ns,
                                          const RunData& data, std::span<const Measurement> earlier);

/// A wait_until that timed out: FAIL when the pen did not reach the condition,
/// ERROR when the rig did not (depth actuator).
Measurement wait_timeout_measurement(const Scenario& sc, std::size_t index, std::int64_t at_ns);

}  // namespace rig
