// Daemon footprint and responsiveness: starts the real `rig serve`.
//  1. idle: resident memory (VmRSS) and CPU (utime+stime) over 10 s;
//     targets <= 16 MiB and ~0 % (no busy polling);
//  2. `status` request latency over the socket (p50, p99, max) while a run is
//     in progress (the simulated fixture at wall-clock pace).
// Prints figures; never pass/fail. Usage: bench_daemon [path/to/rig]
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "daemon_bench.hpp"

using namespace rig::test;

int main(int argc, char** argv) {
    choose_rig(argc > 1 ? argv[1] : nullptr);
    std::printf("bench_daemon: %s\n", g_rig.c_str());

    {
        Rig rig;
        rig.start();
        std::this_thread::sleep_for(1s);  // settle after start-up
        const pid_t pid = rig.daemon->pid();
        const double rss0 = vm_status_mib(pid, "VmRSS");
        const double cpu0 = cpu_seconds(pid);
        const auto t0 = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(10s);
        const double cpu1 = cpu_seconds(pid);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double rss1 = vm_status_mib(pid, "VmRSS");
        std::printf("idle daemon: VmRSS %.1f MiB at start, %.1f MiB after 10 s (target <= 16 MiB)\n", rss0, rss1);
        std::printf("idle daemon: CPU %.3f s over %.1f s = %.3f %% of one core (target ~0 %%)\n", cpu1 - cpu0, wall,
                    100.0 * (cpu1 - cpu0) / wall);

        // After a run: what a daemon keeps between runs.
        Wire w(rig.socket);
        const std::string id = rig.submit(w, source_dir() / "scenarios" / "smoke.yaml")["run_id"];
        rig.wait_state(id, "done");
        std::this_thread::sleep_for(500ms);
        std::printf("after one smoke run: VmRSS %.1f MiB\n", vm_status_mib(pid, "VmRSS"));
    }

    {
        Rig rig;
        rig.start(true);
        Wire w(rig.socket);
        const std::string id = rig.submit(w, rig.hold_scenario("BENCH", "30 s"))["run_id"];
        rig.wait_running(id);
        std::vector<double> us;
        const int n = 2000;
        us.reserve(n);
        for (int i = 0; i < n; ++i) {
            const auto a = std::chrono::steady_clock::now();
            const auto r = w.call({{"op", "status"}, {"run_id", id}});
            const auto b = std::chrono::steady_clock::now();
            if (!r.value("ok", false) || r["run"]["state"] != "running") {
                std::printf("run left the running state after %d requests\n", i);
                break;
            }
            us.push_back(std::chrono::duration<double, std::micro>(b - a).count());
        }
        std::sort(us.begin(), us.end());
        auto pct = [&](double p) { return us.empty() ? 0.0 : us[static_cast<std::size_t>(p * static_cast<double>(us.size() - 1))]; };
        std::printf("status latency during a run (%zu requests, one connection): p50 %.0f us, p99 %.0f us, max %.0f us\n",
                    us.size(), pct(0.50), pct(0.99), us.empty() ? 0.0 : us.back());
        std::printf("daemon during the run: VmRSS %.1f MiB\n", vm_status_mib(rig.daemon->pid(), "VmRSS"));
        w.call({{"op", "abort"}, {"run_id", id}});
        rig.wait_state(id, "done", 20s);
    }
    return 0;
}
