#include "recording.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace rig {
namespace {

/// The events a plan step makes the loop emit (what an anchor can match).
std::vector<Event> events_of(const PlanStep& p, std::size_t j) {
    const auto step = static_cast<std::uint32_t>(j);
    switch (p.kind) {
        case StepKind::power: return {Event{0, p.on ? EventKind::power_on : EventKind::power_off, 0.0, step, ""}};
        case StepKind::set_rate:
        case StepKind::ramp: return {Event{0, EventKind::rate_setpoint, p.rate_hz, step, ""}};
        case StepKind::set_depth: return {Event{0, EventKind::depth_setpoint, p.depth_mm, step, ""}};
        case StepKind::stall: return {Event{0, EventKind::brake_engaged, 0.0, step, ""}};
        case StepKind::release: return {Event{0, EventKind::brake_released, 0.0, step, ""}};
        case StepKind::mark: return {Event{0, EventKind::mark, 0.0, step, p.text}};
        case StepKind::fault: return {Event{0, EventKind::fault_injected, 0.0, step, ""}};
        case StepKind::prompt: return {Event{0, EventKind::prompt, 0.0, step, p.text}};
        default: return {};
    }
}

/// The first plan step whose start can bound measure step i's window.
std::size_t window_first_step(const Scenario& sc, std::size_t i, int depth = 0) {
    const auto& m = sc.plan[i].measure;
    if (depth > 64) return 0;
    switch (m.window.kind) {
        case Window::Kind::duration: return i;
        case Window::Kind::previous:
            if (i == 0) return 0;
            return sc.plan[i - 1].kind == StepKind::measure ? window_first_step(sc, i - 1, depth + 1) : i - 1;
        case Window::Kind::since_mark:
            for (std::size_t j = i; j-- > 0;) {
                if (sc.plan[j].kind == StepKind::mark && sc.plan[j].text == m.window.mark) return j;
            }
            return 0;
        case Window::Kind::since_event:
            if (m.what == nullptr || m.what->anchor == nullptr) return i;
            for (std::size_t j = i; j-- > 0;) {
                for (const auto& e : events_of(sc.plan[j], j)) {
                    if (m.what->anchor(sc, e)) return j;
                }
            }
            return 0;
    }
    return 0;
}

analysis::TimingBudgetParams budget_of(const Scenario& sc) { return timing_budget(sc.fixture); }

}  // namespace

Recording::Recording(const Scenario& sc, const std::filesystem::path& samples_path) : Recording(sc) {
    writer_.emplace(samples_path);
}

Recording::Recording(const Scenario& sc)
    : sc_(sc), timing_(budget_of(sc)), retain_from_(sc.plan.size() + 1, sc.plan.size()) {
    stroke_opt_.max_sample_interval = budget_of(sc).rule().max_interval();
    // Suffix minimum over measure steps: from step s on, the earliest plan step
    // a window can start at. Speed regulation reads earlier measurements, not
    // samples; wait_until timeouts read nothing.
    for (std::size_t s = sc.plan.size(); s-- > 0;) {
        retain_from_[s] = retain_from_[s + 1];
        if (sc.plan[s].kind == StepKind::measure) retain_from_[s] = std::min(retain_from_[s], window_first_step(sc, s));
        // A reference step reads its own span when it ends.
        if (sc.plan[s].kind == StepKind::reference) retain_from_[s] = std::min(retain_from_[s], s);
    }
    // A few seconds of samples up front; the trace grows to the longest window.
    trace_.reserve(static_cast<std::size_t>(sc.fixture.sample_rate_hz * 2.0));
}

void Recording::add(const Sample& s) {
    if (writer_) writer_->append(s);
    if (count_++ == 0) first_t_ns_ = s.t_ns;
    trace_.push_back(s);
    timing_.add(s.t_ns, s.lateness_ns, s.flags);
    peak_ = std::max(peak_, trace_.size());
    track_reference_tops();
}

void Recording::add(std::span<const Sample> samples) {
    if (samples.empty()) return;
    if (writer_) writer_->append(samples);
    if (count_ == 0) first_t_ns_ = samples.front().t_ns;
    count_ += samples.size();
    trace_.append(samples);
    for (const Sample& s : samples) timing_.add(s.t_ns, s.lateness_ns, s.flags);
    peak_ = std::max(peak_, trace_.size());
    track_reference_tops();
}

void Recording::track_reference_tops() {
    if (trace_.size() == 0 || trace_.step_index.size() != trace_.size()) return;
    if (tops_.empty()) tops_.emplace_back(ReferenceTopSearch::kRunStart, first_t_ns_);
    // A reference or set_depth step is an anchor once a sample of a later
    // step is in: its search starts at the first of those.
    const std::size_t newest_step = trace_.step_index.back();
    for (; next_anchor_ < sc_.plan.size() && next_anchor_ < newest_step; ++next_anchor_) {
        if (!anchors_reference_top(sc_.plan[next_anchor_])) continue;
        const auto after = std::upper_bound(trace_.step_index.begin(), trace_.step_index.end(),
                                            static_cast<std::uint32_t>(next_anchor_));
        tops_.emplace_back(next_anchor_, trace_.t_ns[static_cast<std::size_t>(after - trace_.step_index.begin())]);
    }
    // Searches decide in about the order they start (each within its
    // give-up span): the decided ones before the first open one are skipped.
    while (first_open_ < tops_.size() && !tops_[first_open_].open()) ++first_open_;
    for (std::size_t i = first_open_; i < tops_.size(); ++i) {
        if (tops_[i].open()) tops_[i].advance(trace_.view(), stroke_opt_, last_t_ns());
    }
}

void Recording::trim(std::size_t unfinished_step) {
    // Trimmed only beyond 2^18 samples (26 s at 10 kHz, ~15 MB of columns):
    // shorter runs keep the whole trace, and their stroke series is detected
    // in one piece.
    if (trace_.size() < (std::size_t{1} << 18)) return;
    // Every sample carries the plan step the loop was in (non-decreasing), so
    // the recording itself says where a step began, whether or not the
    // recorder has read that step's events yet. Keep from the first sample of
    // the earliest step a window from the newest sample's step on can start
    // at, less a lead of 1 s (analyses look up to 250 ms before their window).
    const std::size_t first = retain_from_[std::min(unfinished_step, retain_from_.size() - 1)];
    const auto from_step = static_cast<std::size_t>(
        std::lower_bound(trace_.step_index.begin(), trace_.step_index.end(), static_cast<std::uint32_t>(first)) -
        trace_.step_index.begin());
    // (No sample of that step yet: it is still to come; keep only the lead.)
    std::int64_t keep_from =
        (from_step < trace_.size() ? trace_.t_ns[from_step] : trace_.t_ns.back()) - 1'000'000'000;
    // And what an open reference-top search still reads.
    for (std::size_t i = first_open_; i < tops_.size(); ++i) {
        if (tops_[i].open()) keep_from = std::min(keep_from, tops_[i].retain_from_ns());
    }
    const auto cut = static_cast<std::size_t>(
        std::lower_bound(trace_.t_ns.begin(), trace_.t_ns.end(), keep_from) - trace_.t_ns.begin());
    // Drop in large pieces only (amortised O(1) per sample).
    if (cut < trace_.size() / 2) return;
    // Cut where the last (perhaps unfinished) stroke of the piece begins, so
    // the next piece starts at a trough.
    const auto drop = static_cast<std::ptrdiff_t>(std::min(add_strokes(cut, false), trace_.size()));
    trace_.drop_front(static_cast<std::size_t>(drop));
}

std::size_t Recording::add_strokes(std::size_t end_index, bool last) {
    const auto v = trace_.view();
    end_index = std::min(end_index, v.size());
    const auto strokes = analysis::detect_strokes(v, 0, end_index, stroke_opt_);
    // The last stroke of a piece may be cut short by the piece's end: it is
    // taken from the next piece, which starts where it starts (a trough),
    // unless this is the end of the run.
    const std::size_t n = last || strokes.empty() ? strokes.size() : strokes.size() - 1;
    for (std::size_t i = 0; i < n; ++i) {
        const auto& s = strokes[i];
        if (s.t_bdc_ns <= last_bdc_ns_) continue;  // already taken from the previous piece
        // The rate of the interval ending at this BDC: only between two valid
        // strokes that follow each other (no gap between them).
        const bool follows = i > 0 ? strokes[i - 1].end_index == s.begin_index && strokes[i - 1].valid()
                                   : !std::isnan(last_valid_bdc_ns_);
        const double prev_bdc = i > 0 ? strokes[i - 1].t_bdc_ns : last_valid_bdc_ns_;
        last_bdc_ns_ = s.t_bdc_ns;
        last_valid_bdc_ns_ = s.valid() ? s.t_bdc_ns : std::numeric_limits<double>::quiet_NaN();
        if (skipped_ + 1 < stride_) {
            ++skipped_;
            continue;
        }
        skipped_ = 0;
        series_.t_s.push_back(s.t_bdc_ns * 1e-9);
        series_.depth_mm.push_back(s.valid() ? std::optional<double>(s.depth_mm) : std::nullopt);
        series_.force_n.push_back(s.peak_force_n);
        if (s.valid() && follows) {
            series_.rate_hz.emplace_back(1e9 / (s.t_bdc_ns - prev_bdc));
        } else {
            series_.rate_hz.emplace_back(std::nullopt);
        }
        if (series_.t_s.size() >= kMaxStrokePoints) decimate();
    }
    if (last || strokes.empty()) return end_index;
    // Continuity across the cut: the next piece's first stroke follows the last one taken.
    return strokes.back().begin_index;
}

void Recording::decimate() {
    // Keep every other point; from now on take every 2nd (4th, ...) stroke.
    auto half = [](auto& v) {
        std::size_t k = 0;
        for (std::size_t i = 0; i < v.size(); i += 2) v[k++] = v[i];
        v.resize(k);
    };
    half(series_.t_s);
    half(series_.depth_mm);
    half(series_.force_n);
    half(series_.rate_hz);
    stride_ *= 2;
}

std::string Recording::finish_samples() {
    if (!writer_) throw std::logic_error("Recording::finish_samples: this recording writes no samples file");
    return writer_->finish();
}

run_record::Strokes Recording::strokes() {
    add_strokes(trace_.size(), true);
    return series_;
}

run_record::Timing Recording::timing(std::uint64_t loop_missed) const {
    const auto h = timing_.health();
    run_record::Timing t;
    t.sample_rate_hz = sc_.fixture.sample_rate_hz;
    t.samples = h.samples;
    t.mean_period_us = h.mean_period_s * 1e6;
    t.missed_samples = std::max<std::uint64_t>(loop_missed, h.missed_samples);
    t.late_samples = h.late_count;
    t.lateness_us = {static_cast<double>(h.p50_lateness_ns) / 1e3, static_cast<double>(h.p99_lateness_ns) / 1e3,
                     static_cast<double>(h.max_lateness_ns) / 1e3};
    t.budget_us = static_cast<double>(sc_.fixture.timing.lateness.count()) / 1e3;
    for (auto e : analysis::lateness_bin_edges_us) t.histogram.lower_us.push_back(static_cast<double>(e));
    for (std::size_t i = 1; i < analysis::lateness_bin_edges_us.size(); ++i) {
        t.histogram.upper_us.emplace_back(static_cast<double>(analysis::lateness_bin_edges_us[i]));
    }
    t.histogram.upper_us.emplace_back(std::nullopt);  // the last bin is open-ended
    for (auto c : h.lateness_histogram) t.histogram.counts.push_back(c);
    t.verdict = h.verdict;
    t.outcome = (h.ok() && !h.budget_broken) ? "PASS" : "ERROR";
    return t;
}

}  // namespace rig
