#include "rig/daemon/daemon.hpp"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

// GCC's flow-sensitive -Wnull-dereference fires inside Asio's scheduler
// (asio/detail/impl/scheduler.ipp) once inlined at -O2; silence it for Asio's
// code only, by source location.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <asio.hpp>
#pragma GCC diagnostic pop
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "rig/core/atomic_file.hpp"
#include "rig/core/version.hpp"
#include "rig/daemon/protocol.hpp"
#include "rig/daemon/state_store.hpp"
#include "rig/daemon/watchdog.hpp"
#include "rig/scenario/scenario.hpp"

namespace rig::daemon {
namespace {

using stream = asio::local::stream_protocol;
using SteadyClock = std::chrono::steady_clock;

/// A client that stops reading is disconnected once this much output waits
/// for it, so that it cannot make the daemon grow without bound.
constexpr std::size_t kMaxPendingOutput = 16u * 1024u * 1024u;
/// How long a shutdown waits for clients to take their last messages.
constexpr std::chrono::seconds kShutdownFlush{2};

struct BadRequest : std::runtime_error {
    using std::runtime_error::runtime_error;
};

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

int verdict_exit_code(const std::string& v) { return exit_code_of(v); }

void notify(const std::string& msg) { (void)sd_notify(0, msg.c_str()); }

struct Progress {
    std::size_t step = 0;
    std::string label;
    int line = 0;
    double t_s = 0.0, expected_s = 0.0, rate_hz = 0.0, depth_mm = 0.0;

    [[nodiscard]] nlohmann::json to_json() const {
        return {{"step", step},   {"step_label", label}, {"step_line", line},       {"t_s", t_s},
                {"expected_s", expected_s}, {"rate_hz", rate_hz}, {"depth_mm", depth_mm}};
    }
};

/// The run the worker executes. Created on the I/O thread, handed to the
/// worker through the mailbox; the I/O thread keeps a reference so that the
/// watchdog can read the heartbeat and reach the fixture while run() goes on.
struct ActiveRun {
    explicit ActiveRun(std::chrono::nanoseconds hb_timeout) : watchdog(hb_timeout) {}
    std::string run_id;
    std::shared_ptr<const Scenario> scenario;
    std::unique_ptr<Fixture> own_fixture;  // sim: a fresh model per run
    Fixture* fixture = nullptr;
    std::atomic<bool> abort{false};
    std::atomic<bool> stuck{false};        // the watchdog declared the loop stuck
    std::string stuck_reason;              // written before `stuck` is set
    std::unique_ptr<RunObserver> observer;
    std::unique_ptr<Runner> runner;
    // I/O thread only:
    HeartbeatWatchdog watchdog;
    Progress progress;
};

struct Finished {
    Verdict verdict = Verdict::error;
    std::string reason;
    nlohmann::json timing;
};

}  // namespace

struct Daemon::Impl {
    class Session;
    class Observer;

    explicit Impl(DaemonConfig c);

    // --- configuration and owned resources
    DaemonConfig cfg;
    FixtureConfig fixture;
    std::optional<FixtureLock> lock;
    std::unique_ptr<Fixture> lifetime_fixture;  // hardware backends
    StateFile state;
    std::vector<RunEntry> runs;  // submission order
    std::map<std::string, std::shared_ptr<const Scenario>> scenarios;  // loaded, for queued runs

    // --- I/O thread
    asio::io_context io{1};
    stream::acceptor acceptor{io};
    asio::signal_set signals{io, SIGINT, SIGTERM};
    asio::steady_timer tick{io};
    asio::steady_timer accept_retry{io};
    asio::steady_timer stop_timer{io};
    SteadyClock::time_point started = SteadyClock::now();
    std::set<std::shared_ptr<Session>> sessions;
    std::shared_ptr<ActiveRun> active;
    bool shutting_down = false;
    bool finished = false;
    bool left_stuck = false;
    nlohmann::json last_loop = nullptr;
    std::chrono::microseconds sd_watchdog{0};

    // --- worker hand-off
    std::mutex m;
    std::condition_variable cv;
    std::shared_ptr<ActiveRun> mailbox;
    bool worker_stop = false;
    std::thread worker;

    void listen();
    void accept();
    void worker_main();
    void persist();
    void update_status();
    RunEntry* find(const std::string& run_id);
    nlohmann::json entry_json(const RunEntry& e);
    std::size_t queue_length() const;
    void dispatch();
    void finish_entry(RunEntry& e, RunState st, std::string verdict, std::string reason);
    void on_run_finished(const std::shared_ptr<ActiveRun>& job, const Finished& f);
    void schedule_tick();
    void on_tick();
    void trip(const std::shared_ptr<ActiveRun>& job);
    void broadcast(const std::string& run_id, nlohmann::json ev);
    void broadcast_verdict(const RunEntry& e);
    void begin_shutdown(bool abort_current, const std::string& why);
    void finish_shutdown();
    void arm_signals();

    void handle_line(const std::shared_ptr<Session>& s, std::string_view line);
    nlohmann::json op_submit(Session& s, const nlohmann::json& id, const nlohmann::json& b);
    nlohmann::json op_queue(const nlohmann::json& id);
    nlohmann::json op_status(const nlohmann::json& id, const nlohmann::json& b);
    void op_watch(const std::shared_ptr<Session>& s, const nlohmann::json& id, const nlohmann::json& b);
    nlohmann::json op_abort(Session& s, const nlohmann::json& id, const nlohmann::json& b);
    nlohmann::json op_record(const nlohmann::json& id, const nlohmann::json& b);
    nlohmann::json op_health(const nlohmann::json& id);
};

// ---------------------------------------------------------------- sessions

class Daemon::Impl::Session : public std::enable_shared_from_this<Session> {
public:
    Session(Impl& d, stream::socket sock) : d_(d), sock_(std::move(sock)) { identify(); }

    void start() { read(); }

    void send(const nlohmann::json& j) {
        if (closed_) return;
        std::string s = dump(j) + "\n";
        out_bytes_ += s.size();
        if (out_bytes_ > kMaxPendingOutput) {
            spdlog::warn("client {} is not reading its messages: disconnected", source);
            close();
            return;
        }
        out_.push_back(std::move(s));
        if (!writing_) write_next();
    }

    /// Closes once every queued message is written.
    void close_when_flushed() {
        close_after_write_ = true;
        if (!writing_ && out_.empty()) close();
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        watches.clear();
        asio::error_code ec;
        sock_.shutdown(stream::socket::shutdown_both, ec);
        sock_.close(ec);
        d_.sessions.erase(shared_from_this());
        // The last client has its messages: a stopping daemon need not wait longer.
        if (d_.finished && d_.sessions.empty()) d_.stop_timer.cancel();
    }

    std::string user;    // login name of the peer's uid
    std::string source;  // "uid 1000 pid 4242"
    std::multimap<std::string, nlohmann::json> watches;  // run id -> watch request id

private:
    void identify() {
        ucred cr{};
        socklen_t len = sizeof cr;
        if (::getsockopt(sock_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
            user = "unknown";
            source = "unknown peer";
            return;
        }
        source = "uid " + std::to_string(cr.uid) + " pid " + std::to_string(cr.pid);
        passwd pw{};
        passwd* res = nullptr;
        char buf[1024];
        user = (::getpwuid_r(cr.uid, &pw, buf, sizeof buf, &res) == 0 && res != nullptr) ? std::string(pw.pw_name)
                                                                                           : "uid" + std::to_string(cr.uid);
    }

    void read() {
        auto self = shared_from_this();
        asio::async_read_until(sock_, in_, '\n', [this, self](const asio::error_code& ec, std::size_t n) {
            if (closed_) return;
            if (ec == asio::error::not_found) {
                // The buffer is full and holds no newline: the line is too long.
                send(error_reply(nullptr, errc::request_too_large,
                                 "a request line may hold at most " + std::to_string(kMaxRequestBytes) +
                                     " bytes; this connection is closed"));
                close_when_flushed();
                return;
            }
            if (ec) {
                // EOF or a broken connection: the client left. Its runs go on.
                close();
                return;
            }
            const auto data = in_.data();
            std::string line(asio::buffers_begin(data), asio::buffers_begin(data) + static_cast<std::ptrdiff_t>(n - 1));
            in_.consume(n);
            if (line.find_first_not_of(" \t\r") != std::string::npos) d_.handle_line(self, line);
            if (!closed_ && !close_after_write_) read();
        });
    }

    void write_next() {
        writing_ = true;
        auto self = shared_from_this();
        asio::async_write(sock_, asio::buffer(out_.front()), [this, self](const asio::error_code& ec, std::size_t) {
            writing_ = false;
            if (closed_) return;
            if (ec) {
                close();
                return;
            }
            out_bytes_ -= out_.front().size();
            out_.pop_front();
            if (!out_.empty()) {
                write_next();
            } else if (close_after_write_) {
                close();
            }
        });
    }

    Impl& d_;
    stream::socket sock_;
    // One byte more than a request may hold, for the newline.
    asio::streambuf in_{kMaxRequestBytes + 1};
    std::deque<std::string> out_;
    std::size_t out_bytes_ = 0;
    bool writing_ = false;
    bool close_after_write_ = false;
    bool closed_ = false;
};

// ---------------------------------------------------------------- observer

/// Runner callbacks arrive on the worker thread; everything they change
/// belongs to the I/O thread, so each is posted there.
class Daemon::Impl::Observer final : public RunObserver {
public:
    Observer(Impl& d, std::string run_id) : d_(d), run_id_(std::move(run_id)) {}

    void on_step(std::size_t index, const PlanStep& step, double t_s) override {
        post([index, label = step.label, line = step.where.line, t_s](Impl& d, ActiveRun& a) {
            a.progress.step = index;
            a.progress.label = label;
            a.progress.line = line;
            a.progress.t_s = t_s;
            d.broadcast(a.run_id, {{"event", "step"}, {"index", index}, {"line", line}, {"label", label}, {"t_s", t_s}});
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

// ---------------------------------------------------------------- set-up

Daemon::Impl::Impl(DaemonConfig c) : cfg(std::move(c)), state(cfg.state_dir / "daemon-state.json") {
    if (!cfg.make_fixture) cfg.make_fixture = [](const FixtureConfig& fc, std::uint64_t seed) { return rig::make_fixture(fc, seed); };
    Diagnostics diags;
    auto fx = load_fixture(cfg.fixture_file, diags);
    if (!fx) throw InputError(std::move(diags));
    fixture = std::move(*fx);
    // Absolute, so that a submission's relative paths never change which fixture runs.
    cfg.fixture_file = std::filesystem::absolute(cfg.fixture_file);

    std::filesystem::create_directories(cfg.lock_dir);
    lock.emplace(cfg.lock_dir, fixture.name);
    spdlog::info("fixture {} ({}, {}) locked: {}", fixture.name, fixture.backend == Backend::sim ? "sim" : "hardware",
                 cfg.fixture_file.string(), lock->path().string());

    std::filesystem::create_directories(cfg.state_dir / "runs");
    runs = state.load();
    for (const auto& id : recover_interrupted(runs, utc_now_iso())) {
        const auto* e = find(id);
        spdlog::warn("run {} was interrupted when the daemon stopped: {} ({})", id, e->verdict, e->reason);
    }
    // Queued runs are validated again: the spec or fixture may have changed since.
    for (auto& e : runs) {
        if (e.state != RunState::queued) continue;
        Diagnostics d;
        LoadOptions lo;
        lo.fixture_override = cfg.fixture_file;
        lo.default_fixture = cfg.fixture_file;
        auto sc = load_scenario_text(e.submission.scenario_name, e.submission.scenario_text, e.submission.base_dir, d, lo);
        if (sc) {
            scenarios[e.run_id] = std::make_shared<const Scenario>(std::move(*sc));
        } else {
            finish_entry(e, RunState::done, "ERROR",
                         "the queued scenario no longer validates after a restart: " + (d.items().empty() ? std::string("?") : d.sorted().front().str()));
        }
    }
    persist();

    if (fixture.backend == Backend::hardware) lifetime_fixture = cfg.make_fixture(fixture, 1);

    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0) sd_watchdog = std::chrono::microseconds(usec);
}

void Daemon::Impl::listen() {
    const auto& path = cfg.socket_path;
    std::error_code fec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), fec);
    if (std::filesystem::exists(path, fec)) {
        // A socket file left by a daemon that died; unless one still answers on it.
        stream::socket probe(io);
        asio::error_code ec;
        probe.connect(stream::endpoint(path.string()), ec);
        if (!ec) throw std::system_error(EADDRINUSE, std::generic_category(), "another daemon serves " + path.string());
        std::filesystem::remove(path, fec);
    }
    acceptor.open(stream());
    // 0660 from the moment it exists: no window where others could connect.
    const mode_t old = ::umask(0117);
    asio::error_code ec;
    acceptor.bind(stream::endpoint(path.string()), ec);
    ::umask(old);
    if (ec) throw std::system_error(ec.value(), std::generic_category(), "cannot bind " + path.string());
    ::chmod(path.c_str(), 0660);
    acceptor.listen(asio::socket_base::max_listen_connections);
}

void Daemon::Impl::accept() {
    acceptor.async_accept([this](const asio::error_code& ec, stream::socket sock) {
        if (ec == asio::error::operation_aborted || shutting_down) return;
        if (ec) {
            // EMFILE and the like: wait a little instead of spinning.
            spdlog::warn("accept: {}", ec.message());
            accept_retry.expires_after(std::chrono::milliseconds(100));
            accept_retry.async_wait([this](const asio::error_code& e) {
                if (!e) accept();
            });
            return;
        }
        auto s = std::make_shared<Session>(*this, std::move(sock));
        sessions.insert(s);
        s->start();
        accept();
    });
}

// ---------------------------------------------------------------- state

RunEntry* Daemon::Impl::find(const std::string& run_id) {
    for (auto& e : runs) {
        if (e.run_id == run_id) return &e;
    }
    return nullptr;
}

std::size_t Daemon::Impl::queue_length() const {
    return static_cast<std::size_t>(std::count_if(runs.begin(), runs.end(), [](const RunEntry& e) { return e.state == RunState::queued; }));
}

void Daemon::Impl::persist() {
    prune_finished(runs, cfg.keep_finished);
    try {
        state.save(runs, fixture.name);
    } catch (const std::exception& e) {
        spdlog::error("cannot save the daemon state: {}", e.what());
    }
}

void Daemon::Impl::update_status() {
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
    if (!e.verdict.empty()) j["exit_code"] = verdict_exit_code(e.verdict);
    return j;
}

void Daemon::Impl::finish_entry(RunEntry& e, RunState st, std::string verdict, std::string reason) {
    e.state = st;
    e.verdict = std::move(verdict);
    e.reason = std::move(reason);
    e.ended_utc = utc_now_iso();
    e.submission.scenario_text.clear();
    scenarios.erase(e.run_id);
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
        try {
            if (!sc) throw std::runtime_error("the scenario is not loaded");
            if (lifetime_fixture) {
                job->fixture = lifetime_fixture.get();
            } else {
                job->own_fixture = cfg.make_fixture(sc->fixture, e.seed);
                job->fixture = job->own_fixture.get();
            }
        } catch (const std::exception& ex) {
            finish_entry(e, RunState::done, "ERROR", std::string("the fixture could not be set up: ") + ex.what());
            spdlog::error("run {}: {}", e.run_id, e.reason);
            broadcast_verdict(e);
            persist();
            continue;
        }
        RunOptions ro;
        ro.runs_root = cfg.state_dir / "runs";
        ro.run_id = e.run_id;
        ro.operator_id = {e.submission.operator_name, e.submission.operator_source};
        ro.dut_serial = e.submission.dut;
        ro.lot = e.submission.lot;
        ro.extra_tags = e.submission.tags;
        ro.seed = e.seed;
        ro.today_utc = utc_today();
        if (cfg.prepare_run) cfg.prepare_run(ro, sc->fixture);
        // No operator stands at a daemon: the sim acknowledges prompts itself;
        // on hardware a prompt step ends the run ERROR (documented in README).
        if (fixture.backend == Backend::sim) {
            ro.prompt = nullptr;
        } else {
            ro.prompt = [](const std::string&) { return false; };
        }
        // A run the watchdog declared stuck is ERROR whatever run() says when
        // (if) it returns: fix the record before the report is rendered and signed.
        ActiveRun* raw = job.get();
        ro.on_finished = [raw, inner = std::move(ro.on_finished)](const std::filesystem::path& dir) {
            if (raw->stuck.load(std::memory_order_acquire)) rewrite_record_verdict(dir / "record.json", "ERROR", raw->stuck_reason);
            if (inner) inner(dir);
        };
        job->observer = std::make_unique<Observer>(*this, e.run_id);
        job->runner = std::make_unique<Runner>(*sc, *job->fixture, std::move(ro), job->abort, job->observer.get());
        job->progress.expected_s = static_cast<double>(sc->expected_duration.count()) * 1e-9;

        e.state = RunState::running;
        e.started_utc = utc_now_iso();
        e.dir = (cfg.state_dir / "runs" / e.run_id).string();
        active = job;
        persist();
        spdlog::info("run {} starting: {} (dut '{}', operator {}), {} queued", e.run_id, e.scenario_id, e.submission.dut,
                     e.submission.operator_name, queue_length());
        broadcast(e.run_id, {{"event", "started"}, {"dir", e.dir}, {"scenario_id", e.scenario_id}});
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
            job->runner->preflight();
            const RunResult r = job->runner->run();
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
    if (e != nullptr) spdlog::info("run {} finished: {}{}", job->run_id, e->verdict, e->reason.empty() ? "" : " (" + e->reason + ")");
    if (active == job) active.reset();
    persist();
    if (shutting_down) {
        finish_shutdown();
    } else {
        dispatch();
    }
}

// ---------------------------------------------------------------- watchdog

void Daemon::Impl::schedule_tick() {
    if (finished) return;
    std::chrono::nanoseconds period;
    if (active) {
        period = cfg.heartbeat_period;
    } else if (sd_watchdog.count() > 0) {
        period = sd_watchdog / 2;
    } else {
        tick.cancel();  // idle without systemd's watchdog: no timer, no wake-ups
        return;
    }
    // A tick already due sooner stays: re-arming on every event would starve it.
    if (tick.expiry() > SteadyClock::now() && tick.expiry() <= SteadyClock::now() + period) return;
    tick.expires_after(period);
    tick.async_wait([this](const asio::error_code& ec) {
        if (!ec) on_tick();
    });
}

void Daemon::Impl::on_tick() {
    const auto now = SteadyClock::now();
    bool healthy = true;
    if (active) {
        if (active->stuck.load()) {
            healthy = false;
        } else if (active->watchdog.observe(active->runner->heartbeat(), now) == HeartbeatWatchdog::Status::stuck) {
            trip(active);
            healthy = false;
        }
    }
    // systemd restarts a daemon whose loop hangs: it is fed only while the
    // heartbeat advances (or no run is active).
    if (healthy && sd_watchdog.count() > 0) notify("WATCHDOG=1");
    tick.expires_at(SteadyClock::time_point{});  // let schedule_tick() arm it afresh
    schedule_tick();
}

void Daemon::Impl::trip(const std::shared_ptr<ActiveRun>& job) {
    // The loop will not make the pen safe: do it from here, then ask it to stop.
    job->fixture->safe_state();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(job->watchdog.stalled_for(SteadyClock::now()));
    job->stuck_reason = "acquisition loop stuck: its heartbeat did not advance for " + std::to_string(ms.count()) +
                        " ms; the daemon put the fixture in its safe state";
    job->stuck.store(true, std::memory_order_release);
    job->abort.store(true);
    spdlog::critical("run {}: {}", job->run_id, job->stuck_reason);
    if (RunEntry* e = find(job->run_id); e != nullptr && e->state == RunState::running) {
        finish_entry(*e, RunState::done, "ERROR", job->stuck_reason);
        broadcast_verdict(*e);
        persist();
    }
    notify("STATUS=ERROR: acquisition loop stuck in run " + job->run_id);
}

// ---------------------------------------------------------------- events

void Daemon::Impl::broadcast(const std::string& run_id, nlohmann::json ev) {
    const bool last = ev.value("event", "") == "verdict";
    ev["run_id"] = run_id;
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
                         {"exit_code", verdict_exit_code(e.verdict)}});
}

// ---------------------------------------------------------------- shutdown

void Daemon::Impl::arm_signals() {
    signals.async_wait([this](const asio::error_code& ec, int signo) {
        if (ec || finished) return;
        begin_shutdown(true, signo == SIGTERM ? "SIGTERM" : "SIGINT");
        if (!finished) arm_signals();
    });
}

void Daemon::Impl::begin_shutdown(bool abort_current, const std::string& why) {
    if (active && abort_current) active->abort.store(true);
    if (shutting_down) return;
    shutting_down = true;
    spdlog::info("stopping ({}){}", why, active ? ": aborting run " + active->run_id + " and waiting for its record" : "");
    notify("STOPPING=1");
    update_status();
    asio::error_code ec;
    acceptor.close(ec);
    std::error_code fec;
    std::filesystem::remove(cfg.socket_path, fec);
    if (active && !active->stuck.load()) return;  // on_run_finished() finishes the shutdown
    if (active) left_stuck = true;
    finish_shutdown();
}

void Daemon::Impl::finish_shutdown() {
    if (finished) return;
    finished = true;
    persist();
    {
        std::lock_guard lk(m);
        worker_stop = true;
    }
    cv.notify_all();
    asio::error_code ec;
    signals.cancel(ec);
    tick.cancel();
    accept_retry.cancel();
    const std::vector<std::shared_ptr<Session>> all(sessions.begin(), sessions.end());
    for (const auto& s : all) s->close_when_flushed();
    // A client that does not read must not hold the daemon up.
    stop_timer.expires_after(kShutdownFlush);
    stop_timer.async_wait([this](const asio::error_code& e) {
        if (!e) io.stop();
    });
    if (sessions.empty()) stop_timer.cancel();
}

// ---------------------------------------------------------------- requests

void Daemon::Impl::handle_line(const std::shared_ptr<Session>& s, std::string_view line) {
    auto req = parse_request(line);
    if (!req.error.is_null()) {
        s->send(req.error);
        return;
    }
    nlohmann::json reply;
    try {
        const auto& op = req.op;
        if (op == "submit") {
            reply = op_submit(*s, req.id, req.body);
        } else if (op == "queue") {
            reply = op_queue(req.id);
        } else if (op == "status") {
            reply = op_status(req.id, req.body);
        } else if (op == "watch") {
            op_watch(s, req.id, req.body);
        } else if (op == "abort") {
            reply = op_abort(*s, req.id, req.body);
        } else if (op == "record") {
            reply = op_record(req.id, req.body);
        } else if (op == "health") {
            reply = op_health(req.id);
        } else if (op == "ping") {
            reply = ok_reply(req.id, {{"version", std::string(software_version())}});
        } else if (op == "shutdown") {
            const bool wait = req.body.value("wait", false);
            s->send(ok_reply(req.id, {{"state", "stopping"},
                                      {"aborting", (active && !wait) ? nlohmann::json(active->run_id) : nlohmann::json()}}));
            begin_shutdown(!wait, "shutdown requested by " + s->user + " (" + s->source + ")");
        } else {
            std::string known;
            for (auto k : known_ops()) known += (known.empty() ? "" : ", ") + std::string(k);
            const auto near = closest_match(op, known_ops());
            reply = error_reply(req.id, errc::unknown_op,
                                "unknown operation '" + op + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?") +
                                    " (known: " + known + ")");
        }
    } catch (const BadRequest& e) {
        reply = error_reply(req.id, errc::bad_request, e.what());
    } catch (const nlohmann::json::exception& e) {
        reply = error_reply(req.id, errc::bad_request, e.what());
    } catch (const std::exception& e) {
        spdlog::error("request '{}' failed: {}", req.op, e.what());
        reply = error_reply(req.id, errc::internal, e.what());
    }
    if (!reply.is_null()) s->send(reply);
}

nlohmann::json Daemon::Impl::op_submit(Session& s, const nlohmann::json& id, const nlohmann::json& b) {
    if (shutting_down) return error_reply(id, errc::shutting_down, "the daemon is stopping; submit again once it is back");
    Submission sub;
    if (auto text = opt_string(b, "scenario_text")) {
        sub.scenario_text = std::move(*text);
        sub.scenario_name = opt_string(b, "name").value_or("submitted.yaml");
        sub.base_dir = opt_string(b, "base_dir").value_or(cfg.state_dir.string());
    } else if (auto path = opt_string(b, "scenario_path")) {
        const std::filesystem::path p(*path);
        if (!p.is_absolute()) throw BadRequest("\"scenario_path\" must be absolute (the daemon does not share your working folder)");
        try {
            sub.scenario_text = read_file(p);
        } catch (const std::exception& e) {
            return error_reply(id, errc::invalid_scenario, "cannot read the scenario: " + std::string(e.what()),
                               {p.string() + ":0:0: error: cannot read the file"});
        }
        sub.scenario_name = p.string();
        sub.base_dir = p.parent_path().string();
    } else {
        throw BadRequest("submit needs \"scenario_path\" (absolute) or \"scenario_text\" (+ \"name\", \"base_dir\")");
    }
    if (!std::filesystem::path(sub.base_dir).is_absolute()) throw BadRequest("\"base_dir\" must be absolute");
    sub.dut = opt_string(b, "dut").value_or("");
    sub.lot = opt_string(b, "lot").value_or("");
    if (auto op = opt_string(b, "operator"); op && !op->empty()) {
        sub.operator_name = *op;
        sub.operator_source = "daemon:" + s.source + " (" + s.user + ")";
    } else {
        // Attributable without asking: the peer's login name from SO_PEERCRED.
        sub.operator_name = s.user;
        sub.operator_source = "daemon:" + s.source;
    }
    if (const auto t = b.find("tags"); t != b.end() && !t->is_null()) {
        if (!t->is_array()) throw BadRequest("\"tags\" must be an array of strings");
        for (const auto& x : *t) {
            if (!x.is_string()) throw BadRequest("\"tags\" must be an array of strings");
            sub.tags.push_back(x.get<std::string>());
        }
    }
    if (const auto sd = b.find("seed"); sd != b.end() && !sd->is_null()) {
        if (!sd->is_number_unsigned()) throw BadRequest("\"seed\" must be a non-negative integer");
        sub.seed = sd->get<std::uint64_t>();
    }

    Diagnostics diags;
    LoadOptions lo;
    lo.fixture_override = cfg.fixture_file;
    lo.default_fixture = cfg.fixture_file;
    auto sc = load_scenario_text(sub.scenario_name, sub.scenario_text, sub.base_dir, diags, lo);
    std::vector<std::string> lines;
    for (const auto& d : diags.sorted()) lines.push_back(d.str());
    if (!sc) {
        return error_reply(id, errc::invalid_scenario,
                           std::to_string(diags.error_count()) + " error(s) in " + sub.scenario_name + "; nothing was queued",
                           std::move(lines));
    }
    if (sc->has_tag("certification")) {
        std::vector<std::string> expired;
        for (const auto* c : expired_calibrations(sc->fixture, utc_today())) {
            expired.push_back(sc->fixture.source.path + ":0:0: error: instrument '" + c->instrument + "' (" + c->id +
                              ") calibration was due " + c->due);
        }
        if (!expired.empty()) {
            return error_reply(id, errc::calibration_expired,
                               "a certification run cannot be queued while an instrument's calibration is expired",
                               std::move(expired));
        }
    }

    RunEntry e;
    do {
        e.run_id = new_run_id(sc->id);
    } while (find(e.run_id) != nullptr);
    e.scenario_id = sc->id;
    e.seed = sub.seed.value_or(sc->seed);
    e.submission = std::move(sub);
    e.submitted_utc = utc_now_iso();
    const std::size_t position = (active ? 1u : 0u) + queue_length();
    scenarios[e.run_id] = std::make_shared<const Scenario>(std::move(*sc));
    runs.push_back(std::move(e));
    const std::string run_id = runs.back().run_id;
    spdlog::info("run {} queued by {} ({}) at position {}", run_id, s.user, s.source, position);
    persist();
    dispatch();
    nlohmann::json body = {{"run_id", run_id}, {"position", position}};
    if (!lines.empty()) body["warnings"] = lines;
    return ok_reply(id, body);
}

nlohmann::json Daemon::Impl::op_queue(const nlohmann::json& id) {
    nlohmann::json running = nullptr;
    nlohmann::json queued = nlohmann::json::array();
    for (const auto& e : runs) {
        if (e.state == RunState::running) running = entry_json(e);
        if (e.state == RunState::queued) queued.push_back(entry_json(e));
    }
    return ok_reply(id, {{"running", running}, {"queued", queued}});
}

nlohmann::json Daemon::Impl::op_status(const nlohmann::json& id, const nlohmann::json& b) {
    if (auto run_id = opt_string(b, "run_id")) {
        const RunEntry* e = find(*run_id);
        if (e == nullptr) return error_reply(id, errc::unknown_run, "no run " + *run_id + " is known to this daemon");
        return ok_reply(id, {{"run", entry_json(*e)}});
    }
    nlohmann::json body = {{"state", shutting_down ? "stopping" : active ? "running" : "idle"},
                           {"queue_length", queue_length()},
                           {"fixture", fixture.name}};
    if (active) {
        if (const RunEntry* e = find(active->run_id)) body["run"] = entry_json(*e);
    }
    return ok_reply(id, body);
}

void Daemon::Impl::op_watch(const std::shared_ptr<Session>& s, const nlohmann::json& id, const nlohmann::json& b) {
    const auto run_id = need_string(b, "run_id");
    const RunEntry* e = find(run_id);
    if (e == nullptr) {
        s->send(error_reply(id, errc::unknown_run, "no run " + run_id + " is known to this daemon"));
        return;
    }
    s->send(ok_reply(id, {{"run", entry_json(*e)}}));
    if (e->state == RunState::done || e->state == RunState::incomplete) {
        // Finished already: the stream is just its verdict.
        s->send({{"id", id}, {"event", "verdict"}, {"run_id", run_id}, {"verdict", e->verdict}, {"reason", e->reason},
                 {"dir", e->dir}, {"exit_code", verdict_exit_code(e->verdict)}});
        return;
    }
    s->watches.emplace(run_id, id);
}

nlohmann::json Daemon::Impl::op_abort(Session& s, const nlohmann::json& id, const nlohmann::json& b) {
    const auto run_id = need_string(b, "run_id");
    RunEntry* e = find(run_id);
    if (e == nullptr) return error_reply(id, errc::unknown_run, "no run " + run_id + " is known to this daemon");
    if (e->state == RunState::queued) {
        finish_entry(*e, RunState::done, "ABORTED", "aborted before it started by " + s.user + " (" + s.source + ")");
        spdlog::info("run {} removed from the queue by {}", run_id, s.user);
        broadcast_verdict(*e);
        persist();
        update_status();
        return ok_reply(id, {{"run_id", run_id}, {"state", "done"}, {"verdict", "ABORTED"}});
    }
    if (e->state == RunState::running && active && active->run_id == run_id) {
        active->abort.store(true);
        spdlog::info("run {} abort requested by {} ({})", run_id, s.user, s.source);
        return ok_reply(id, {{"run_id", run_id}, {"state", "aborting"}});
    }
    return error_reply(id, errc::not_active, "run " + run_id + " has already finished (" + e->verdict + ")");
}

nlohmann::json Daemon::Impl::op_record(const nlohmann::json& id, const nlohmann::json& b) {
    const auto run_id = need_string(b, "run_id");
    const RunEntry* e = find(run_id);
    if (e == nullptr) return error_reply(id, errc::unknown_run, "no run " + run_id + " is known to this daemon");
    const auto path = std::filesystem::path(e->dir) / "record.json";
    std::error_code ec;
    if (e->dir.empty() || !std::filesystem::exists(path, ec)) {
        return error_reply(id, errc::no_record, "run " + run_id + " has no record (it never started)");
    }
    return ok_reply(id, {{"run_id", run_id}, {"record", nlohmann::json::parse(read_file(path))}});
}

nlohmann::json Daemon::Impl::op_health(const nlohmann::json& id) {
    const auto today = utc_today();
    nlohmann::json cal = nlohmann::json::array();
    for (const auto& c : fixture.calibration) {
        cal.push_back({{"instrument", c.instrument}, {"id", c.id}, {"due", c.due},
                       {"status", (!c.due.empty() && c.due < today) ? "expired" : "valid"}});
    }
    const auto up = std::chrono::duration<double>(SteadyClock::now() - started).count();
    return ok_reply(
        id, {{"version", std::string(software_version())},
             {"fixture", {{"name", fixture.name}, {"backend", fixture.backend == Backend::sim ? "sim" : "hardware"},
                          {"file", cfg.fixture_file.string()}, {"lock", lock->path().string()}}},
             {"calibration", cal},
             {"loop", last_loop},
             {"current_run", active ? nlohmann::json(active->run_id) : nlohmann::json()},
             {"watchdog", {{"heartbeat_timeout_ms", cfg.heartbeat_timeout.count()},
                           {"loop_stuck", active && active->stuck.load()},
                           {"systemd_watchdog_s", std::chrono::duration<double>(sd_watchdog).count()}}},
             {"queue_length", queue_length()},
             {"uptime_s", up}});
}

// ---------------------------------------------------------------- Daemon

Daemon::Daemon(DaemonConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Daemon::~Daemon() {
    if (impl_ && impl_->worker.joinable()) {
        {
            std::lock_guard lk(impl_->m);
            impl_->worker_stop = true;
        }
        impl_->cv.notify_all();
        impl_->worker.join();
    }
}

int Daemon::run() {
    Impl& d = *impl_;
    d.listen();
    d.worker = std::thread([&d] { d.worker_main(); });
    d.arm_signals();
    d.accept();
    spdlog::info("listening on {} (state {}, {} queued)", d.cfg.socket_path.string(), d.cfg.state_dir.string(), d.queue_length());
    notify("READY=1");
    d.dispatch();
    d.io.run();

    {
        std::lock_guard lk(d.m);
        d.worker_stop = true;
    }
    d.cv.notify_all();
    std::error_code ec;
    std::filesystem::remove(d.cfg.socket_path, ec);
    if (d.left_stuck) {
        // The worker is blocked inside a run that will not return; the
        // fixture is already safe. Leave it to the process exit.
        spdlog::critical("exiting with run {} stuck", d.active ? d.active->run_id : std::string("?"));
        d.worker.detach();
        return 2;
    }
    d.worker.join();
    spdlog::info("stopped");
    return 0;
}

}  // namespace rig::daemon
