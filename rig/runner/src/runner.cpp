#include "rig/runner/runner.hpp"

#include <spdlog/spdlog.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <future>
#include <limits>
#include <random>
#include <thread>

#include "rig/core/atomic_file.hpp"
#include "rig/core/hash.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/core/version.hpp"
#include "rig/record/record.hpp"
#include "rig/scenario/face_reference.hpp"
#include "rig/reports/junit.hpp"
#include "rig/runner/loop.hpp"
#include "rig/runner/samples_file.hpp"
#include "rig/scenario/run_checks.hpp"
#include "recording.hpp"

namespace rig {

const char* to_string(Verdict v) {
    switch (v) {
        case Verdict::pass: return "PASS";
        case Verdict::fail: return "FAIL";
        case Verdict::error: return "ERROR";
        case Verdict::aborted: return "ABORTED";
    }
    return "?";
}

int exit_code(Verdict v) { return exit_code_of(to_string(v)); }

int exit_code_of(std::string_view verdict) {
    if (verdict == "PASS") return 0;
    if (verdict == "FAIL") return 1;
    if (verdict == "ABORTED") return 3;
    return 2;  // ERROR, INCOMPLETE
}

std::string new_run_id(std::string_view scenario_id) {
    const std::string ts = utc_compact_stamp(std::chrono::system_clock::now());
    std::string id;
    for (char c : scenario_id) {
        id += (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.') ? c : '_';
    }
    std::random_device rd;
    char rnd[8];
    std::snprintf(rnd, sizeof rnd, "%04x", static_cast<unsigned>(rd() & 0xffffu));
    return ts + "-" + id + "-" + rnd;
}

namespace {

std::string hostname() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

template <typename F>
F input_file(const YamlFile& f) {
    F out;
    out.path = f.path;
    out.sha256 = sha256_hex(f.text);
    out.text = f.text;
    return out;
}

Verdict worst(const std::vector<Measurement>& ms) {
    Verdict v = Verdict::pass;
    for (const auto& m : ms) {
        if (m.outcome == Outcome::error) return Verdict::error;
        if (m.outcome == Outcome::fail) v = Verdict::fail;
    }
    return v;
}

/// The record's parts that do not depend on how the run went.
run_record::RunRecord record_header(const Scenario& sc, const RunOptions& o, const std::string& run_id,
                                const std::string& started, std::chrono::year_month_day today) {
    run_record::RunRecord r;
    r.run_id = run_id;
    r.complete = false;
    r.verdict = "INCOMPLETE";
    r.verdict_reason = "the run has not finished (or was interrupted before closing its record)";
    r.started_utc = started;
    r.software = {"penrig", std::string(software_version()), std::string(git_commit())};
    r.host = hostname();
    r.operator_id = {o.operator_id.name, o.operator_id.source};
    r.dut = {o.dut_serial, o.lot};
    r.tags = sc.tags;
    for (const auto& t : o.extra_tags) {
        if (std::find(r.tags.begin(), r.tags.end(), t) == r.tags.end()) r.tags.push_back(t);
    }
    r.seed = o.seed;
    r.scenario = input_file<run_record::ScenarioFile>(sc.source);
    r.scenario.id = sc.id;
    r.scenario.title = sc.title;
    r.scenario.version = sc.version;
    r.scenario.requirements = sc.requirements;
    r.spec = input_file<run_record::SpecFile>(sc.spec.source);
    r.spec.model = sc.spec.model;
    r.spec.id = std::filesystem::path(sc.spec.source.path).stem().string();
    r.spec.version = sc.spec.version;
    r.fixture = input_file<run_record::FixtureFile>(sc.fixture.source);
    r.fixture.name = sc.fixture.name;
    r.fixture.backend = sc.fixture.backend == Backend::sim ? "sim" : "hardware";
    for (const auto& c : sc.fixture.calibration) {
        r.calibration.push_back({c.instrument, c.id, c.scale, c.offset, c.unit, c.date, c.due, c.reference, c.result,
                                 c.performed_by, record_state(c, today) == CalibrationState::valid ? "valid" : "expired"});
    }
    // What each kind of the plan is, for readers without the registry (reports).
    for (const auto& p : sc.plan) {
        if (p.kind != StepKind::measure || p.measure.what == nullptr) continue;
        const MeasureKind& k = *p.measure.what;
        auto& info = r.kinds[std::string(k.name)];
        info.description = std::string(k.description);
        info.plot = std::string(k.plot);
        for (const auto& q : k.quantities) info.quantities[std::string(q.name)] = {std::string(q.unit), std::string(q.description)};
    }
    // Until the run closes, the samples are in samples.bin.part (a readable
    // prefix if the run is killed; `rig analyze`/`export-csv` read it).
    r.samples.file = "samples.bin" + std::string(kSamplesPartialSuffix);
    r.samples.complete = false;
    r.timing.sample_rate_hz = sc.fixture.sample_rate_hz;
    r.timing.budget_us = static_cast<double>(sc.fixture.timing.lateness.count()) / 1e3;
    return r;
}

void write_record(const std::filesystem::path& dir, const run_record::RunRecord& r) {
    write_file_atomic(dir / "record.json", nlohmann::json(r).dump(2) + "\n");
}

EventKind public_kind(LoopEventKind k, bool& keep) {
    keep = true;
    switch (k) {
        case LoopEventKind::step_started: return EventKind::step_started;
        case LoopEventKind::power_on: return EventKind::power_on;
        case LoopEventKind::power_off: return EventKind::power_off;
        case LoopEventKind::rate_setpoint: return EventKind::rate_setpoint;
        case LoopEventKind::depth_setpoint: return EventKind::depth_setpoint;
        case LoopEventKind::brake_engaged: return EventKind::brake_engaged;
        case LoopEventKind::brake_released: return EventKind::brake_released;
        case LoopEventKind::fault_injected: return EventKind::fault_injected;
        case LoopEventKind::mark: return EventKind::mark;
        case LoopEventKind::index_latched: return EventKind::index_latched;
        case LoopEventKind::prompt: return EventKind::prompt;
        case LoopEventKind::estop: return EventKind::estop;
        default: keep = false; return EventKind::mark;
    }
}

// Per-tick work time beside lateness (same bins), and each ADC input's fresh /
// held samples, effective rate and age, from the loop's own counters.
void add_loop_work(run_record::Timing& t, const LoopStats& stats, double dur_s) {
    run_record::WorkTime w;
    w.max_us = static_cast<double>(stats.work_max_ns) / 1e3;
    for (auto e : analysis::lateness_bin_edges_us) w.lower_us.push_back(static_cast<double>(e));
    for (auto c : stats.work_histogram) w.counts.push_back(c);
    t.work_us = w;
    auto input = [&](std::size_t i) {
        run_record::AdcInputTiming a;
        const auto n = stats.adc_fresh[i] + stats.adc_held[i];
        a.fresh_samples = stats.adc_fresh[i];
        a.held_samples = stats.adc_held[i];
        a.effective_rate_hz = dur_s > 0 ? static_cast<double>(stats.adc_fresh[i]) / dur_s : 0.0;
        a.age_mean_us = n > 0 ? static_cast<double>(stats.adc_age_sum_ns[i] / static_cast<long double>(n)) / 1e3 : 0.0;
        a.age_max_us = static_cast<double>(stats.adc_age_max_ns[i]) / 1e3;
        return a;
    };
    t.adc = run_record::AdcTiming{input(0), input(1)};
}

}  // namespace

Runner::Runner(const Scenario& scenario, Fixture& fixture, RunOptions options, std::atomic<bool>& abort,
               RunObserver* observer)
    : sc_(scenario), fx_(fixture), opts_(std::move(options)), abort_(abort), obs_(observer) {
    if (!opts_.today) opts_.today = utc_today();
}

GateDecision Runner::preflight() const {
    GateDecision g = gate_run(sc_, *opts_.today);
    if (!g.may_start) throw CalibrationRefused(g);
    for (const auto& d : g.diagnostics.sorted()) spdlog::warn("{}", d.str());
    return g;
}

std::uint64_t Runner::heartbeat() const {
    const auto* s = static_cast<const LoopStats*>(stats_.load(std::memory_order_acquire));
    return s != nullptr ? s->heartbeat.load(std::memory_order_acquire) : 0;
}

RunResult Runner::run() {
    RunResult res;
    res.run_id = opts_.run_id.value_or(new_run_id(sc_.id));
    res.dir = opts_.out_dir.value_or(opts_.runs_root / res.run_id);
    std::filesystem::create_directories(res.dir);
    const std::string started = utc_now();
    run_record::RunRecord rec = record_header(sc_, opts_, res.run_id, started, *opts_.today);
    write_record(res.dir, rec);
    if (opts_.on_started) {
        try {
            opts_.on_started(res.run_id, res.dir);
        } catch (const std::exception& e) {
            spdlog::error("run start hook failed: {}", e.what());
        }
    }
    if (obs_) obs_->on_started(res.run_id, res.dir);
    spdlog::info("run {} started: scenario {} on fixture {} (seed {})", res.run_id, sc_.id, sc_.fixture.name, opts_.seed);

    // Rings sized for ~1 s of samples: the recorder drains them continuously.
    const auto ring_samples = static_cast<std::size_t>(std::max(4096.0, sc_.fixture.sample_rate_hz));
    SpscRing<Sample> sample_ring(ring_samples);
    SpscRing<LoopEvent> event_ring(8192);
    LoopStats stats;
    stats_.store(&stats, std::memory_order_release);
    AcquisitionLoop loop(sc_, fx_, sample_ring, event_ring, abort_, stats);
    const bool lockstep = !fx_.clock().is_real_time();
    loop.set_backpressure(lockstep);

    // What the model records for the run is sized now, while no loop runs.
    fx_.prepare_run(sc_.expected_duration);

    nlohmann::json rt_report;
    std::thread acq([&] {
        if (opts_.realtime_setup) {
            try {
                rt_report = opts_.realtime_setup();
            } catch (const std::exception& e) {
                rt_report = {{"error", e.what()}};
            }
        }
        loop.run();  // t0: published in `stats` before the first sample
    });
    // Whatever unwinds from here (an allocation that fails in the recorder)
    // stops the loop and joins it first: a joinable std::thread destroyed is
    // std::terminate, with the pen still powered.
    struct JoinOnUnwind {
        std::thread& t;
        std::atomic<bool>& abort;
        ~JoinOnUnwind() {
            if (t.joinable()) {
                abort.store(true);
                t.join();
            }
        }
    } join_on_unwind{acq, abort_};

    // The recording: samples.bin written as the samples are drained, the
    // trace the measurements read bounded by what they can still need
    // (recording.hpp).
    Recording recording(sc_, res.dir / "samples.bin");
    std::size_t unfinished_step = 0;  // the first plan step whose end has not been processed
    std::vector<Event> events;
    std::vector<StepSpan> spans(sc_.plan.size());
    std::vector<Measurement> measurements;
    // Measurements announced as provisional (their closing reference still to come).
    struct Provisional {
        std::size_t index;      // into measurements
        std::string awaiting;   // the closing reference's id
    };
    std::vector<Provisional> provisional;
    std::vector<FaceReference> references;
    std::string reason;
    Verdict terminal = Verdict::pass;  // pass = no terminal condition
    bool finished = false;
    std::uint64_t overflow = 0;
    auto last_progress = std::chrono::steady_clock::now();
    std::future<bool> prompt_answer;
    std::string prompt_text;
    // Taken at the first power-on, from the samples the loop recorded with the
    // pen unpowered just before it (run_checks.hpp): later measurements need
    // them after those samples may have left the bounded trace.
    std::optional<checks::RunStartChecks> run_start;

    auto data_view = [&] {
        RunData d;
        d.trace = recording.view();
        d.events = events;
        d.spans = spans;
        d.truth = fx_.ground_truth();
        d.truth_offset_ns = stats.t0_ns.load(std::memory_order_acquire);
        d.references = references;
        d.run_start = run_start ? &*run_start : nullptr;
        d.reference_tops = recording.reference_tops();
        return d;
    };

    // Outside the try: a batch popped from the ring and not yet processed when
    // the recorder fails may hold the loop's `finished`, which the drain below
    // must see (else it waits for an event already taken).
    std::vector<LoopEvent> batch;
    try {
        batch.reserve(256);
        while (!finished) {
            batch.clear();
            LoopEvent e;
            while (batch.size() < 256 && event_ring.pop(e)) batch.push_back(e);
            // Samples pushed before these events are visible now: drain them first.
            Sample s;
            std::size_t n = 0;
            while (sample_ring.pop(s)) {
                recording.add(s);
                ++n;
            }
            for (const auto& ev : batch) {
                bool keep = false;
                const EventKind k = public_kind(ev.kind, keep);
                if (keep) {
                    Event pe{ev.t_ns, k, ev.value, ev.step, ""};
                    const auto& ps = sc_.plan[ev.step];
                    if (k == EventKind::mark || k == EventKind::prompt) pe.text = ps.text;
                    if (k == EventKind::step_started) pe.text = ps.label;
                    if (k == EventKind::fault_injected) pe.text = std::string(to_string(ps.fault.kind));
                    events.push_back(std::move(pe));
                }
                switch (ev.kind) {
                    case LoopEventKind::power_on:
                        if (!run_start) run_start = checks::run_start_checks(recording.view(), events, spans);
                        break;
                    case LoopEventKind::step_started:
                        spans[ev.step].start_ns = ev.t_ns;
                        spdlog::debug("step {} ({}): {}", ev.step, sc_.plan[ev.step].where.line, sc_.plan[ev.step].label);
                        if (obs_) obs_->on_step(ev.step, sc_.plan[ev.step], static_cast<double>(ev.t_ns) * 1e-9);
                        break;
                    case LoopEventKind::step_finished:
                        spans[ev.step].end_ns = ev.t_ns;
                        unfinished_step = std::max<std::size_t>(unfinished_step, ev.step + 1);
                        if (sc_.plan[ev.step].kind == StepKind::reference) {
                            references.push_back(take_reference(sc_, ev.step, data_view()));
                            const auto& fr = references.back();
                            if (fr.valid) {
                                spdlog::info("{}: cartridge face at {:.4f} mm of the encoder (U {:.4f} mm)", fr.id,
                                             *fr.value_mm, fr.uncertainty_mm.value_or(0.0));
                            } else {
                                spdlog::warn("{}: no cartridge-face reference: {}", fr.id, fr.reason);
                            }
                            close_reference(references, measurements, sc_.fixture);
                            // Depths that waited for this closing check now have their final outcome.
                            std::erase_if(provisional, [&](const Provisional& p) {
                                if (p.awaiting != fr.id) return false;
                                if (obs_) obs_->on_final_measurement(measurements[p.index]);
                                return true;
                            });
                        }
                        if (sc_.plan[ev.step].kind == StepKind::measure) {
                            for (auto& m : take_measurement(sc_, ev.step, ev.t_ns, data_view(), measurements)) {
                                spdlog::debug("{} {} = {} {} [{}]", m.id, m.name,
                                             m.value ? std::to_string(*m.value) : std::string("-"), m.unit,
                                             to_string(m.outcome));
                                if (auto awaiting = awaiting_closing(sc_, ev.step, m)) {
                                    provisional.push_back({measurements.size(), *awaiting});
                                    if (obs_) obs_->on_provisional_measurement(m, *awaiting);
                                } else if (obs_) {
                                    obs_->on_measurement(m);
                                }
                                measurements.push_back(std::move(m));
                            }
                        }
                        break;
                    case LoopEventKind::wait_timeout: {
                        auto m = wait_timeout_measurement(sc_, ev.step, ev.t_ns);
                        spdlog::warn("{}", m.message);
                        if (obs_) obs_->on_measurement(m);
                        measurements.push_back(std::move(m));
                        break;
                    }
                    case LoopEventKind::prompt: {
                        // The operator may take minutes: ask on another thread
                        // and keep draining the rings meanwhile.
                        const auto& text = sc_.plan[ev.step].text;
                        if (!opts_.prompt) {
                            loop.acknowledge_prompt();
                        } else {
                            // A detached thread, not std::async: a run aborted
                            // while the operator has not answered must not wait
                            // for the answer.
                            prompt_text = text;
                            auto answer = std::make_shared<std::promise<bool>>();
                            prompt_answer = answer->get_future();
                            std::thread([answer, ask = opts_.prompt, text] {
                                bool ok = false;
                                try {
                                    ok = ask(text);
                                } catch (...) {
                                    ok = false;
                                }
                                answer->set_value(ok);
                            }).detach();
                        }
                        break;
                    }
                    case LoopEventKind::estop:
                        terminal = Verdict::aborted;
                        reason = "E-stop pressed";
                        break;
                    case LoopEventKind::abort_requested:
                        if (terminal == Verdict::pass) {
                            terminal = Verdict::aborted;
                            reason = "aborted on request (signal or client)";
                        }
                        break;
                    case LoopEventKind::sensor_timeout:
                        terminal = Verdict::error;
                        reason = std::string("sensor timeout: the ") +
                                 (ev.value == 0.0 ? "encoder" : ev.value == 1.0 ? "load cell" : "current sense") +
                                 " failed to read for 100 ms";
                        break;
                    case LoopEventKind::actuator_error:
                        terminal = Verdict::error;
                        reason = "actuator error at step " + std::to_string(ev.step) + " (line " +
                                 std::to_string(sc_.plan[ev.step].where.line) + ", " + sc_.plan[ev.step].label +
                                 "): the output could not be driven or the move was refused";
                        break;
                    case LoopEventKind::ring_overflow: overflow += static_cast<std::uint64_t>(ev.value); break;
                    case LoopEventKind::finished: finished = true; break;
                    default: break;
                }
            }
            if (prompt_answer.valid() &&
                prompt_answer.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
                if (!prompt_answer.get()) {
                    terminal = Verdict::error;
                    reason = "operator prompt could not be acknowledged: " + prompt_text;
                    abort_.store(true);
                }
                loop.acknowledge_prompt();
            }
            if (obs_) {
                const auto now = std::chrono::steady_clock::now();
                if (now - last_progress > std::chrono::milliseconds(100)) {
                    last_progress = now;
                    const double t = static_cast<double>(recording.last_t_ns()) * 1e-9;
                    // The loop tracks raw BDC readings; depth is relative to the face in force (NaN: none yet).
                    const FaceReference* fr = references.empty() ? nullptr : &references.back();
                    const double face = fr != nullptr && fr->valid && fr->value_mm ? *fr->value_mm
                                                                                  : std::numeric_limits<double>::quiet_NaN();
                    obs_->on_progress(t, static_cast<double>(sc_.expected_duration.count()) * 1e-9,
                                      stats.live_rate_hz.load(), stats.live_depth_mm.load() - face);
                }
            }
            recording.trim(unfinished_step);
            if (batch.empty() && n == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    } catch (const std::exception& e) {
        // The recorder failed: stop the loop, keep what we have, close as ERROR.
        abort_.store(true);
        terminal = Verdict::error;
        reason = std::string("recorder error: ") + e.what();
        spdlog::error("{}", reason);
        // Drain so the loop (under backpressure) can finish.
        for (const auto& ev : batch) finished = finished || ev.kind == LoopEventKind::finished;
        Sample s;
        LoopEvent ev;
        while (!finished) {
            while (sample_ring.pop(s)) {}
            while (event_ring.pop(ev)) finished = finished || ev.kind == LoopEventKind::finished;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    acq.join();
    stats_.store(nullptr, std::memory_order_release);
    fx_.safe_state();  // the loop did this already; idempotent, and cheap insurance

    const std::uint64_t dropped = stats.dropped.load();
    if (dropped > 0 && terminal == Verdict::pass) {
        terminal = Verdict::error;
        reason = std::to_string(dropped) + " samples were lost because the recorder fell behind";
    }
    if (terminal == Verdict::pass) {
        res.verdict = worst(measurements);
        if (res.verdict == Verdict::error) reason = "a measurement is ERROR: the rig could not measure validly";
        if (res.verdict == Verdict::fail) reason = "a measurement is out of spec";
    } else {
        res.verdict = terminal;
    }

    // A run that measured nothing proves nothing: never a vacuous PASS.
    if (res.verdict == Verdict::pass && measurements.empty()) {
        res.verdict = Verdict::error;
        reason = "nothing was measured (the scenario has no measure step that ran)";
    }
    res.reason = reason;

    // Close the record. One final verdict: record.json says it durably
    // first (written atomically: temp, fsync, rename, directory fsync), then
    // junit.xml is written from that closed record, and the result the caller
    // prints, exits with and answers clients with is the same record. Any
    // failure to write is ERROR everywhere: the record (when it can still be
    // written at all; else it stays INCOMPLETE, never PASS), junit.xml (or
    // none), the result.
    auto close_failed = [&](const std::string& what) {
        spdlog::error("run {}: {}", res.run_id, what);
        res.verdict = Verdict::error;
        reason = what;
        rec.verdict = to_string(Verdict::error);
        rec.verdict_reason = reason;
        rec.complete = true;
        if (!rec.ended_utc) rec.ended_utc = utc_now();
        try {
            write_record(res.dir, rec);
        } catch (const std::exception& e) {
            // On disk the record stays as written at the start (INCOMPLETE);
            // the result (summary, exit code, daemon) says ERROR.
            spdlog::error("the record in {} stays INCOMPLETE: {}", res.dir.string(), e.what());
        }
        try {
            write_file_atomic(res.dir / "junit.xml", junit_xml(rec));
        } catch (const std::exception& e) {
            std::error_code ec;
            std::filesystem::remove(res.dir / "junit.xml", ec);  // never a stale suite
            spdlog::error("no junit.xml in {}: {}", res.dir.string(), e.what());
        }
    };
    try {
        rec.measurements = measurements;
        rec.references = references;
        rec.timing = recording.timing(stats.missed.load());
        add_loop_work(rec.timing, stats, recording.duration_s());
        rec.realtime = rt_report;
        for (std::size_t i = 0; i < sc_.plan.size(); ++i) {
            if (spans[i].start_ns < 0) continue;
            rec.steps.push_back({i, std::string(to_string(sc_.plan[i].kind)), sc_.plan[i].where.line, sc_.plan[i].label,
                                 static_cast<double>(spans[i].start_ns) * 1e-9,
                                 static_cast<double>(std::max(spans[i].end_ns, spans[i].start_ns)) * 1e-9});
        }
        for (const auto& e : events) {
            if (e.kind == EventKind::step_started) continue;  // `steps` has them
            rec.events.push_back(run_record::RecordEvent::from(e));
        }
        rec.strokes = recording.strokes();
        // The per-stroke depths as the protrusion_depth measurement gives
        // them: BDC reading minus the face of the last valid reference in
        // force at that stroke; none before the first one (no depth without
        // a cartridge-face reference).
        for (std::size_t i = 0; rec.strokes && i < rec.strokes->t_s.size(); ++i) {
            auto& d = rec.strokes->depth_mm[i];
            if (!d) continue;
            const FaceReference* in_force = nullptr;
            for (const auto& fr : references)
                if (fr.valid && fr.value_mm && fr.t_s <= rec.strokes->t_s[i]) in_force = &fr;
            d = in_force != nullptr ? std::optional<double>(*d - *in_force->value_mm) : std::nullopt;
        }
        if (const GroundTruth* gt = fx_.ground_truth(); gt != nullptr) {
            rec.ground_truth = run_record::GroundTruthCounts{gt->strokes.size(), gt->stalls.size()};
        }
        rec.ended_utc = utc_now();
        rec.samples.count = recording.count();
        rec.samples.sha256 = recording.finish_samples();
        rec.samples.file = "samples.bin";
        rec.samples.complete = true;
        rec.verdict = to_string(res.verdict);
        rec.verdict_reason = reason.empty() ? "every measurement is within its limits" : reason;
        rec.complete = true;
        write_record(res.dir, rec);
        write_file_atomic(res.dir / "junit.xml", junit_xml(rec));
    } catch (const std::exception& e) {
        close_failed(std::string("could not write the run folder: ") + e.what());
    }
    if (opts_.on_finished) {
        try {
            opts_.on_finished(res.dir);
        } catch (const std::exception& e) {
            close_failed(std::string("finishing the run folder failed: ") + e.what());
        }
    }
    res.reason = reason;
    res.measurements = std::move(measurements);
    res.record = nlohmann::json(rec);
    res.run_record = std::move(rec);
    spdlog::info("run {} ended: {}{}", res.run_id, to_string(res.verdict), reason.empty() ? "" : " (" + reason + ")");
    if (obs_) {
        // The run ended before their closing check (aborted, a step that
        // never ran): final as recorded.
        for (const auto& p : provisional) obs_->on_final_measurement(res.measurements[p.index]);
        obs_->on_finished(res.verdict, reason);
    }
    return res;
}

}  // namespace rig
