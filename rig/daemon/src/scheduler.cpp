// The queue and the worker: which run goes next, starting it through a
// RunSession, finishing it, saving the state, telling the watchers.
#include <malloc.h>
#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

#include "rig/fleet/fleet_db.hpp"

#include <algorithm>

#include "daemon_impl.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/reports/audit_log.hpp"

namespace rig::daemon {

std::string dump(const nlohmann::json& j) {
    // Client text (names, paths) may not be valid UTF-8: replace, never throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::string> opt_string(const nlohmann::json& b, const char* key) {
    const auto it = b.find(key);
    if (it == b.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw BadRequest(std::string("\"") + key + "\" must be a string");
    return it->get<std::string>();
}

std::string need_string(const nlohmann::json& b, const char* key) {
    auto v = opt_string(b, key);
    if (!v || v->empty()) throw BadRequest(std::string("this operation needs \"") + key + "\"");
    return *v;
}

void notify(const std::string& msg) { (void)sd_notify(0, msg.c_str()); }

nlohmann::json Progress::to_json() const {
    return {{"step", step},   {"step_label", label}, {"step_line", line},       {"t_s", t_s},
            {"expected_s", expected_s}, {"rate_hz", rate_hz}, {"depth_mm", depth_mm}};
}

namespace {
/// Line `line` (1-based) of `text`, at most 200 characters: the step's YAML as written.
std::string source_line(std::string_view text, int line) {
    std::size_t at = 0;
    for (int i = 1; i < line && at != std::string_view::npos; ++i) {
        at = text.find('\n', at);
        if (at != std::string_view::npos) ++at;
    }
    if (line < 1 || at == std::string_view::npos || at >= text.size()) return "";
    const auto end = text.find('\n', at);
    return std::string(text.substr(at, std::min<std::size_t>(200, (end == std::string_view::npos ? text.size() : end) - at)));
}
}  // namespace

/// Runner callbacks arrive on the worker thread; everything they change
/// belongs to the I/O thread, so each is posted there.
class Daemon::Impl::Observer final : public RunObserver {
public:
    Observer(Impl& d, std::string run_id) : d_(d), run_id_(std::move(run_id)) {}

    void on_step(std::size_t index, const PlanStep& step, double t_s) override {
        // The rate the step commands (set_rate, ramp, step target), for a plot's setpoint line.
        const bool sets_rate = step.kind == StepKind::set_rate || step.kind == StepKind::ramp;
        post([index, label = step.label, line = step.where.line, t_s, kind = std::string(to_string(step.kind)),
              setpoint = sets_rate ? nlohmann::json(step.rate_hz) : nlohmann::json()](Impl& d, ActiveRun& a) {
            a.progress.step = index;
            a.progress.label = label;
            a.progress.line = line;
            a.progress.t_s = t_s;
            nlohmann::json ev = {{"event", "step"}, {"index", index}, {"line", line}, {"label", label}, {"t_s", t_s},
                                 {"kind", kind}};
            if (!setpoint.is_null()) ev["setpoint_hz"] = setpoint;
            if (a.scenario) ev["yaml"] = source_line(a.scenario->source.text, line);
            d.broadcast(a.run_id, std::move(ev));
        });
    }
    void on_progress(double t_s, double expected_s, double rate_hz, double depth_mm) override {
        post([=](Impl& d, ActiveRun& a) {
            a.progress.t_s = t_s;
            a.progress.expected_s = expected_s;
            a.progress.rate_hz = rate_hz;
            a.progress.depth_mm = depth_mm;
            d.broadcast(a.run_id, {{"event", "progress"}, {"t_s", t_s}, {"expected_s", expected_s},
                                   {"rate_hz", rate_hz}, {"depth_mm", depth_mm}, {"step", a.progress.step}});
        });
    }
    void on_measurement(const Measurement& m) override {
        post([mj = m.to_json()](Impl& d, ActiveRun& a) {
            d.broadcast(a.run_id, {{"event", "measurement"}, {"measurement", mj}});
        });
    }

private:
    template <class F>
    void post(F f) {
        asio::post(d_.io, [&d = d_, id = run_id_, f = std::move(f)] {
            if (d.active && d.active->run_id == id) f(d, *d.active);
        });
    }
    Impl& d_;
    std::string run_id_;
};

RunEntry* Daemon::Impl::find(const std::string& run_id) {
    for (auto& e : runs) {
        if (e.run_id == run_id) return &e;
    }
    return nullptr;
}

std::size_t Daemon::Impl::queue_length() const {
    return static_cast<std::size_t>(std::count_if(runs.begin(), runs.end(), [](const RunEntry& e) { return e.state == RunState::queued; }));
}

std::size_t Daemon::Impl::queued_by(uid_t uid) const {
    return static_cast<std::size_t>(std::count_if(runs.begin(), runs.end(), [uid](const RunEntry& e) {
        return e.state == RunState::queued && e.submission.submitter_uid == uid;
    }));
}

void Daemon::Impl::save_state() {
    prune_finished(runs, cfg.keep_finished);
    state.save(runs, fixture.name);
}

void Daemon::Impl::persist() {
    try {
        save_state();
    } catch (const std::exception& e) {
        spdlog::error("cannot save the daemon state: {}", e.what());
    }
}

void Daemon::Impl::audit(const std::string& actor, const std::string& action, const std::string& subject,
                         const nlohmann::json& detail) {
    try {
        AuditLog log(cfg.state_dir / "audit.jsonl");
        log.append(actor, action, subject, nullptr, detail);
    } catch (const std::exception& e) {
        spdlog::error("audit trail: cannot record {} of {}: {}", action, subject, e.what());
    }
}

void Daemon::Impl::update_status() {
    publish_dashboard();
    std::string s = "STATUS=";
    if (shutting_down) {
        s += "stopping";
    } else if (active) {
        s += "running " + active->run_id;
    } else {
        s += "idle";
    }
    s += ", " + std::to_string(queue_length()) + " queued";
    notify(s);
}

nlohmann::json Daemon::Impl::entry_json(const RunEntry& e) {
    auto j = e.to_json();
    j.erase("submission");
    if (e.state == RunState::queued) {
        std::size_t pos = active ? 1 : 0;
        for (const auto& o : runs) {
            if (&o == &e) break;
            if (o.state == RunState::queued) ++pos;
        }
        j["position"] = pos;
    }
    if (e.state == RunState::running && active && active->run_id == e.run_id) j["progress"] = active->progress.to_json();
    if (!e.verdict.empty()) j["exit_code"] = exit_code_of(e.verdict);
    return j;
}

void Daemon::Impl::finish_entry(RunEntry& e, RunState st, std::string verdict, std::string reason) {
    e.state = st;
    e.verdict = std::move(verdict);
    e.reason = std::move(reason);
    e.ended_utc = utc_now();
    // Released, not cleared: clear() keeps the capacity, and the daemon
    // remembers --keep-finished runs (a scenario may be up to the request limit).
    std::string().swap(e.submission.scenario_text);
    e.submission.includes.clear();
    scenarios.erase(e.run_id);
}

LoadOptions Daemon::Impl::load_options(const Submission& sub) const {
    LoadOptions lo;
    lo.fixture_override = cfg.fixture_file;
    lo.default_fixture = cfg.fixture_file;
    // Included files come from the submission (read by the client with its
    // rights) or, by file name only, from the rig's read-only library.
    lo.read_include = [includes = sub.includes, lib = cfg.library_dir](
                          const std::string& as_written, const std::filesystem::path&) -> std::optional<std::string> {
        if (const auto it = includes.find(as_written); it != includes.end()) return it->second;
        if (lib.empty()) return std::nullopt;
        const auto name = std::filesystem::path(as_written).filename();
        if (name.empty() || name == "." || name == "..") return std::nullopt;
        for (const auto* sub_dir : {"scenarios/specs", "scenarios", "specs"}) {
            try {
                return read_input_file_bounded(lib / sub_dir / name);
            } catch (const InputFileError&) {
            }
        }
        return std::nullopt;
    };
    return lo;
}

// ---------------------------------------------------------------- runs

void Daemon::Impl::dispatch() {
    while (!active && !shutting_down) {
        auto it = std::find_if(runs.begin(), runs.end(), [](const RunEntry& e) { return e.state == RunState::queued; });
        if (it == runs.end()) break;
        RunEntry& e = *it;
        auto sc = scenarios[e.run_id];
        auto job = std::make_shared<ActiveRun>(cfg.heartbeat_timeout);
        job->run_id = e.run_id;
        job->scenario = sc;

        RunOptions ro;
        ro.runs_root = cfg.state_dir / "runs";
        ro.run_id = e.run_id;
        ro.operator_id = {e.submission.operator_name, e.submission.operator_source};
        ro.dut_serial = e.submission.dut;
        ro.lot = e.submission.lot;
        ro.extra_tags = e.submission.tags;
        ro.seed = e.seed;
        // No operator stands at a daemon: a prompt the fixture does not answer
        // itself ends the run ERROR (documented in README).
        ro.prompt = [](const std::string&) { return false; };

        SessionOptions so;
        so.state_dir = cfg.state_dir;
        so.lock_dir = cfg.lock_dir;
        so.sign = cfg.sign;
        so.realtime = cfg.realtime;
        so.today = cfg.today;
        so.shared_fixture = lifetime_fixture.get();
        so.make_fixture = cfg.make_fixture;
        so.actor = e.submission.submitter.empty() ? e.submission.operator_name : e.submission.submitter;
        // A run the watchdog declared stuck is ERROR whatever run() says when
        // (if) it returns: fix the record before the report is rendered and signed.
        ActiveRun* raw = job.get();
        so.before_evidence = [raw](const std::filesystem::path& dir) {
            if (raw->stuck.load(std::memory_order_acquire)) rewrite_record_verdict(dir / "record.json", "ERROR", raw->stuck_reason);
        };
        if (!cfg.publish_db.empty()) {
            so.after_evidence = [state = cfg.state_dir, url = cfg.publish_db](const std::filesystem::path& dir) {
                fleet::publish_finished_run(state, url, dir);
            };
        }
        job->observer = std::make_unique<Observer>(*this, e.run_id);
        try {
            if (!sc) throw std::runtime_error("the scenario is not loaded");
            job->session = std::make_unique<RunSession>(*sc, std::move(ro), std::move(so), job->abort, job->observer.get());
        } catch (const std::exception& ex) {
            finish_entry(e, RunState::done, "ERROR", std::string("the fixture could not be set up: ") + ex.what());
            spdlog::error("run {}: {}", e.run_id, e.reason);
            broadcast_verdict(e);
            persist();
            continue;
        }
        job->progress.expected_s = std::chrono::duration<double>(sc->expected_duration).count();

        // Watched from here: a loop that never makes its first iteration is stuck too.
        job->watchdog.start(SteadyClock::now());
        e.state = RunState::running;
        e.started_utc = utc_now();
        e.dir = (cfg.state_dir / "runs" / e.run_id).string();
        active = job;
        active_started = SteadyClock::now();
        persist();
        spdlog::info("run {} starting: {} (dut '{}', operator {}), {} queued", e.run_id, e.scenario_id, e.submission.dut,
                     e.submission.operator_name, queue_length());
        broadcast(e.run_id, {{"event", "started"}, {"dir", e.dir}, {"scenario_id", e.scenario_id},
                             {"expected_s", job->progress.expected_s}, {"rate_tolerance", sc->spec.rate_tolerance}});
        {
            std::lock_guard lk(m);
            mailbox = job;
        }
        cv.notify_one();
        break;
    }
    update_status();
    schedule_tick();
}

void Daemon::Impl::worker_main() {
    for (;;) {
        std::shared_ptr<ActiveRun> job;
        {
            std::unique_lock lk(m);
            cv.wait(lk, [this] { return mailbox != nullptr || worker_stop; });
            if (!mailbox) return;
            job = std::move(mailbox);
        }
        Finished f;
        try {
            job->session->preflight();  // the calibration gate (a refusal is audited)
            const RunResult r = job->session->run();
            f.verdict = r.verdict;
            f.reason = r.reason;
            if (r.record.contains("timing")) f.timing = r.record["timing"];
        } catch (const InputError& e) {
            f.reason = std::string("refused before start: ") + e.what();
        } catch (const std::exception& e) {
            f.reason = std::string("the run could not start: ") + e.what();
        }
        asio::post(io, [this, job, f = std::move(f)] { on_run_finished(job, f); });
    }
}

void Daemon::Impl::on_run_finished(const std::shared_ptr<ActiveRun>& job, const Finished& f) {
    RunEntry* e = find(job->run_id);
    if (e != nullptr && e->state == RunState::running) {
        finish_entry(*e, RunState::done, to_string(f.verdict), f.reason);
        broadcast_verdict(*e);
    }
    if (!f.timing.is_null()) last_loop = {{"run_id", job->run_id}, {"timing", f.timing}};
    if (e != nullptr) count_finished(*e, f.timing);
    if (e != nullptr) spdlog::info("run {} finished: {}{}", job->run_id, e->verdict, e->reason.empty() ? "" : " (" + e->reason + ")");
    if (active == job) active.reset();
    // The session (and a model fixture) goes now, on this thread, not with
    // the last reference in some later callback.
    job->session.reset();
    release_free_memory();
    persist();
    if (shutting_down) {
        finish_shutdown();
    } else {
        dispatch();
    }
}

void Daemon::Impl::release_free_memory() {
    // A run's buffers are allocated and freed on the worker and acquisition
    // threads, in their own glibc arenas; freed, they stay mapped (measured:
    // 1.3 MB of live heap under 46 MiB of RSS after 2 107 runs, RSS still
    // creeping). malloc_trim(0) gives every arena's free pages back, so the
    // daemon's RSS between runs is its live heap, whatever the last run held.
    // Once per run, on this thread, after the session is gone: a few ms.
    (void)::malloc_trim(0);
    ++trims;
}

nlohmann::json Daemon::Impl::memory_json() const {
    std::size_t watches = 0;
    for (const auto& s : sessions) watches += s->watches.size();
    std::size_t scenario_bytes = 0;
    for (const auto& e : runs) {
        // Heap bytes only (an empty string's inline buffer costs nothing more).
        const auto cap = e.submission.scenario_text.capacity();
        if (cap > std::string().capacity()) scenario_bytes += cap;
    }
    for (const auto& [id, sc] : scenarios) {
        if (sc) {
            scenario_bytes +=
                sc->source.text.capacity() + sc->spec.source.text.capacity() + sc->fixture.source.text.capacity();
        }
    }
    const struct mallinfo2 mi = ::mallinfo2();
    return {{"runs_remembered", runs.size()},
            {"keep_finished", cfg.keep_finished},
            {"scenarios_held", scenarios.size()},
            {"scenario_text_bytes", scenario_bytes},
            {"clients", sessions.size()},
            {"watches", watches},
            {"heap_in_use_bytes", mi.uordblks + mi.hblkhd},
            {"heap_free_bytes", mi.fordblks},
            {"trims", trims}};
}

// ---------------------------------------------------------------- events

void Daemon::Impl::broadcast(const std::string& run_id, nlohmann::json ev) {
    const bool last = ev.value("event", "") == "verdict";
    ev["run_id"] = run_id;
    if (feed) feed->publish_event(ev);
    const std::vector<std::shared_ptr<Session>> all(sessions.begin(), sessions.end());
    for (const auto& s : all) {
        const auto [b, end] = s->watches.equal_range(run_id);
        std::vector<nlohmann::json> ids;
        for (auto it = b; it != end; ++it) ids.push_back(it->second);
        if (last) s->watches.erase(run_id);
        for (const auto& wid : ids) {
            ev["id"] = wid;
            s->send(ev);
        }
    }
}

void Daemon::Impl::broadcast_verdict(const RunEntry& e) {
    broadcast(e.run_id, {{"event", "verdict"}, {"verdict", e.verdict}, {"reason", e.reason}, {"dir", e.dir},
                         {"exit_code", exit_code_of(e.verdict)}});
}

}  // namespace rig::daemon
