#pragma once
// Test harness: the real `rig serve` process on a temp socket, state folder
// and lock folder, and a tiny raw client of its socket. Every wait is bounded;
// leftover processes are killed in destructors.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "rig/core/atomic_file.hpp"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "temp_dir.hpp"

extern char** environ;

namespace rig::test {

using namespace std::chrono_literals;
using json = nlohmann::json;

/// A TCP connection to 127.0.0.1:port (the daemon's HTTP listener); throws
/// when nothing answers.
inline int connect_tcp(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to port " + std::to_string(port));
    }
    return fd;
}

/// utime + stime of a process (all its threads), in seconds.
inline double cpu_seconds(pid_t pid) {
    const auto s = slurp("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream in(s.substr(s.rfind(')') + 2));  // fields after "pid (comm) "
    std::string f;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> f; ++i) {
        if (i == 14) utime = std::stoull(f);
        if (i == 15) stime = std::stoull(f);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// A tiny raw client: bytes out, lines in.
class Wire {
public:
    explicit Wire(const std::filesystem::path& socket) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, socket.c_str(), sizeof a.sun_path - 1);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd_);
            fd_ = -1;
            throw std::runtime_error("connect " + socket.string() + ": " + std::strerror(errno));
        }
    }
    ~Wire() { close(); }
    Wire(const Wire&) = delete;
    Wire& operator=(const Wire&) = delete;

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    /// Sends raw bytes; false when the daemon closed the connection.
    bool send_raw(const std::string& bytes) {
        std::size_t off = 0;
        while (off < bytes.size()) {
            const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return false;
            off += static_cast<std::size_t>(n);
        }
        return true;
    }
    void send(const json& j) { send_raw(j.dump() + "\n"); }
    /// Next line as JSON; nullopt on EOF or timeout.
    std::optional<json> read(std::chrono::milliseconds timeout = 20s) {
        const auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (const auto nl = buf_.find('\n'); nl != std::string::npos) {
                const auto line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                return json::parse(line);
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            char b[65536];
            const ssize_t n = ::recv(fd_, b, sizeof b, 0);
            if (n <= 0) return std::nullopt;
            buf_.append(b, static_cast<std::size_t>(n));
        }
    }
    /// Sends a request and returns the message answering it (events skipped).
    json call(json req, std::chrono::milliseconds timeout = 20s) {
        const json id = req.value("id", json(next_id_++));
        req["id"] = id;
        send(req);
        const auto until = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            auto m = read(std::max(left, 1ms));
            if (!m) throw std::runtime_error("no reply to " + req.dump());
            if (!m->contains("event") && (*m)["id"] == id) return *m;
        }
    }

private:
    int fd_ = -1;
    std::string buf_;
    int next_id_ = 1000;
};

/// A daemon under test and its folders.
struct Rig {
    TempDir tmp;
    std::filesystem::path socket = tmp / "rig.sock";
    std::filesystem::path state = tmp / "state";
    std::filesystem::path locks = tmp / "lock";
    std::filesystem::path fixture = source_dir() / "fixtures" / "sim.yaml";
    std::unique_ptr<Proc> daemon;
    int starts = 0;
    /// The daemon's "today" (PENRIG_TODAY): tests never depend on the calendar.
    std::string today = "2026-06-01";
    std::vector<std::string> extra_args;

    /// Starts `rig serve`; `wall_clock`: the sim at real-time pace.
    void start(bool wall_clock = false) {
        if (wall_clock && fixture == source_dir() / "fixtures" / "sim.yaml") {
            // At real-time pace on a shared machine the loop cannot promise the
            // sim fixture's 200 us budget, and a run that breaks it is ERROR:
            // the same fixture with a budget such a machine keeps.
            auto text = rig::read_file(fixture);
            const auto at = text.find("timing:");
            text.replace(at, text.find("\n\n", at) - at,
                         "timing:\n  lateness_budget: 100 ms\n  max_late_fraction: 50 %\n  max_missed_samples: 1000000");
            fixture = tmp / "sim-wall-clock.yaml";
            std::ofstream(fixture) << text;
        }
        std::vector<std::string> args = {PENRIG_RIG_EXE, "serve", "--socket", socket.string(), "--state-dir",
                                         state.string(), "--lock-dir", locks.string(), "--fixture", fixture.string(),
                                         "--no-sign"};
        if (wall_clock) args.insert(args.end(), {"--sim-clock", "realtime"});
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        daemon = std::make_unique<Proc>(args, tmp / ("serve" + std::to_string(starts++)),
                                        std::vector<std::string>{"PENRIG_TODAY=" + today});
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (std::chrono::steady_clock::now() < until) {
            if (auto ex = daemon->wait(0ms)) {
                throw std::runtime_error("rig serve exited with " + std::to_string(ex->code) + ": " + daemon->err());
            }
            try {
                Wire w(socket);
                if (w.call({{"op", "ping"}}, 5s).value("ok", false)) return;
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(20ms);
        }
        throw std::runtime_error("rig serve did not come up: " + daemon->err());
    }

    /// A scenario file in the temp folder: `steps` is YAML under `steps:`.
    std::filesystem::path scenario(const std::string& name, const std::string& steps) const {
        const auto p = tmp / (name + ".yaml");
        std::ofstream(p) << "id: " << name << "\ntitle: daemon test " << name << "\nversion: \"1\"\nspec: "
                         << (source_dir() / "scenarios" / "specs" / "novapen-x2.yaml").string() << "\nfixture: "
                         << fixture.string() << "\nsteps:\n"
                         << steps;
        return p;
    }
    /// A scenario that holds the pen running for `hold`.
    std::filesystem::path hold_scenario(const std::string& name, const std::string& hold) const {
        // A run that measures nothing is ERROR: the hold is measured (the loop's timing).
        return scenario(name, "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n  - hold: " + hold +
                                  "\n  - measure: {what: loop_timing, window: previous}\n  - power: off\n");
    }

    /// A depth judged on a face reference, then an encoder zero error before
    /// the closing reference: the depth is provisional when judged (a value
    /// in tolerance) and ERROR once the closing reference finds the face
    /// moved (rig/daemon/README.md "Provisional outcomes"). On the lockstep
    /// sim (a wall-clock run on a loaded machine has gaps, and its depth is
    /// ERROR before any reference is closed); the leading hold gives a
    /// watcher time to attach.
    std::filesystem::path revoked_depth_scenario(const std::string& name) const {
        return scenario(name,
                        "  - hold: 2 s\n  - reference: touch_off\n  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n"
                        "  - wait_until: {condition: rate_stable, timeout: 2 s}\n"
                        "  - measure: {what: protrusion_depth, id: depth, window: 300 ms}\n"
                        "  - fault: {encoder_zero_error: 80 um}\n  - power: off\n"
                        "  - wait_until: {condition: stopped, timeout: 3 s}\n  - set_depth: 0 mm\n"
                        "  - reference: touch_off\n");
    }

    /// As `rig submit` does: the file's text and the spec it includes.
    static json submission(const std::filesystem::path& scenario_path) {
        const std::string text = slurp(scenario_path);
        json includes = json::object();
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("spec:", 0) != 0) continue;
            std::string name = line.substr(5);
            name.erase(0, name.find_first_not_of(" \t\""));
            name.erase(name.find_last_not_of(" \t\r\"") + 1);
            const std::filesystem::path q(name);
            includes[name] = slurp(q.is_absolute() ? q : scenario_path.parent_path() / q);
        }
        return {{"op", "submit"}, {"scenario_text", text}, {"name", scenario_path.string()},
                {"base_dir", scenario_path.parent_path().string()}, {"includes", includes}};
    }
    json submit(Wire& w, const std::filesystem::path& scenario_path, json extra = json::object()) const {
        json req = submission(scenario_path);
        req.update(extra);
        return w.call(req);
    }

    json status(const std::string& run_id) const {
        Wire w(socket);
        return w.call({{"op", "status"}, {"run_id", run_id}});
    }
    /// Polls until the run reaches `state`; returns the run's status entry.
    json wait_state(const std::string& run_id, const std::string& state_name, std::chrono::milliseconds timeout = 60s) const {
        const auto until = std::chrono::steady_clock::now() + timeout;
        json last;
        while (std::chrono::steady_clock::now() < until) {
            last = status(run_id);
            if (last.value("ok", false) && last["run"].value("state", "") == state_name) return last["run"];
            std::this_thread::sleep_for(20ms);
        }
        throw std::runtime_error("run " + run_id + " did not reach " + state_name + "; last: " + last.dump());
    }
    /// Waits until the run's acquisition loop is producing samples (progress seen).
    json wait_running(const std::string& run_id) const {
        const auto until = std::chrono::steady_clock::now() + 60s;
        while (std::chrono::steady_clock::now() < until) {
            const auto s = status(run_id);
            if (s["run"].value("state", "") == "running" && s["run"]["progress"].value("t_s", 0.0) > 0.0) return s["run"];
            std::this_thread::sleep_for(20ms);
        }
        throw std::runtime_error("run " + run_id + " never made progress");
    }

    [[nodiscard]] json state_file() const { return json::parse(slurp(state / "daemon-state.json")); }
    [[nodiscard]] json record(const std::string& run_id) const {
        return json::parse(slurp(state / "runs" / run_id / "record.json"));
    }
};

/// Reads events of watch `id` until its verdict.
inline std::vector<json> events_until_verdict(Wire& w, const json& id, std::chrono::milliseconds timeout = 60s) {
    std::vector<json> out;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        auto m = w.read(std::max(std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()), 1ms));
        if (!m) break;
        if ((*m)["id"] != id || !m->contains("event")) continue;
        out.push_back(*m);
        if ((*m)["event"] == "verdict") break;
    }
    return out;
}

/// Runs the `rig` CLI to completion (bounded).
inline Exit run_rig(const std::vector<std::string>& args, const std::filesystem::path& log_prefix,
                    std::string* out = nullptr, std::string* err = nullptr) {
    std::vector<std::string> a = {PENRIG_RIG_EXE};
    a.insert(a.end(), args.begin(), args.end());
    Proc p(a, log_prefix);
    auto ex = p.wait(120s);
    if (out) *out = p.out();
    if (err) *err = p.err();
    if (!ex) throw std::runtime_error("rig did not finish in time");
    return *ex;
}

}  // namespace rig::test
