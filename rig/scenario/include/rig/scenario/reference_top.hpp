#pragma once
// The reference top of a depth window's dial setting (the encoder check
// top_position_reference, instrument_checks.hpp): the mean top (retracted)
// position of the first kReferenceTopStrokes valid strokes after its anchor,
// the end of the last `reference` or `set_depth` step that ended before the
// window (the face reference in force; the dial moves the top), or the run's
// first sample when there is none.
//
// Run-level state: a depth window can come minutes after its anchor, long
// after a long run's recording has dropped the anchor's samples
// (recording.hpp keeps a window's samples and 1 s before it). So the
// recording runs one search per anchor as the samples arrive, keeps the
// samples from where its open searches look, and hands the searches to the
// measurements (RunData::reference_tops); `rig analyze` feeds the same
// recording, so the run and its re-analysis agree. Data put together without
// a recording run the same search over their trace.
//
// The search: 500 ms chunks from the anchor, each ending 500 ms after the
// last ([start, anchor + k x 500 ms)); a chunk without any stroke moves the
// start to 100 ms (longer than a stroke at the slowest level) before its
// end, so a pen that stays off after the anchor costs no memory. Only strokes
// that end before their chunk's end count (the same strokes whatever the
// chunk: a chunk's end cannot cut one short). Found: the mean top and the
// instant the last of those strokes ended. Given up (no reference top, no
// check) when kGiveUpNs of strokes pass without kReferenceTopStrokes valid
// ones (an encoder fault flagged on every stroke: depth is ERROR by that), so
// an open search keeps at most that much of the trace.
// A window uses the top only when its strokes ended by the window's end; a
// search still open continues, on a copy, over whatever the trace holds.
//
// Thread-safety: a value type; const members are pure.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "rig/analysis/strokes.hpp"
#include "rig/analysis/trace.hpp"

namespace rig {

struct PlanStep;

/// Whether a plan step anchors a reference top: a `reference` step (the face
/// reference in force) or a `set_depth` step (the dial moves the top).
bool anchors_reference_top(const PlanStep& step);

class ReferenceTopSearch {
public:
    /// The anchor of a window with no reference or set_depth step before it.
    static constexpr std::size_t kRunStart = std::numeric_limits<std::size_t>::max();
    static constexpr std::int64_t kChunkNs = 500'000'000;    // ~75 strokes at 150 Hz
    static constexpr std::int64_t kOverlapNs = 100'000'000;  // longer than a stroke at the slowest level
    static constexpr std::int64_t kGiveUpNs = 5'000'000'000;

    /// A search from the first sample at or after `anchor_ns` (the end of
    /// plan step `anchor_step`, or kRunStart).
    ReferenceTopSearch(std::size_t anchor_step, std::int64_t anchor_ns)
        : step_(anchor_step), start_ns_(anchor_ns), next_end_ns_(anchor_ns + kChunkNs) {}

    /// Examines every chunk that ends at or before `upto_ns` (the caller has
    /// every sample before it in `v`) until the search is decided.
    void advance(analysis::TraceView v, const analysis::StrokeOptions& o, std::int64_t upto_ns);

    /// The reference top for a window that ends at `window_end_ns`: found by
    /// strokes that ended by then, else none (fewer strokes than that: no
    /// check). Still open: continues on a copy over what `v` holds.
    [[nodiscard]] std::optional<double> top_for(analysis::TraceView v, const analysis::StrokeOptions& o,
                                                std::int64_t window_end_ns) const;

    [[nodiscard]] bool open() const { return !decided_; }
    /// The earliest sample the search can still read.
    [[nodiscard]] std::int64_t retain_from_ns() const { return start_ns_; }
    [[nodiscard]] std::size_t anchor_step() const { return step_; }

private:
    /// One chunk [start, end_ns): decides the search, or moves it on.
    void examine(analysis::TraceView v, const analysis::StrokeOptions& o, std::int64_t end_ns, bool last);

    std::size_t step_;
    std::int64_t start_ns_, next_end_ns_;
    bool decided_ = false;
    std::optional<double> top_mm_;
    std::int64_t top_end_ns_ = 0;  // when the last of its strokes ended
};

}  // namespace rig
