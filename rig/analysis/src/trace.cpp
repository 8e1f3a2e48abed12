#include "rig/analysis/trace.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

namespace rig::analysis {

Trace Trace::from_samples(std::span<const Sample> samples) {
    Trace t;
    t.append(samples);
    return t;
}

void Trace::append(std::span<const Sample> samples) {
    // One resize and one pass, not eight push_backs per sample.
    const std::size_t n0 = size();
    const std::size_t n = n0 + samples.size();
    t_ns.resize(n);
    position_mm.resize(n);
    force_n.resize(n);
    current_a.resize(n);
    setpoint_hz.resize(n);
    flags.resize(n);
    lateness_ns.resize(n);
    step_index.resize(n);
    force_age_ns.resize(n);
    current_age_ns.resize(n);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        const Sample& s = samples[i];
        const std::size_t k = n0 + i;
        t_ns[k] = s.t_ns;
        position_mm[k] = s.position_mm;
        force_n[k] = s.force_n;
        current_a[k] = s.current_a;
        setpoint_hz[k] = s.setpoint_hz;
        flags[k] = s.flags;
        lateness_ns[k] = s.lateness_ns;
        step_index[k] = s.step_index;
        force_age_ns[k] = s.force_age_ns;
        current_age_ns[k] = s.current_age_ns;
    }
}

std::vector<Sample> Trace::to_samples() const {
    std::vector<Sample> out(size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = Sample{t_ns[i], lateness_ns[i], position_mm[i], force_n[i], current_a[i], setpoint_hz[i], flags[i],
                        step_index[i], force_age_ns[i], current_age_ns[i]};
    }
    return out;
}

void Trace::push_back(const Sample& s) {
    t_ns.push_back(s.t_ns);
    position_mm.push_back(s.position_mm);
    force_n.push_back(s.force_n);
    current_a.push_back(s.current_a);
    setpoint_hz.push_back(s.setpoint_hz);
    flags.push_back(s.flags);
    lateness_ns.push_back(s.lateness_ns);
    step_index.push_back(s.step_index);
    force_age_ns.push_back(s.force_age_ns);
    current_age_ns.push_back(s.current_age_ns);
}

void Trace::reserve(std::size_t n) {
    t_ns.reserve(n);
    position_mm.reserve(n);
    force_n.reserve(n);
    current_a.reserve(n);
    setpoint_hz.reserve(n);
    flags.reserve(n);
    lateness_ns.reserve(n);
    step_index.reserve(n);
    force_age_ns.reserve(n);
    current_age_ns.reserve(n);
}

void Trace::drop_front(std::size_t n) {
    auto drop = [n](auto& v) { v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(std::min(n, v.size()))); };
    drop(t_ns);
    drop(position_mm);
    drop(force_n);
    drop(current_a);
    drop(setpoint_hz);
    drop(flags);
    drop(lateness_ns);
    drop(step_index);
    drop(force_age_ns);
    drop(current_age_ns);
}

TraceView Trace::view() const {
    return TraceView{t_ns, position_mm, force_n, current_a, setpoint_hz, flags, lateness_ns, step_index, force_age_ns,
                     current_age_ns};
}

IndexRange index_range(TraceView v, TimeWindow w) {
    const auto b = std::lower_bound(v.t_ns.begin(), v.t_ns.end(), w.begin_ns);
    const auto e = std::lower_bound(b, v.t_ns.end(), w.end_ns);
    return IndexRange{static_cast<std::size_t>(b - v.t_ns.begin()), static_cast<std::size_t>(e - v.t_ns.begin())};
}

std::chrono::nanoseconds estimate_sample_period(TraceView v, std::size_t begin, std::size_t end) {
    end = std::min(end, v.size());
    if (end <= begin + 1) return std::chrono::nanoseconds{0};
    const std::size_t intervals = end - begin - 1;
    // A bounded, evenly spread subset keeps this O(1) in memory for hour-long
    // recordings; the median ignores the few long intervals that gaps make.
    constexpr std::size_t max_picks = 4095;
    const std::size_t picks = std::min(intervals, max_picks);
    std::array<std::int64_t, max_picks> dt{};
    for (std::size_t k = 0; k < picks; ++k) {
        const std::size_t i = begin + 1 + (k * intervals) / picks;
        dt[k] = v.t_ns[i] - v.t_ns[i - 1];
    }
    const auto mid = dt.begin() + static_cast<std::ptrdiff_t>(picks / 2);
    std::nth_element(dt.begin(), mid, dt.begin() + static_cast<std::ptrdiff_t>(picks));
    return std::chrono::nanoseconds{*mid};
}

std::chrono::nanoseconds gap_limit(TraceView v, std::size_t begin, std::size_t end,
                                   std::optional<std::chrono::nanoseconds> explicit_limit) {
    if (explicit_limit) return *explicit_limit;
    const std::int64_t p = estimate_sample_period(v, begin, end).count();
    return std::chrono::nanoseconds{p + p / 2};
}

WindowQuality check_window(TraceView v, std::size_t begin, std::size_t end, const QualityOptions& opt) {
    WindowQuality q;
    end = std::min(end, v.size());
    begin = std::min(begin, end);
    q.begin_index = begin;
    q.end_index = end;
    q.samples = end - begin;
    const std::int64_t limit = gap_limit(v, begin, end, opt.max_sample_interval).count();
    q.gap_limit_ns = limit;
    const bool have_flags = v.flags.size() == v.size();
    for (std::size_t i = begin; i < end; ++i) {
        const std::uint32_t f = have_flags ? v.flags[i] : 0u;
        q.flags_seen |= f;
        if ((f & opt.fault_flags & ~static_cast<std::uint32_t>(sample_after_gap)) != 0) ++q.faulty_samples;
        if (i > begin) {
            const std::int64_t dt = v.t_ns[i] - v.t_ns[i - 1];
            q.max_interval_ns = std::max(q.max_interval_ns, dt);
            if (dt > limit || (f & sample_after_gap) != 0) ++q.gaps;
        }
    }
    if (q.samples < opt.min_samples) {
        std::ostringstream m;
        m << "too few samples in the window (" << q.samples << " < " << opt.min_samples << ")";
        q.invalid = m.str();
    } else if (q.gaps > 0) {
        std::ostringstream m;
        m << q.gaps << " gap(s) in the window (longest interval " << q.max_interval_ns / 1000 << " us, limit "
          << limit / 1000 << " us): samples are missing";
        q.invalid = m.str();
    } else if (q.faulty_samples > 0) {
        std::ostringstream m;
        m << q.faulty_samples << " sample(s) flagged faulty in the window (flags 0x" << std::hex << q.flags_seen << ")";
        q.invalid = m.str();
    }
    return q;
}

const Event* find_event(std::span<const Event> events, EventKind kind, std::int64_t from_ns) {
    for (const Event& e : events)
        if (e.kind == kind && e.t_ns >= from_ns) return &e;
    return nullptr;
}

}  // namespace rig::analysis
