// Set-up, the listening socket, signals and shutdown of the daemon; the other
// jobs are in their own files (daemon_impl.hpp lists them).
#include "rig/daemon/daemon.hpp"

#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <csignal>

#include "daemon_impl.hpp"
#include "rig/core/utc_time.hpp"

namespace rig::daemon {

Daemon::Impl::Impl(DaemonConfig c) : cfg(std::move(c)), state(cfg.state_dir / "daemon-state.json") {
    if (!cfg.make_fixture) cfg.make_fixture = [](const FixtureConfig& fc, std::uint64_t seed) { return rig::make_fixture(fc, seed); };
    if (!cfg.today) cfg.today = today_source();
    own_uid = ::geteuid();
    Diagnostics diags;
    auto fx = load_fixture(cfg.fixture_file, diags);
    if (!fx) throw InputError(std::move(diags));
    fixture = std::move(*fx);
    // Absolute, so that a submission's relative paths never change which fixture runs.
    cfg.fixture_file = std::filesystem::absolute(cfg.fixture_file);

    // One daemon per state folder, whatever lock folder each was given: two
    // would run the same queue twice and overwrite each other's state.
    std::filesystem::create_directories(cfg.state_dir / "runs");
    state_lock.emplace(FixtureLock::state_folder(cfg.state_dir));
    std::filesystem::create_directories(cfg.lock_dir);
    lock.emplace(cfg.lock_dir, fixture.name);
    spdlog::info("fixture {} ({}, {}) locked: {}", fixture.name, fixture.backend == Backend::sim ? "sim" : "hardware",
                 cfg.fixture_file.string(), lock->path().string());

    runs = state.load();
    for (const auto& id : recover_interrupted(runs, utc_now())) {
        const auto* e = find(id);
        spdlog::warn("run {} was interrupted when the daemon stopped: {} ({})", id, e->verdict, e->reason);
        audit("daemon", "run.interrupted", id, {{"verdict", e->verdict}, {"reason", e->reason}});
    }
    // Queued runs are validated again: the spec or fixture may have changed since.
    for (auto& e : runs) {
        if (e.state != RunState::queued) continue;
        Diagnostics d;
        auto sc = load_scenario_text(e.submission.scenario_name, e.submission.scenario_text, e.submission.base_dir, d,
                                     load_options(e.submission));
        if (sc) {
            scenarios[e.run_id] = std::make_shared<const Scenario>(std::move(*sc));
        } else {
            finish_entry(e, RunState::done, "ERROR",
                         "the queued scenario no longer validates after a restart: " + (d.items().empty() ? std::string("?") : d.sorted().front().str()));
        }
    }
    persist();

    // A fixture that is not a fresh model per run (real parts) is built once
    // and kept for the daemon's life, under its lock.
    if (!capabilities_of(fixture).model_per_run) lifetime_fixture = cfg.make_fixture(fixture, 1);

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
    socket_created = true;
    ::chmod(path.c_str(), 0660);
    acceptor.listen(asio::socket_base::max_listen_connections);
}

void Daemon::Impl::remove_socket() {
    if (!socket_created) return;
    socket_created = false;
    std::error_code ec;
    std::filesystem::remove(cfg.socket_path, ec);
}

void Daemon::Impl::accept() {
    if (sessions.size() >= kMaxClients) {
        // Full: the next client waits in the backlog until one leaves.
        accept_retry.expires_after(std::chrono::milliseconds(50));
        accept_retry.async_wait([this](const asio::error_code& e) {
            if (!e) accept();
        });
        return;
    }
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

// ---------------------------------------------------------------- shutdown

void Daemon::Impl::arm_signals() {
    signals.async_wait([this](const asio::error_code& ec, int signo) {
        if (ec || finished) return;
        begin_shutdown(true, signo == SIGTERM ? "SIGTERM" : signo == SIGQUIT ? "SIGQUIT" : "SIGINT");
        if (!finished) arm_signals();
    });
}

void Daemon::Impl::arm_hangup() {
    // The conventional "reload" signal: there is nothing to reload (the
    // fixture is fixed for the daemon's life), and it must never kill a run.
    hangup.async_wait([this](const asio::error_code& ec, int) {
        if (ec) return;
        spdlog::info("SIGHUP: nothing to reload; the daemon goes on");
        arm_hangup();
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
    remove_socket();
    if (active && !active->stuck.load()) return;  // on_run_finished() finishes the shutdown
    if (active) left_stuck = true;
    finish_shutdown();
}

void Daemon::Impl::finish_shutdown() {
    if (finished) return;
    finished = true;
    persist();
    stop_http();
    {
        std::lock_guard lk(m);
        worker_stop = true;
    }
    cv.notify_all();
    asio::error_code ec;
    signals.cancel(ec);
    hangup.cancel(ec);
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

// ---------------------------------------------------------------- Daemon

Daemon::Daemon(DaemonConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Daemon::~Daemon() {
    if (!impl_) return;
    impl_->stop_http();
    impl_->stop_validator();
    if (impl_->worker.joinable()) {
        {
            std::lock_guard lk(impl_->m);
            impl_->worker_stop = true;
        }
        impl_->cv.notify_all();
        impl_->worker.join();
    }
    impl_->remove_socket();  // every exit path, exceptions included
}

int Daemon::run() {
    Impl& d = *impl_;
    // A client that leaves mid-write must not kill the daemon.
    std::signal(SIGPIPE, SIG_IGN);
    d.listen();
    try {
        d.start_http();
    } catch (...) {
        d.remove_socket();
        throw;
    }
    d.validator = std::thread([&d] { d.validator_main(); });
    d.worker = std::thread([&d] { d.worker_main(); });
    d.arm_signals();
    d.arm_hangup();
    d.accept();
    spdlog::info("listening on {} (state {}, {} queued)", d.cfg.socket_path.string(), d.cfg.state_dir.string(), d.queue_length());
    notify("READY=1");
    d.dispatch();
    d.io.run();

    d.stop_validator();
    {
        std::lock_guard lk(d.m);
        d.worker_stop = true;
    }
    d.cv.notify_all();
    d.remove_socket();
    d.stop_http();
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
