#pragma once
// The recording of a run in bounded memory, whatever the run's length.
//
//  - Every sample goes to samples.bin as it is drained (SamplesWriter: a
//    `.part` file, fsync at intervals, SHA-256 while writing, renamed at the
//    end), never kept whole in memory.
//  - The trace the measurements read keeps only what a measurement still to
//    come can need: the retention plan says, for each measure step, from which
//    plan step its window can begin (its window kind, its kind's anchor
//    event, a mark, or the previous step), and trim() drops samples older
//    than the first sample of the earliest such step of the measure steps
//    still to come (less a lead of 1 s for analyses that look before their
//    window, such as the step response's 250 ms). A window is as long as its
//    scenario makes it; the memory is the longest window's, not the run's.
//  - The whole run's timing health accumulates in fixed memory
//    (analysis::TimingAccumulator); the per-stroke series for the plots is
//    detected chunk by chunk as samples are dropped, and decimated to at most
//    kMaxStrokePoints points (every other point dropped when full, and every
//    2nd, 4th, ... stroke taken from then on: a sample of the strokes, not a
//    min/max envelope; the record has no field for one yet).
//  - The reference top of every dial setting (rig/scenario/reference_top.hpp)
//    is searched for as the samples arrive, one search per reference or
//    set_depth step (and the run's start), and kept for the run: a depth
//    window long after its anchor checks its strokes against it. trim() keeps
//    the samples an open search still reads (at most its give-up span).
//
// One path for the run and its re-analysis: the runner feeds a Recording as
// it drains the rings (writing samples.bin), and `rig analyze` feeds one the
// samples it reads back from samples.bin in chunks (no file written), trims it
// with the same retention plan and takes the same measurements from it. So
// re-analysis reproduces the record and needs the memory of the longest
// window, whatever the run's length.
//
// Thread-safety: the recorder's thread only.

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <vector>

#include "rig/analysis/analysis.hpp"
#include "rig/record/record.hpp"
#include "rig/runner/samples_file.hpp"
#include "rig/scenario/reference_top.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig {

class Recording {
public:
    static constexpr std::size_t kMaxStrokePoints = 20000;

    /// While running: every sample added is also streamed to `samples_path`.
    Recording(const Scenario& sc, const std::filesystem::path& samples_path);
    /// Re-analysis: the samples come from a samples file; nothing is written.
    explicit Recording(const Scenario& sc);

    void add(const Sample& s);
    /// The same for consecutive samples, column by column (re-analysis reads chunks).
    void add(std::span<const Sample> samples);
    [[nodiscard]] analysis::TraceView view() const { return trace_.view(); }
    [[nodiscard]] std::int64_t last_t_ns() const { return trace_.t_ns.empty() ? 0 : trace_.t_ns.back(); }
    [[nodiscard]] std::uint64_t count() const { return count_; }
    /// Time from the first sample to the last, s.
    [[nodiscard]] double duration_s() const {
        return count() > 1 ? static_cast<double>(last_t_ns() - first_t_ns_) * 1e-9 : 0.0;
    }
    [[nodiscard]] std::size_t retained() const { return trace_.size(); }
    [[nodiscard]] std::size_t peak_retained() const { return peak_; }

    /// Drops the samples no measure step from `unfinished_step` on (the
    /// first step whose end the recorder has not processed) can need.
    void trim(std::size_t unfinished_step);

    /// The whole run's timing health.
    [[nodiscard]] run_record::Timing timing(std::uint64_t loop_missed) const;
    /// The reference-top searches so far, one per anchor, in plan order.
    [[nodiscard]] std::span<const ReferenceTopSearch> reference_tops() const { return tops_; }
    /// The per-stroke series (detects over what is still retained).
    run_record::Strokes strokes();
    /// Finishes samples.bin; returns its SHA-256 (std::logic_error without a samples file).
    std::string finish_samples();

private:
    std::size_t add_strokes(std::size_t end_index, bool last);
    void decimate();
    void track_reference_tops();

    const Scenario& sc_;
    std::optional<SamplesWriter> writer_;  // none in re-analysis
    std::uint64_t count_ = 0;
    analysis::Trace trace_;
    analysis::TimingAccumulator timing_;
    analysis::StrokeOptions stroke_opt_;
    std::vector<std::size_t> retain_from_;  // per plan step: min over measure steps k >= it of their window's first step
    run_record::Strokes series_;
    double last_bdc_ns_ = -std::numeric_limits<double>::infinity();
    double last_valid_bdc_ns_ = std::numeric_limits<double>::quiet_NaN();
    std::size_t stride_ = 1, skipped_ = 0;
    std::size_t peak_ = 0;
    std::int64_t first_t_ns_ = 0;
    std::vector<ReferenceTopSearch> tops_;  // one per anchor: bounded by the plan's length
    std::size_t next_anchor_ = 0;           // the first plan step not yet looked at as an anchor
    std::size_t first_open_ = 0;            // tops_ before it are decided
};

}  // namespace rig
