// The daemon's side of the web dashboard: what the I/O thread publishes for
// the HTTP thread (snapshot, events, /metrics figures) and the writes the HTTP
// thread hands back (abort, submit), run here with the HTTP user as the actor.
#include <spdlog/spdlog.h>

#include <ctime>

#include "daemon_impl.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/core/version.hpp"
#include "rig/reports/bundle.hpp"

namespace rig::daemon {
namespace {

/// "2026-11-25T15:43:49.307Z" -> Unix seconds; nullopt when not that form.
std::optional<double> unix_seconds(const std::string& utc) {
    std::tm tm{};
    int ms = 0;
    const int n = std::sscanf(utc.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                              &tm.tm_min, &tm.tm_sec, &ms);
    if (n < 6) return std::nullopt;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(::timegm(&tm)) + (n == 7 ? ms / 1000.0 : 0.0);
}

/// An error reply of the socket protocol as an HTTP status.
unsigned http_status_of(const nlohmann::json& reply) {
    if (reply.value("ok", false)) return 200;
    const std::string code = reply.contains("error") ? reply["error"].value("code", "") : "";
    if (code == errc::bad_json || code == errc::bad_request) return 400;
    if (code == errc::invalid_scenario) return 422;
    if (code == errc::unknown_run || code == errc::no_record) return 404;
    if (code == errc::not_active || code == errc::calibration_expired) return 409;
    if (code == errc::forbidden) return 403;
    if (code == errc::limit) return 429;
    if (code == errc::shutting_down || code == errc::not_saved) return 503;
    return 500;
}

std::string rig_key_id(const std::filesystem::path& state_dir) {
    std::error_code ec;
    const auto pub = state_dir / "keys" / "rig.pub";
    if (!std::filesystem::exists(pub, ec)) return "";
    try {
        return load_public_key(pub).id();
    } catch (const std::exception& e) {
        spdlog::warn("dashboard: rig key {}: {}", pub.string(), e.what());
        return "";
    }
}

}  // namespace

void Daemon::Impl::start_http() {
    if (cfg.http.listen.empty()) return;
    const auto ep = parse_http_endpoint(cfg.http.listen);
    if (!ep.loopback && !cfg.http.allow_remote) {
        throw std::invalid_argument("the dashboard would listen on " + cfg.http.listen +
                                    ", which is not a loopback address: pass --http-allow-remote to mean it");
    }
    if (!ep.loopback) {
        spdlog::warn("the dashboard listens on {}, reachable from other machines: its pages and /metrics are open to "
                     "anyone who can reach it (writes still need a token); prefer 127.0.0.1 behind a reverse proxy",
                     cfg.http.listen);
    }
    if (!cfg.http.proxy_user_header.empty() && !ep.loopback) {
        spdlog::warn("--http-proxy-user-header is ignored on a non-loopback address: anyone could send that header");
    }
    counters.start_time_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    counters.key_id = rig_key_id(cfg.state_dir);
    feed = std::make_unique<DashboardFeed>();
    publish_dashboard();

    // Writes come from the HTTP thread and run here, on the I/O thread, like
    // any socket request; the reply goes back through the HTTP thread.
    HttpHooks hooks;
    hooks.abort = [this](const HttpUser& u, const std::string& run_id, HttpHooks::Reply reply) {
        asio::post(io, [this, u, run_id, reply = std::move(reply)] {
            Peer p;
            p.known = true;
            p.uid = own_uid;  // acts with the daemon's authority over runs (README: access model)
            p.login = u.name;
            p.via = u.via;
            nlohmann::json r;
            try {
                r = op_abort(p, 1, {{"run_id", run_id}});
            } catch (const std::exception& e) {
                r = error_reply(1, errc::bad_request, e.what());
            }
            reply(http_status_of(r), r);
        });
    };
    hooks.submit = [this](const HttpUser& u, nlohmann::json body, HttpHooks::Reply reply) {
        asio::post(io, [this, u, body = std::move(body), reply = std::move(reply)] {
            Caller c;
            c.peer.known = true;
            c.peer.uid = own_uid;
            c.peer.login = u.name;
            c.peer.via = u.via;
            // Once: the reply callable posts to the HTTP thread.
            auto answered = std::make_shared<bool>(false);
            c.send = [reply, answered](const nlohmann::json& j) {
                if (*answered) return;
                *answered = true;
                reply(http_status_of(j), j);
            };
            c.gone = [] { return false; };
            // The web form sends the scenario's text; its spec comes from the
            // rig's library of shipped specs (by file name), as for `rig submit`
            // of a scenario whose spec was not sent.
            nlohmann::json b = body;
            b.erase("scenario_path");
            if (!b.contains("base_dir")) b["base_dir"] = "/";
            if (!b.contains("operator")) b["operator"] = u.name;
            try {
                op_submit(c, 1, b);
            } catch (const std::exception& e) {
                c.send(error_reply(1, errc::bad_request, e.what()));
            }
        });
    };
    http = std::make_unique<HttpServer>(cfg.http, ep, *feed, cfg.state_dir / "runs", HttpTokens::default_file(cfg.state_dir),
                                        std::move(hooks));
    http->start();
    spdlog::info("dashboard on http://{}:{}/ ({}; metrics at /metrics)", ep.loopback ? ep.host : ep.host, http->port(),
                 HttpTokens(HttpTokens::default_file(cfg.state_dir)).any() || !cfg.http.proxy_user_header.empty()
                     ? "writes for authenticated users"
                     : "read-only");
}

void Daemon::Impl::stop_http() {
    if (http) http->stop();
}

void Daemon::Impl::count_finished(const RunEntry& e, const nlohmann::json& timing) {
    if (!feed) return;
    ++counters.runs_by_verdict[e.verdict];
    const double dur = std::chrono::duration<double>(SteadyClock::now() - active_started).count();
    std::size_t nb = std::size(kRunDurationBounds);
    counters.run_duration_counts.resize(nb + 1, 0);
    std::size_t i = 0;
    while (i < nb && dur > kRunDurationBounds[i]) ++i;
    ++counters.run_duration_counts[i];
    counters.run_duration_sum_s += dur;

    if (!timing.is_object()) return;
    counters.loop_samples += timing.value("samples", std::uint64_t{0});
    counters.missed_samples += timing.value("missed_samples", std::uint64_t{0});
    counters.late_samples += timing.value("late_samples", std::uint64_t{0});
    const auto h = timing.find("histogram");
    if (h == timing.end() || !h->is_object() || !h->contains("upper_us") || !h->contains("counts")) return;
    std::vector<double> upper;
    for (const auto& u : (*h)["upper_us"]) {
        if (u.is_number()) upper.push_back(u.get<double>() * 1e-6);
    }
    const auto counts = (*h)["counts"].get<std::vector<std::uint64_t>>();
    if (counts.size() != upper.size() + 1) return;
    if (counters.lateness_upper_s.empty() && counters.lateness_counts.empty()) {
        counters.lateness_upper_s = upper;
        counters.lateness_counts.assign(counts.size(), 0);
    }
    if (upper != counters.lateness_upper_s) {
        // Another histogram layout (a fixture with other bounds): not mixed in.
        spdlog::warn("dashboard: run {} has other lateness buckets; not added to /metrics", e.run_id);
        return;
    }
    for (std::size_t k = 0; k < counts.size(); ++k) counters.lateness_counts[k] += counts[k];
}

void Daemon::Impl::publish_dashboard() {
    if (!feed) return;
    DashboardFeed::Snapshot s;
    const auto status = op_status(nullptr, nlohmann::json::object());
    const auto queue = op_queue(nullptr);
    auto health = op_health(nullptr);
    for (auto* j : {&health}) {
        j->erase("id");
        j->erase("ok");
    }
    health["key_id"] = counters.key_id;
    nlohmann::json st = status;
    st.erase("id");
    st.erase("ok");
    nlohmann::json q = queue;
    q.erase("id");
    q.erase("ok");
    if (active) st["expected_s"] = active->progress.expected_s;
    s.live = dump(nlohmann::json{{"status", st}, {"queue", q}, {"health", health}});

    nlohmann::json hist = nlohmann::json::array();
    for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
        if (it->state == RunState::done || it->state == RunState::incomplete) hist.push_back(entry_json(*it));
    }
    s.history = dump(nlohmann::json{{"runs", hist}});

    auto& mx = s.metrics;
    mx.version = std::string(software_version());
    mx.fixture = fixture.name;
    mx.backend = fixture.backend == Backend::sim ? "sim" : "hardware";
    mx.state = shutting_down ? "stopping" : active ? "running" : "idle";
    mx.queue_length = queue_length();
    mx.start_time_s = counters.start_time_s;
    mx.runs_by_verdict = counters.runs_by_verdict;
    mx.run_duration_counts = counters.run_duration_counts;
    mx.run_duration_sum_s = counters.run_duration_sum_s;
    mx.lateness_upper_s = counters.lateness_upper_s;
    mx.lateness_counts = counters.lateness_counts;
    mx.missed_samples = counters.missed_samples;
    mx.late_samples = counters.late_samples;
    mx.loop_samples = counters.loop_samples;
    // The date op_health's decisions used (asking again would log a pinned date twice).
    const auto today = std::chrono::sys_days(parse_iso_date(health.value("today", "")).value_or(cfg.today()));
    for (const auto& c : fixture.calibration) {
        MetricsInput::Calibration mc{c.instrument, c.id, std::nullopt};
        if (const auto due = parse_iso_date(c.due)) mc.days_remaining = (std::chrono::sys_days(*due) - today).count();
        mx.calibration.push_back(std::move(mc));
    }
    std::map<std::string, MetricsInput::LastRun> last;
    for (const auto& e : runs) {
        if (e.state != RunState::done && e.state != RunState::incomplete) continue;
        if (e.started_utc.empty()) continue;  // removed from the queue: never ran
        last[e.scenario_id] = {e.scenario_id, e.verdict, unix_seconds(e.ended_utc).value_or(0.0)};
    }
    for (auto& [k, v] : last) mx.last_run_by_scenario.push_back(std::move(v));
    feed->publish(std::move(s));
}

}  // namespace rig::daemon
