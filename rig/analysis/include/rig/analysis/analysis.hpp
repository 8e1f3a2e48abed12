#pragma once
// rig::analysis: pure measurement functions on sample arrays (DESIGN.md §2).
// The same functions produce the run record's measurements online and
// reproduce them offline from the raw samples (`rig analyze`): every result
// depends on the inputs only, and the library is built without floating-point
// contraction so records reproduce bit for bit across machines.
#include "rig/analysis/stall.hpp"
#include "rig/analysis/step_response.hpp"
#include "rig/analysis/strokes.hpp"
#include "rig/analysis/timing.hpp"
#include "rig/analysis/trace.hpp"
