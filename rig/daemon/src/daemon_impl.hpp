#pragma once
// The daemon's inside, shared by its source files (one job each):
//   daemon.cpp          set-up, the listening socket, signals, shutdown, Daemon::run
//   client_session.cpp  one connected client: framing, output queue, identity
//   scheduler.cpp       the queue, the worker thread, run start and finish, events
//   run_watchdog.cpp    the heartbeat tick and the stuck-loop trip
//   handlers.cpp        the request handlers (one per operation), authorisation
//   validator.cpp       scenario validation off the I/O thread
// Everything in Impl belongs to the I/O thread unless a comment says otherwise.

#include <sys/types.h>

// GCC's flow-sensitive -Wnull-dereference fires inside Asio's scheduler
// (asio/detail/impl/scheduler.ipp) once inlined at -O2; silence it for Asio's
// code only, by source location.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <asio.hpp>
#pragma GCC diagnostic pop

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "dashboard_feed.hpp"
#include "http_server.hpp"
#include "rig/daemon/daemon.hpp"
#include "rig/daemon/protocol.hpp"
#include "rig/daemon/state_store.hpp"
#include "rig/daemon/watchdog.hpp"
#include "rig/scenario/scenario.hpp"
#include "rig/session/run_session.hpp"

namespace rig::daemon {

using stream = asio::local::stream_protocol;
using SteadyClock = std::chrono::steady_clock;

/// A client that stops reading is disconnected once this much output waits
/// for it, so that it cannot make the daemon grow without bound.
inline constexpr std::size_t kMaxPendingOutput = 16u * 1024u * 1024u;
/// How long a shutdown waits for clients to take their last messages.
inline constexpr std::chrono::seconds kShutdownFlush{2};

struct BadRequest : std::runtime_error {
    using std::runtime_error::runtime_error;
};

std::string dump(const nlohmann::json& j);
std::optional<std::string> opt_string(const nlohmann::json& b, const char* key);
std::string need_string(const nlohmann::json& b, const char* key);
void notify(const std::string& msg);

/// Who is at the other end of a connection (SO_PEERCRED at accept).
struct Peer {
    bool known = false;
    uid_t uid = 0;
    gid_t gid = 0;
    pid_t pid = 0;
    std::string login;  // login name of uid, or "uid<N>"; the user name of an HTTP user
    std::string via;    // "" for a socket peer; "http token" / "http proxy" for an HTTP user
    /// "anna (uid 1000)", "alice (http token)": how audit entries and messages name the actor.
    [[nodiscard]] std::string actor() const;
    /// "uid 1000 pid 4242"
    [[nodiscard]] std::string source() const;
};

struct Progress {
    std::size_t step = 0;
    std::string label;
    int line = 0;
    double t_s = 0.0, expected_s = 0.0, rate_hz = 0.0, depth_mm = 0.0;
    [[nodiscard]] nlohmann::json to_json() const;
};

/// Who asks and where the answer goes: a socket client, or an HTTP user
/// (whose requests the HTTP thread hands over).
struct Caller {
    Peer peer;
    std::function<void(const nlohmann::json&)> send;
    std::function<bool()> gone;  // the asker left: nobody would hear the answer
};

/// Figures the dashboard's /metrics accumulate since the daemon started (I/O thread).
struct DashboardCounters {
    std::map<std::string, std::uint64_t> runs_by_verdict;
    std::vector<std::uint64_t> run_duration_counts;
    double run_duration_sum_s = 0.0;
    std::vector<double> lateness_upper_s;
    std::vector<std::uint64_t> lateness_counts;
    std::uint64_t missed_samples = 0, late_samples = 0, loop_samples = 0;
    double start_time_s = 0.0;
    std::string key_id;  // the rig key's fingerprint, "" when the rig has none
};

/// The run the worker executes. Created on the I/O thread, handed to the
/// worker through the mailbox; the I/O thread keeps a reference so that the
/// watchdog can read the heartbeat and reach the fixture while run() goes on.
struct ActiveRun {
    explicit ActiveRun(std::chrono::nanoseconds hb_timeout) : watchdog(hb_timeout) {}
    std::string run_id;
    std::shared_ptr<const Scenario> scenario;
    std::atomic<bool> abort{false};
    std::atomic<bool> stuck{false};  // the watchdog declared the loop stuck
    std::string stuck_reason;        // written before `stuck` is set
    std::unique_ptr<RunObserver> observer;
    std::unique_ptr<RunSession> session;
    // I/O thread only:
    HeartbeatWatchdog watchdog;
    Progress progress;
};

struct Finished {
    Verdict verdict = Verdict::error;
    std::string reason;
    nlohmann::json timing;
};

struct Daemon::Impl {
    class Session;
    class Observer;

    explicit Impl(DaemonConfig c);

    // --- configuration and owned resources
    DaemonConfig cfg;
    FixtureConfig fixture;
    std::optional<FixtureLock> state_lock;  // one daemon per state folder
    std::optional<FixtureLock> lock;        // one process per fixture
    std::unique_ptr<Fixture> lifetime_fixture;  // fixtures that are not a model per run
    StateFile state;
    std::vector<RunEntry> runs;  // submission order
    std::map<std::string, std::shared_ptr<const Scenario>> scenarios;  // loaded, for queued runs
    uid_t own_uid = 0;
    bool socket_created = false;

    // --- I/O thread
    asio::io_context io{1};
    stream::acceptor acceptor{io};
    asio::signal_set signals{io, SIGINT, SIGTERM, SIGQUIT};
    asio::signal_set hangup{io, SIGHUP};
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
    std::size_t validating = 0;  // submissions being validated off this thread
    SteadyClock::time_point active_started{};  // when `active` left the queue

    // --- dashboard (dashboard.cpp); null while HTTP is off
    std::unique_ptr<DashboardFeed> feed;
    std::unique_ptr<HttpServer> http;
    DashboardCounters counters;
    void start_http();
    void stop_http();
    /// Publishes the snapshot the HTTP thread serves (after every state change).
    void publish_dashboard();
    /// A run finished: counts it for /metrics.
    void count_finished(const RunEntry& e, const nlohmann::json& timing);

    // --- worker hand-off
    std::mutex m;
    std::condition_variable cv;
    std::shared_ptr<ActiveRun> mailbox;
    bool worker_stop = false;
    std::thread worker;

    // --- validation thread (validator.cpp)
    std::mutex vm;
    std::condition_variable vcv;
    std::deque<std::function<void()>> vjobs;
    bool vstop = false;
    std::thread validator;
    void validator_main();
    void stop_validator();
    /// Runs `job` on the validation thread; `done` is posted back to the I/O thread.
    void validate_async(std::function<void()> job);

    // daemon.cpp
    void listen();
    void accept();
    void arm_signals();
    void arm_hangup();
    void begin_shutdown(bool abort_current, const std::string& why);
    void finish_shutdown();
    void remove_socket();

    // scheduler.cpp
    void worker_main();
    void persist();  // logs a failure
    void save_state();  // throws std::exception on failure
    void update_status();
    RunEntry* find(const std::string& run_id);
    nlohmann::json entry_json(const RunEntry& e);
    std::size_t queue_length() const;
    std::size_t queued_by(uid_t uid) const;
    void dispatch();
    void finish_entry(RunEntry& e, RunState st, std::string verdict, std::string reason);
    void on_run_finished(const std::shared_ptr<ActiveRun>& job, const Finished& f);
    void broadcast(const std::string& run_id, nlohmann::json ev);
    void broadcast_verdict(const RunEntry& e);
    /// Gives the allocator's free pages back to the system (after each run).
    void release_free_memory();
    std::uint64_t trims = 0;  // release_free_memory() calls, for health
    /// What the daemon holds per run and per client, and its heap (health's "memory").
    [[nodiscard]] nlohmann::json memory_json() const;
    LoadOptions load_options(const Submission& sub) const;
    void audit(const std::string& actor, const std::string& action, const std::string& subject,
               const nlohmann::json& detail);

    // run_watchdog.cpp
    void schedule_tick();
    void on_tick();
    void trip(const std::shared_ptr<ActiveRun>& job);

    // handlers.cpp
    void handle_line(const std::shared_ptr<Session>& s, std::string_view line);
    void op_submit(const Caller& c, const nlohmann::json& id, const nlohmann::json& b);
    void finish_submit(const Caller& c, const nlohmann::json& id, Submission sub, std::optional<Scenario> sc,
                       Diagnostics diags);
    nlohmann::json op_queue(const nlohmann::json& id);
    nlohmann::json op_status(const nlohmann::json& id, const nlohmann::json& b);
    void op_watch(const std::shared_ptr<Session>& s, const nlohmann::json& id, const nlohmann::json& b);
    nlohmann::json op_abort(const Peer& p, const nlohmann::json& id, const nlohmann::json& b);
    nlohmann::json op_record(const nlohmann::json& id, const nlohmann::json& b);
    nlohmann::json op_health(const nlohmann::json& id);
    /// May `p` abort or remove `e`? Its submitter, the daemon's own user, root.
    bool may_control(const Peer& p, const RunEntry& e) const;
    /// May `p` stop the daemon? The daemon's own user and root.
    bool may_administer(const Peer& p) const;
};

/// One connected client (client_session.cpp).
class Daemon::Impl::Session : public std::enable_shared_from_this<Session> {
public:
    Session(Impl& d, stream::socket sock);
    void start() { read(); }
    void send(const nlohmann::json& j);
    /// This client as the asker of a request.
    Caller caller();
    /// Closes once every queued message is written.
    void close_when_flushed();
    void close();
    [[nodiscard]] bool closed() const { return closed_; }

    Peer peer;
    std::multimap<std::string, nlohmann::json> watches;  // run id -> watch request id

private:
    void read();
    void write_next();

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

}  // namespace rig::daemon
