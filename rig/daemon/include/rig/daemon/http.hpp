#pragma once
// The daemon's web dashboard and Prometheus metrics (rig/daemon/README.md,
// "Web dashboard"): configuration, the access tokens, and the metrics text.
//
// The HTTP server runs on a thread of its own (one thread, Boost.Beast on its
// own io_context); it reads what the daemon's I/O thread publishes and never
// touches the daemon's state, the runner or the acquisition loop.
//
// Access model:
//  - read-only unless configured: every page, /metrics and the run folders
//    (read-only, path-checked) are open to whoever can reach the address;
//  - write actions (abort, submit) need an authenticated user: a bearer token
//    of a user listed in `<state-dir>/http-tokens.json` (SHA-256 of the token
//    kept, never the token), or, when the server listens on loopback behind a
//    reverse proxy that authenticates, the user named in the proxy's header;
//  - the user is the actor of the write in the audit trail ("alice (http
//    token)", "bob (http proxy)").

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rig::daemon {

struct HttpConfig {
    /// "HOST:PORT" (IPv4, or [IPv6]:PORT); empty: no HTTP server (the default).
    std::string listen;
    /// Listening on an address that is not loopback needs this (and is logged as a warning).
    bool allow_remote = false;
    /// Header a reverse proxy sets to the authenticated user (e.g. "X-Remote-User");
    /// empty: not trusted. Honoured only while listening on loopback.
    std::string proxy_user_header;
    /// Limits: connections at once (a connection beyond is closed at accept),
    /// live-event streams at once, request header and body bytes, idle time
    /// of a connection without a complete request.
    std::size_t max_connections = 32;
    std::size_t max_event_streams = 16;
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 1024 * 1024;
    std::chrono::seconds idle_timeout{15};
    /// Live events: pushed at most this often to each stream; progress samples
    /// between two pushes are decimated to at most `max_progress_per_push`.
    std::chrono::milliseconds push_period{100};
    std::size_t max_progress_per_push = 4;
};

/// A parsed listening address.
struct HttpEndpoint {
    std::string host;  // literal address
    std::uint16_t port = 0;
    bool loopback = false;
};
/// Parses "127.0.0.1:8080", "[::1]:8080", "localhost:8080" (-> 127.0.0.1).
/// Throws std::invalid_argument naming the problem.
HttpEndpoint parse_http_endpoint(std::string_view text);

/// Users allowed to write over HTTP, kept in `<state-dir>/http-tokens.json`
/// (0600): {"format":"penrig-http-tokens/1","users":{"alice":{"sha256":"...","created_utc":"..."}}}.
/// A token is 32 random bytes (64 hex digits) shown once when it is made; only
/// its SHA-256 is stored (a fast hash is enough for 256 random bits: there is
/// nothing to guess from). Thread-safety: none; the file is re-read per check,
/// so `rig http-token add` takes effect without a restart.
class HttpTokens {
public:
    explicit HttpTokens(std::filesystem::path file) : file_(std::move(file)) {}
    static std::filesystem::path default_file(const std::filesystem::path& state_dir) {
        return state_dir / "http-tokens.json";
    }
    /// Makes (or replaces) USER's token and returns it. Throws std::invalid_argument
    /// for a user name outside [A-Za-z0-9._@-]{1,64}, std::system_error on write.
    std::string add(const std::string& user);
    /// Removes USER; false when there was none.
    bool remove(const std::string& user);
    [[nodiscard]] std::vector<std::string> users() const;
    /// The user whose token this is, compared in constant time; nullopt otherwise.
    [[nodiscard]] std::optional<std::string> user_of(std::string_view token) const;
    [[nodiscard]] bool any() const { return !users().empty(); }

private:
    nlohmann::json load() const;
    void save(const nlohmann::json& j) const;
    std::filesystem::path file_;
};

/// What /metrics reports: filled by the daemon's I/O thread.
struct MetricsInput {
    std::string version, fixture, backend;
    std::string state;  // idle, running, stopping
    std::size_t queue_length = 0;
    double start_time_s = 0.0;  // Unix time the daemon started
    std::map<std::string, std::uint64_t> runs_by_verdict;  // since the daemon started
    /// Durations of finished runs (started -> ended), seconds, as a histogram.
    std::vector<std::uint64_t> run_duration_counts;  // per kRunDurationBounds bucket (+Inf last)
    double run_duration_sum_s = 0.0;
    /// Loop lateness of the runs since the daemon started (their records'
    /// histograms added up): bucket upper bounds in seconds, counts per bucket.
    std::vector<double> lateness_upper_s;           // finite bounds, ascending
    std::vector<std::uint64_t> lateness_counts;     // size() == lateness_upper_s.size() + 1 (+Inf)
    std::uint64_t missed_samples = 0, late_samples = 0, loop_samples = 0;
    struct Calibration {
        std::string instrument, id;
        std::optional<long> days_remaining;  // nullopt: the due date is not a date
    };
    std::vector<Calibration> calibration;
    struct LastRun {
        std::string scenario, verdict;
        double ended_s = 0.0;  // Unix time
    };
    std::vector<LastRun> last_run_by_scenario;
    std::size_t http_event_streams = 0, http_connections = 0;
};
inline constexpr double kRunDurationBounds[] = {1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 28800};
/// Verdicts, in the order exported (every one always present, 0 when none).
inline constexpr std::string_view kVerdicts[] = {"PASS", "FAIL", "ERROR", "ABORTED", "INCOMPLETE"};

/// The Prometheus text exposition format (version 0.0.4) of `m`; names carry
/// the `penrig_` prefix and base units (seconds). Pure function.
std::string render_metrics(const MetricsInput& m);

}  // namespace rig::daemon
