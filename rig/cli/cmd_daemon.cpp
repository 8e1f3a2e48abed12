// rig serve / submit / status / watch / abort / queue: the daemon and its clients.
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "run_common.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/core/yaml_reader.hpp"
#include "rig/daemon/client.hpp"
#include "rig/daemon/daemon.hpp"
#include "rig/session/run_session.hpp"

namespace rig::cli {
namespace {

std::string default_socket() {
    if (const char* e = std::getenv("PENRIG_SOCKET"); e != nullptr && *e != '\0') return e;
    return "/run/penrig/rig.sock";
}

/// journald adds time and host itself and reads the syslog priority from a
/// "<N>" prefix (SyslogLevelPrefix=yes), so under systemd the log line is just that.
class SyslogPriority final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        static constexpr const char* prio[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
        const auto i = static_cast<std::size_t>(msg.level);
        const char* p = i < std::size(prio) ? prio[i] : "<6>";
        dest.append(p, p + 3);
    }
    [[nodiscard]] std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<SyslogPriority>();
    }
};

void journal_friendly_logging() {
    if (std::getenv("JOURNAL_STREAM") == nullptr) return;
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<SyslogPriority>('*').set_pattern("%*%v");
    spdlog::default_logger()->set_formatter(std::move(f));
}

void print_error(const char* cmd, const nlohmann::json& reply) {
    const auto& e = reply.at("error");
    std::cerr << "rig " << cmd << ": " << e.value("message", "error") << " [" << e.value("code", "?") << "]\n";
    if (e.contains("diagnostics")) {
        for (const auto& d : e["diagnostics"]) std::cerr << d.get<std::string>() << "\n";
    }
}

std::string fmt_num(double v, int prec) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(prec) << v;
    return s.str();
}

void print_run(std::ostream& out, const nlohmann::json& r) {
    out << r.value("run_id", "?") << "  " << r.value("state", "?");
    if (r.contains("position")) out << " (position " << r["position"].get<std::size_t>() << ")";
    if (!r.value("verdict", "").empty()) out << "  " << r.value("verdict", "");
    out << "\n  scenario " << r.value("scenario_id", "") << " (" << r.value("scenario", "") << ")";
    if (!r.value("dut", "").empty()) out << "  dut " << r.value("dut", "");
    if (!r.value("lot", "").empty()) out << "  lot " << r.value("lot", "");
    if (r.contains("operator")) out << "  operator " << r["operator"].value("name", "");
    out << "\n";
    if (r.contains("progress")) {
        const auto& p = r["progress"];
        out << "  " << fmt_num(p.value("t_s", 0.0), 1) << " / " << fmt_num(p.value("expected_s", 0.0), 1) << " s  "
            << fmt_num(p.value("rate_hz", 0.0), 1) << " Hz  " << fmt_num(p.value("depth_mm", 0.0), 3) << " mm  step "
            << p.value("step", 0) + 1 << " (line " << p.value("step_line", 0) << ") " << p.value("step_label", "") << "\n";
    }
    if (!r.value("reason", "").empty()) out << "  reason: " << r.value("reason", "") << "\n";
    if (!r.value("dir", "").empty()) out << "  run folder: " << r.value("dir", "") << "\n";
}

/// Does a daemon answer on `socket` now?
bool daemon_alive(const std::string& socket) {
    try {
        daemon::Client probe(socket);
        return probe.request({{"op", "ping"}}).value("ok", false);
    } catch (const std::exception&) {
        return false;
    }
}

/// The files a scenario includes (`spec:`), as written -> path beside it.
std::vector<std::pair<std::string, std::filesystem::path>> scenario_includes(const std::string& text,
                                                                             const std::filesystem::path& base) {
    std::vector<std::pair<std::string, std::filesystem::path>> out;
    Diagnostics d;
    const auto f = load_yaml_text("scenario", text, d);
    if (!f || !f->root.IsMap()) return out;
    const auto sp = f->root["spec"];
    if (sp && sp.IsScalar()) {
        const std::filesystem::path q(sp.Scalar());
        out.emplace_back(sp.Scalar(), q.is_absolute() ? q : base / q);
    }
    return out;
}

/// Follows a watch until its verdict; returns the verdict's exit code.
int follow(daemon::Client& c, const nlohmann::json& watch_id, bool json, const std::string& socket) {
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    for (;;) {
        auto msg = c.read();
        if (!msg) {
            if (tty) std::cerr << "\r\033[K";
            if (daemon_alive(socket)) {
                std::cerr << "rig: the daemon closed the connection before the verdict (the run goes on; `rig status` shows it)\n";
            } else {
                std::cerr << "rig: the daemon stopped before the verdict: the run did not finish under it (once the "
                             "daemon is back, `rig status` shows it INCOMPLETE or its closed record)\n";
            }
            return exit_error;
        }
        if (msg->value("id", nlohmann::json()) != watch_id) continue;
        if (json) std::cout << msg->dump() << std::endl;
        if (!msg->contains("event")) {
            if (!msg->value("ok", false)) {
                if (!json) print_error("watch", *msg);
                return exit_error;
            }
            continue;
        }
        const std::string ev = msg->value("event", "");
        if (ev == "verdict") {
            if (!json) {
                if (tty) std::cerr << "\r\033[K";
                std::cout << msg->value("run_id", "") << ": " << msg->value("verdict", "") << "  "
                          << msg->value("reason", "") << "\n";
                if (!msg->value("dir", "").empty()) std::cout << "run folder: " << msg->value("dir", "") << "\n";
            }
            return msg->value("exit_code", static_cast<int>(exit_error));
        }
        if (json) continue;
        if (ev == "started") {
            std::cerr << "started " << msg->value("run_id", "") << "\n";
        } else if (ev == "step") {
            if (tty) std::cerr << "\r\033[K";
            std::cerr << "  step " << msg->value("index", 0) + 1 << " (line " << msg->value("line", 0) << ") "
                      << msg->value("label", "") << "\n";
        } else if (ev == "measurement") {
            const auto& m = (*msg)["measurement"];
            if (tty) std::cerr << "\r\033[K";
            std::cerr << "  " << m.value("outcome", "?") << "  " << m.value("id", "") << " = "
                      << (m.contains("value") && m["value"].is_number() ? fmt_num(m["value"].get<double>(), 4) : "-")
                      << " " << m.value("unit", "") << "\n";
        } else if (ev == "progress" && tty) {
            std::cerr << "\r\033[K" << fmt_num(msg->value("t_s", 0.0), 1) << " / " << fmt_num(msg->value("expected_s", 0.0), 1)
                      << " s  " << fmt_num(msg->value("rate_hz", 0.0), 1) << " Hz  "
                      << fmt_num(msg->value("depth_mm", 0.0), 3) << " mm" << std::flush;
        }
    }
}

struct ClientOpts {
    std::string socket = default_socket();
    bool json = false;
};

void add_client_options(CLI::App* sub, ClientOpts& o) {
    sub->add_option("--socket", o.socket, "The daemon's socket (default: $PENRIG_SOCKET or /run/penrig/rig.sock)")
        ->capture_default_str();
    sub->add_flag("--json", o.json, "Print the daemon's raw JSON replies and events, one per line");
}

/// One request, printed raw (--json) or by `print`; exit 2 on an error reply.
template <class Print>
int simple_request(const char* cmd, const ClientOpts& o, nlohmann::json req, Print print) {
    daemon::Client c(o.socket);
    const auto reply = c.request(std::move(req));
    if (o.json) std::cout << reply.dump() << "\n";
    if (!reply.value("ok", false)) {
        if (!o.json) print_error(cmd, reply);
        return exit_error;
    }
    if (!o.json) print(reply);
    return exit_pass;
}

}  // namespace

void add_daemon_commands(CLI::App& app, Commands& cmds) {
    // ---- serve
    struct ServeOpts {
        std::string socket = default_socket(), state_dir, fixture, lock_dir = "/run/lock", sim_clock = "lockstep";
        std::string http, http_proxy_user_header;
        bool realtime = false, no_sign = false, http_allow_remote = false;
        std::string publish_db;
        std::size_t max_queue = 64, max_queue_per_user = 16;
        std::size_t keep_finished = 200;
        std::size_t http_max_connections = 32;
        unsigned http_idle_timeout_s = 15;
        std::int64_t heartbeat_timeout_ms = daemon::DaemonConfig{}.heartbeat_timeout.count();
    };
    auto so = std::make_shared<ServeOpts>();
    so->state_dir = resolve_state_dir("", "/var/lib/penrig").string();
    auto* serve = app.add_subcommand(
        "serve",
        "Run the rig daemon in the foreground (as systemd does): own the fixture, run submitted scenarios one at a "
        "time, serve the JSON-lines API on a Unix socket (rig/daemon/README.md). SIGTERM/SIGINT abort the current run, "
        "close its record and exit 0. Exit 2 when the fixture is in use by another daemon or a file is invalid.");
    serve->add_option("--socket", so->socket, "Unix socket to listen on (created 0660)")->capture_default_str();
    serve->add_option("--state-dir", so->state_dir, "Daemon state and run folders (default: $PENRIG_STATE_DIR or /var/lib/penrig)")
        ->capture_default_str();
    serve->add_option("--fixture", so->fixture, "Fixture every run uses (default: fixtures/sim.yaml)")->check(CLI::ExistingFile);
    serve->add_option("--lock-dir", so->lock_dir, "Folder of the fixture lock penrig-<fixture>.lock")->capture_default_str();
    serve->add_flag("--realtime", so->realtime,
                    "Run the simulated fixture on the real monotonic clock with the real-time acquisition thread");
    serve->add_option("--sim-clock", so->sim_clock,
                      "Clock of a simulated fixture: lockstep (as fast as it computes) or realtime (wall-clock pace, "
                      "without the real-time thread setup of --realtime)")
        ->check(CLI::IsMember({"lockstep", "realtime"}))
        ->capture_default_str();
    serve->add_flag("--no-sign", so->no_sign, "Do not sign run folders even if a rig key exists");
    serve->add_option("--publish-db", so->publish_db, "Publish every finished run to this fleet database (PostgreSQL URL; "
                                                      "runs wait in <state>/outbox while it is unreachable)")
        ->envname("PENRIG_PUBLISH_DB");
    serve->add_option("--max-queue", so->max_queue, "Most runs queued at once (a submission beyond is refused)")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    serve->add_option("--max-queue-per-user", so->max_queue_per_user, "Most runs one user may have queued")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    serve->add_option("--keep-finished", so->keep_finished,
                      "Finished runs the daemon remembers (state file, status, history); their folders stay")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    serve->add_option("--http", so->http,
                      "Serve the web dashboard and Prometheus /metrics on HOST:PORT (e.g. 127.0.0.1:8080); off by default. "
                      "Read-only unless HTTP users exist (rig http-token add USER)");
    serve->add_flag("--http-allow-remote", so->http_allow_remote,
                    "Allow --http on an address that is not loopback (logged as a warning; prefer a reverse proxy)");
    serve->add_option("--http-proxy-user-header", so->http_proxy_user_header,
                      "Trust this request header (e.g. X-Remote-User) as the user a reverse proxy authenticated; "
                      "only while --http is a loopback address");
    serve->add_option("--http-max-connections", so->http_max_connections,
                      "Most HTTP connections at once (more are closed at accept)")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    serve->add_option("--http-idle-timeout", so->http_idle_timeout_s,
                      "Seconds an HTTP connection may stay without a complete request")
        ->check(CLI::Range(1, 3600))
        ->capture_default_str();
    serve->add_option("--heartbeat-timeout-ms", so->heartbeat_timeout_ms,
                      "A run's acquisition loop is stuck (fixture made safe, run ERROR) after this many ms without a "
                      "heartbeat, or without its first iteration from the run's start")
        ->check(CLI::Range(std::int64_t{200}, std::int64_t{600000}))
        ->capture_default_str();
    serve->callback([&cmds, so] {
        cmds.run = [so]() -> int {
            journal_friendly_logging();
            daemon::DaemonConfig cfg;
            cfg.socket_path = so->socket;
            cfg.state_dir = so->state_dir;
            cfg.fixture_file = so->fixture.empty() ? default_fixture() : std::filesystem::path(so->fixture);
            cfg.lock_dir = so->lock_dir;
            cfg.realtime = so->realtime;
            cfg.sign = !so->no_sign;
            cfg.publish_db = so->publish_db;
            cfg.library_dir = library_dir();
            cfg.max_queue = so->max_queue;
            cfg.max_queue_per_user = so->max_queue_per_user;
            cfg.keep_finished = so->keep_finished;
            cfg.http.listen = so->http;
            cfg.http.allow_remote = so->http_allow_remote;
            cfg.http.proxy_user_header = so->http_proxy_user_header;
            cfg.http.max_connections = so->http_max_connections;
            cfg.http.idle_timeout = std::chrono::seconds(so->http_idle_timeout_s);
            if (!so->http.empty()) {
                try {
                    const auto ep = daemon::parse_http_endpoint(so->http);
                    if (!ep.loopback && !so->http_allow_remote) {
                        std::cerr << "rig serve: --http " << so->http
                                  << " is not a loopback address; add --http-allow-remote to listen there (anyone who "
                                     "reaches it can read the dashboard)\n";
                        return exit_error;
                    }
                } catch (const std::invalid_argument& e) {
                    std::cerr << "rig serve: --http: " << e.what() << "\n";
                    return exit_error;
                }
            }
            cfg.heartbeat_timeout = std::chrono::milliseconds{so->heartbeat_timeout_ms};
            const bool wall_clock = so->realtime || so->sim_clock == "realtime";
            cfg.make_fixture = [wall_clock](const FixtureConfig& fc, std::uint64_t seed) {
                return make_fixture(fc, seed, wall_clock);
            };
            try {
                daemon::Daemon d(std::move(cfg));
                return d.run();
            } catch (const FixtureBusy& e) {
                std::cerr << "rig serve: " << e.what() << "\n";
                return exit_error;
            } catch (const InputError& e) {
                e.diagnostics().print(std::cerr);
                std::cerr << "rig serve: the fixture file has errors; not started\n";
                return exit_error;
            } catch (const std::system_error& e) {
                std::cerr << "rig serve: " << e.what() << "\n";
                return exit_error;
            }
        };
    });

    // ---- http-token
    struct TokenOpts {
        std::string action, user, state_dir;
    };
    auto to = std::make_shared<TokenOpts>();
    to->state_dir = resolve_state_dir("", "/var/lib/penrig").string();
    auto* tok = app.add_subcommand(
        "http-token",
        "Manage the users who may write through the web dashboard (abort, submit). `add USER` prints a new token "
        "once (only its SHA-256 is kept, in <state-dir>/http-tokens.json); `remove USER`; `list`.");
    tok->add_option("action", to->action, "add, remove or list")->required()->check(CLI::IsMember({"add", "remove", "list"}));
    tok->add_option("user", to->user, "User name (A-Z a-z 0-9 . _ @ -)");
    tok->add_option("--state-dir", to->state_dir, "The daemon's state folder (default: $PENRIG_STATE_DIR or /var/lib/penrig)")
        ->capture_default_str();
    tok->callback([&cmds, to] {
        cmds.run = [to]() -> int {
            daemon::HttpTokens tokens(daemon::HttpTokens::default_file(to->state_dir));
            try {
                if (to->action == "list") {
                    for (const auto& u : tokens.users()) std::cout << u << "\n";
                    return exit_pass;
                }
                if (to->user.empty()) {
                    std::cerr << "rig http-token " << to->action << ": a USER is needed\n";
                    return exit_error;
                }
                if (to->action == "add") {
                    std::filesystem::create_directories(to->state_dir);
                    std::cout << tokens.add(to->user) << "\n";
                    std::cerr << "token of " << to->user << " (shown once; send it as 'Authorization: Bearer <token>' "
                              << "or paste it into the dashboard)\n";
                    return exit_pass;
                }
                if (!tokens.remove(to->user)) {
                    std::cerr << "rig http-token remove: no user " << to->user << "\n";
                    return exit_error;
                }
                return exit_pass;
            } catch (const std::exception& e) {
                std::cerr << "rig http-token: " << e.what() << "\n";
                return exit_error;
            }
        };
    });

    // ---- submit
    struct SubmitOpts : ClientOpts, PenOptions {
        std::string scenario;
        std::vector<std::string> tags;
        bool wait = false;
    };
    auto sub = std::make_shared<SubmitOpts>();
    auto* submit = app.add_subcommand(
        "submit",
        "Queue a scenario on the rig daemon. Bad input is answered at once (file:line:col, as `rig validate`).\n"
        "--wait streams progress and exits with the run's verdict: 0 PASS, 1 FAIL, 2 ERROR/bad input, 3 ABORTED. "
        "Interrupting the client never stops the run.");
    submit->add_option("scenario", sub->scenario, "Scenario file (sent as text with its folder)")->required()->check(CLI::ExistingFile);
    add_pen_options(submit, *sub);
    submit->add_option("--tag", sub->tags, "Extra tag for the record (repeatable)");
    submit->add_flag("--wait", sub->wait, "Wait for the verdict, streaming progress; exit with the verdict's code");
    add_client_options(submit, *sub);
    submit->callback([&cmds, sub] {
        cmds.run = [sub]() -> int {
            const std::filesystem::path p(sub->scenario);
            // Read here, with the caller's rights: the daemon opens no path a
            // client names. The spec the scenario includes goes along.
            Diagnostics diags;
            const auto text = read_input_file(p, diags);
            if (!text) {
                diags.print(std::cerr);
                return exit_error;
            }
            nlohmann::json includes = nlohmann::json::object();
            for (const auto& [name, path] : scenario_includes(*text, std::filesystem::absolute(p).parent_path())) {
                Diagnostics d;
                if (auto t = read_input_file(path, d)) includes[name] = *t;
                // A file that cannot be read here is reported by the daemon's
                // validation (or found in its library of shipped specs).
            }
            nlohmann::json req = {{"op", "submit"},
                                  {"scenario_text", *text},
                                  {"includes", includes},
                                  {"name", p.string()},
                                  {"base_dir", std::filesystem::absolute(p).parent_path().string()},
                                  {"dut", sub->dut},
                                  {"lot", sub->lot},
                                  {"tags", sub->tags}};
            // Without a stated identity the daemon attributes the run to the
            // login name of the connecting user (SO_PEERCRED).
            if (const auto op = stated_identity(sub->op)) req["operator"] = op->name;
            if (sub->seed) req["seed"] = *sub->seed;
            daemon::Client c(sub->socket);
            const auto reply = c.request(req);
            if (sub->json) std::cout << reply.dump() << std::endl;
            if (!reply.value("ok", false)) {
                if (!sub->json) print_error("submit", reply);
                return exit_error;
            }
            const std::string run_id = reply.value("run_id", "");
            if (!sub->json) {
                if (reply.contains("warnings")) {
                    for (const auto& w : reply["warnings"]) std::cerr << w.get<std::string>() << "\n";
                }
                std::cout << "queued " << run_id << " at position " << reply.value("position", 0) << std::endl;
            }
            if (!sub->wait) return exit_pass;
            const auto wid = c.send({{"op", "watch"}, {"run_id", run_id}});
            return follow(c, wid, sub->json, sub->socket);
        };
    });

    // ---- status
    struct RunIdOpts : ClientOpts {
        std::string run_id;
    };
    auto st = std::make_shared<RunIdOpts>();
    auto* status = app.add_subcommand("status", "Show a run's state and live progress, or what the daemon is doing");
    status->add_option("run_id", st->run_id, "Run id (default: the daemon's current run)");
    add_client_options(status, *st);
    status->callback([&cmds, st] {
        cmds.run = [st]() -> int {
            nlohmann::json req = {{"op", "status"}};
            if (!st->run_id.empty()) req["run_id"] = st->run_id;
            return simple_request("status", *st, req, [](const nlohmann::json& r) {
                if (r.contains("state")) {
                    std::cout << "daemon " << r.value("state", "") << " on fixture " << r.value("fixture", "") << ", "
                              << r.value("queue_length", 0) << " queued\n";
                }
                if (r.contains("run")) print_run(std::cout, r["run"]);
            });
        };
    });

    // ---- watch
    auto wa = std::make_shared<RunIdOpts>();
    auto* watch = app.add_subcommand(
        "watch", "Stream a run's steps, measurements and progress until its verdict; exit with the verdict's code");
    watch->add_option("run_id", wa->run_id, "Run id")->required();
    add_client_options(watch, *wa);
    watch->callback([&cmds, wa] {
        cmds.run = [wa]() -> int {
            daemon::Client c(wa->socket);
            const auto wid = c.send({{"op", "watch"}, {"run_id", wa->run_id}});
            return follow(c, wid, wa->json, wa->socket);
        };
    });

    // ---- abort
    auto ab = std::make_shared<RunIdOpts>();
    auto* abort = app.add_subcommand("abort", "Abort a running run (its record closes ABORTED) or remove a queued one");
    abort->add_option("run_id", ab->run_id, "Run id")->required();
    add_client_options(abort, *ab);
    abort->callback([&cmds, ab] {
        cmds.run = [ab]() -> int {
            return simple_request("abort", *ab, {{"op", "abort"}, {"run_id", ab->run_id}}, [](const nlohmann::json& r) {
                if (r.value("state", "") == "aborting") {
                    std::cout << r.value("run_id", "") << ": abort requested; the record closes ABORTED\n";
                } else {
                    std::cout << r.value("run_id", "") << ": removed from the queue (ABORTED)\n";
                }
            });
        };
    });

    // ---- queue
    auto qo = std::make_shared<ClientOpts>();
    auto* queue = app.add_subcommand("queue", "List the running run and the queued runs, in the order they will run");
    add_client_options(queue, *qo);
    queue->callback([&cmds, qo] {
        cmds.run = [qo]() -> int {
            return simple_request("queue", *qo, {{"op", "queue"}}, [](const nlohmann::json& r) {
                if (r["running"].is_null() && r["queued"].empty()) std::cout << "nothing running, nothing queued\n";
                if (!r["running"].is_null()) print_run(std::cout, r["running"]);
                for (const auto& q : r["queued"]) print_run(std::cout, q);
            });
        };
    });
}

}  // namespace rig::cli
