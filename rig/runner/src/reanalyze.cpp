// `rig analyze`: the run's measurements again, from samples.bin, through the
// runner's own recording path (recording.hpp), in bounded memory.
#include <algorithm>
#include <cmath>
#include <limits>

#include "rig/record/record.hpp"
#include "rig/runner/runner.hpp"
#include "rig/scenario/face_reference.hpp"
#include "rig/runner/samples_file.hpp"
#include "rig/scenario/run_checks.hpp"
#include "recording.hpp"

namespace rig {
namespace {

// 64 Ki samples (3.5 MiB) per read: large enough for sequential I/O at disk
// speed, small beside the retained trace.
constexpr std::size_t kChunkSamples = std::size_t{1} << 16;

/// One measurement the runner took: a measure step at its end, or a
/// wait_until that timed out.
struct Take {
    std::size_t step = 0;
    std::int64_t at_ns = 0;
    bool wait_timeout = false;
    bool reference = false;  // a reference step's end: the face it found
};

}  // namespace

std::vector<Measurement> reanalyze(const std::filesystem::path& run_dir, ReanalysisStats* stats) {
    const auto rec = run_record::read_record((run_dir / "record.json").string());
    Diagnostics d;
    // Rebuild the scenario from the texts in the record, not from disk: the
    // files may have changed since the run.
    LoadOptions lo;
    lo.spec_text = LoadOptions::Text{rec.spec.path, rec.spec.text};
    lo.fixture_text = LoadOptions::Text{rec.fixture.path, rec.fixture.text};
    const auto base = std::filesystem::path(rec.scenario.path).parent_path();
    auto sc = load_scenario_text(rec.scenario.path, rec.scenario.text, base, d, lo);
    if (!sc) throw InputError(d);
    std::vector<Event> events;
    std::vector<StepSpan> spans(sc->plan.size());
    for (const auto& s : rec.steps) {
        if (s.index >= spans.size()) throw std::runtime_error("record step index out of range");
        spans[s.index].start_ns = std::llround(s.start_s * 1e9);
        spans[s.index].end_ns = std::llround(s.end_s * 1e9);
    }
    for (const auto& e : rec.events) {
        auto ev = e.to_event();
        if (!ev) throw std::runtime_error("record event kind '" + e.kind + "' is unknown to this version of rig");
        events.push_back(std::move(*ev));
    }
    // What the runner measured, in the order it did (the record's order: each
    // when its step_finished or wait timeout was drained, so in time order).
    std::vector<Take> takes;
    for (const auto& m : rec.measurements) {
        if (m.name == "wait_until") {
            takes.push_back({m.step, std::llround(m.window_end_s * 1e9), true});
            continue;
        }
        if (!takes.empty() && !takes.back().wait_timeout && takes.back().step == m.step) continue;  // one step, several
        if (m.step >= spans.size() || spans[m.step].end_ns < 0) continue;
        takes.push_back({m.step, spans[m.step].end_ns, false});
    }
    // The reference steps that ended, where the runner took them: before the
    // measurements that ended after them (or with them, later in the plan).
    for (std::size_t i = 0; i < sc->plan.size(); ++i) {
        if (sc->plan[i].kind != StepKind::reference || spans[i].end_ns < 0) continue;
        const Take r{i, spans[i].end_ns, false, true};
        const auto at = std::find_if(takes.begin(), takes.end(), [&](const Take& t) {
            return t.at_ns > r.at_ns || (t.at_ns == r.at_ns && t.step > r.step);
        });
        takes.insert(at, r);
    }

    Recording recording(*sc);
    std::vector<Measurement> out;
    std::vector<FaceReference> references;
    std::size_t next = 0;
    // The run-start checks, taken as the runner takes them: once the samples
    // up to the first power_on are in, before they can be trimmed.
    std::optional<checks::RunStartChecks> run_start;
    const Event* first_on = analysis::find_event(events, EventKind::power_on);
    // Takes every measurement due by `upto_ns` from what the recording holds
    // (as the runner does when it drains a step's end: the samples up to it
    // are in, the window is [begin, end)).
    auto take_due = [&](std::int64_t upto_ns) {
        for (; next < takes.size() && takes[next].at_ns <= upto_ns; ++next) {
            const Take& t = takes[next];
            if (t.wait_timeout) {
                out.push_back(wait_timeout_measurement(*sc, t.step, t.at_ns));
                continue;
            }
            RunData data;
            data.trace = recording.view();
            data.events = events;
            data.spans = spans;
            data.references = references;
            data.run_start = run_start ? &*run_start : nullptr;
            data.reference_tops = recording.reference_tops();
            if (t.reference) {
                references.push_back(take_reference(*sc, t.step, data));
                close_reference(references, out, sc->fixture);
                continue;
            }
            for (auto& m : take_measurement(*sc, t.step, t.at_ns, data, out)) out.push_back(std::move(m));
        }
    };
    for_each_samples_chunk(run_dir / rec.samples.file, kChunkSamples, [&](std::span<const Sample> chunk) {
        recording.add(chunk);
        if (!run_start && first_on != nullptr && first_on->t_ns <= recording.last_t_ns()) {
            run_start = checks::run_start_checks(recording.view(), events, spans);
        }
        take_due(recording.last_t_ns());
        // Keep what the measurements still to take can need (the runner's
        // retention plan, from the next one's step).
        recording.trim(next < takes.size() ? takes[next].step : sc->plan.size());
    });
    // A run that ended (or was cut) before a step's recorded end: what is left
    // is measured from what there is, as the runner did at its end.
    take_due(std::numeric_limits<std::int64_t>::max());
    if (stats != nullptr) {
        stats->samples = recording.count();
        stats->peak_retained_samples = recording.peak_retained();
    }
    return out;
}

}  // namespace rig
