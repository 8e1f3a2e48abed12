// The dashboard's cost to the rig: the same wall-clock run on the real
// `rig serve`, with the dashboard off and then on with 10 live-event streams
// connected (as 10 open browsers) and /metrics scraped every second:
//  - acquisition loop lateness (p50, p99, max, missed samples) from the run's record;
//  - `status` latency over the Unix socket during the run (p50, p99, max);
//  - the daemon's CPU time over the run (all its threads: loop, recorder, I/O, HTTP).
// Prints figures and the on/off ratios; never pass/fail.
// Usage: bench_dashboard [path/to/rig] [rounds]
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <regex>

#include "daemon_bench.hpp"

using namespace rig::test;

namespace {

/// A client that reads everything the server sends until stopped.
void drain(int fd, const std::atomic<bool>& stop, std::atomic<std::size_t>& bytes) {
    char b[16384];
    while (!stop.load()) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        const ssize_t n = ::recv(fd, b, sizeof b, 0);
        if (n <= 0) break;
        bytes += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

struct Figures {
    double status_p50 = 0, status_p99 = 0, status_max = 0;
    double late_p50 = 0, late_p99 = 0, late_max = 0;
    std::uint64_t missed = 0, samples = 0;
    std::size_t requests = 0, sse_bytes = 0;
    double daemon_cpu_s = 0;  // the daemon's CPU time over the run (every thread)
};

Figures round(bool dashboard) {
    Rig rig;
    if (dashboard) rig.extra_args = {"--http", "127.0.0.1:0"};
    rig.start(true);
    std::uint16_t port = 0;
    if (dashboard) {
        const std::regex re(R"(dashboard on http://[^:]+:(\d+)/)");
        for (int i = 0; i < 200 && port == 0; ++i) {
            std::smatch m;
            const auto err = rig.daemon->err();
            if (std::regex_search(err, m, re)) port = static_cast<std::uint16_t>(std::stoul(m[1]));
            std::this_thread::sleep_for(10ms);
        }
    }
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> bytes{0};
    std::vector<std::thread> clients;
    if (dashboard) {
        for (int i = 0; i < 10; ++i) {
            const int fd = connect_tcp(port);
            const std::string req = "GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
            (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
            clients.emplace_back(drain, fd, std::cref(stop), std::ref(bytes));
        }
        // A Prometheus server scraping every second.
        clients.emplace_back([&stop, &bytes, port] {
            while (!stop.load()) {
                const int fd = connect_tcp(port);
                const std::string req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
                (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
                std::atomic<bool> once{false};
                drain(fd, once, bytes);
                for (int i = 0; i < 10 && !stop.load(); ++i) std::this_thread::sleep_for(100ms);
            }
        });
    }
    Wire w(rig.socket);
    const double cpu0 = cpu_seconds(rig.daemon->pid());
    const std::string id = rig.submit(w, rig.hold_scenario(dashboard ? "BENCH-ON" : "BENCH-OFF", "8 s"))["run_id"];
    rig.wait_running(id);
    std::vector<double> us;
    for (int i = 0; i < 3000; ++i) {
        const auto a = std::chrono::steady_clock::now();
        const auto r = w.call({{"op", "status"}, {"run_id", id}});
        const auto b = std::chrono::steady_clock::now();
        if (!r.value("ok", false) || r["run"]["state"] != "running") break;
        us.push_back(std::chrono::duration<double, std::micro>(b - a).count());
        std::this_thread::sleep_for(1ms);  // a busy client, not a flood
    }
    rig.wait_state(id, "done", 60s);
    const double cpu1 = cpu_seconds(rig.daemon->pid());
    stop = true;
    for (auto& t : clients) t.join();
    Figures f;
    std::sort(us.begin(), us.end());
    auto pct = [&](double p) { return us.empty() ? 0.0 : us[static_cast<std::size_t>(p * static_cast<double>(us.size() - 1))]; };
    f.status_p50 = pct(0.5);
    f.status_p99 = pct(0.99);
    f.status_max = us.empty() ? 0.0 : us.back();
    f.requests = us.size();
    const auto t = rig.record(id)["timing"];
    f.late_p50 = t["lateness_us"].value("p50", 0.0);
    f.late_p99 = t["lateness_us"].value("p99", 0.0);
    f.late_max = t["lateness_us"].value("max", 0.0);
    f.missed = t.value("missed_samples", std::uint64_t{0});
    f.samples = t.value("samples", std::uint64_t{0});
    f.sse_bytes = bytes.load();
    f.daemon_cpu_s = cpu1 - cpu0;
    return f;
}

void print(const char* what, const Figures& f) {
    std::printf("%-34s status p50 %5.0f us  p99 %6.0f us  max %7.0f us (%zu requests) | loop lateness p50 %6.1f us  p99 %7.1f us  "
                "max %8.1f us  missed %llu of %llu | daemon CPU %.2f s%s\n",
                what, f.status_p50, f.status_p99, f.status_max, f.requests, f.late_p50, f.late_p99, f.late_max,
                static_cast<unsigned long long>(f.missed), static_cast<unsigned long long>(f.samples), f.daemon_cpu_s,
                f.sse_bytes ? (" | " + std::to_string(f.sse_bytes / 1024) + " KiB pushed").c_str() : "");
}

}  // namespace

int main(int argc, char** argv) {
    choose_rig(argc > 1 ? argv[1] : nullptr);
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 2;
    std::printf("bench_dashboard: %s, %d round(s) of an 8 s wall-clock run, off then on\n", g_rig.c_str(), rounds);
    std::vector<Figures> off, on;
    for (int r = 0; r < rounds; ++r) {
        off.push_back(round(false));
        print("dashboard off:", off.back());
        on.push_back(round(true));
        print("dashboard on, 10 streams + scrape:", on.back());
    }
    auto med = [](std::vector<Figures> v, double Figures::*m) {
        std::sort(v.begin(), v.end(), [m](const Figures& a, const Figures& b) { return a.*m < b.*m; });
        return v[v.size() / 2].*m;
    };
    std::printf("ratio on/off (median of rounds): status p50 %.2f, status p99 %.2f, loop lateness p99 %.2f, max %.2f, "
                "daemon CPU %.2f\n",
                med(on, &Figures::status_p50) / med(off, &Figures::status_p50),
                med(on, &Figures::status_p99) / med(off, &Figures::status_p99),
                med(on, &Figures::late_p99) / med(off, &Figures::late_p99), med(on, &Figures::late_max) / med(off, &Figures::late_max),
                med(on, &Figures::daemon_cpu_s) / med(off, &Figures::daemon_cpu_s));
    return 0;
}
