// Daemon memory over a rig's life (DESIGN §5: flat over 10 000 runs): starts
// the real `rig serve` on the simulated fixture (lockstep), submits short runs
// over its socket in batches of 50 (each 0.1 s simulated: power on, hold, the
// loop's timing measured) and prints the daemon's VmRSS, its live heap and the
// allocator's free bytes (health's "memory") after 0, 100, 1 000 and every
// further 1 000 runs up to the total, each with the RSS slope per 1 000 runs
// since the previous line; last, the slope from 1 000 runs to the end. The
// run folders of finished batches are removed as it goes (disk, not the
// daemon's memory, would otherwise be the limit); the daemon's own state (its
// state file keeps the last 200 finished runs) is untouched.
// Prints figures; never pass/fail.
// Usage: bench_daemon_runs [runs (default 10000)] [path/to/rig]
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "daemon_bench.hpp"

using namespace rig::test;

namespace {

}  // namespace

int main(int argc, char** argv) {
    const long total = argc > 1 ? std::atol(argv[1]) : 10000;
    choose_rig(argc > 2 ? argv[2] : nullptr);
    std::printf("bench_daemon_runs: %s, %ld runs of 0.1 s simulated (lockstep sim)\n", g_rig.c_str(), total);

    Rig rig;
    rig.extra_args = {"--max-queue", "64", "--max-queue-per-user", "64"};
    rig.start();
    const pid_t pid = rig.daemon->pid();
    const auto scenario = rig.scenario("SHORT", "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n"
                                                "  - hold: 100 ms\n  - measure: {what: loop_timing, window: previous}\n"
                                                "  - power: off\n");
    std::vector<long> marks = {0, 100};
    for (long m = 1000; m < total; m += 1000) marks.push_back(m);
    marks.push_back(total);
    std::printf("%8s %10s %10s %10s %10s %16s %8s\n", "runs", "VmRSS MiB", "VmHWM MiB", "heap MiB", "free MiB",
                "MiB/1000 runs", "wall s");
    const auto t0 = std::chrono::steady_clock::now();
    long prev_n = -1;
    double prev_rss = 0.0, rss_1000 = -1.0;
    auto print = [&](long n) {
        std::this_thread::sleep_for(200ms);  // let the last run's clean-up settle
        const double rss = vm_status_mib(pid, "VmRSS");
        json mem;
        try {
            Wire hw(rig.socket);
            mem = hw.call({{"op", "health"}}).value("memory", json::object());
        } catch (const std::exception&) {
        }
        const double mib = 1024.0 * 1024.0;
        std::printf("%8ld %10.1f %10.1f %10.2f %10.2f ", n, rss, vm_status_mib(pid, "VmHWM"),
                    mem.value("heap_in_use_bytes", 0.0) / mib, mem.value("heap_free_bytes", 0.0) / mib);
        if (prev_n >= 0 && n > prev_n) {
            std::printf("%+16.3f ", (rss - prev_rss) * 1000.0 / static_cast<double>(n - prev_n));
        } else {
            std::printf("%16s ", "-");
        }
        std::printf("%8.0f\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        std::fflush(stdout);
        if (n == 1000) rss_1000 = rss;
        if (n == total && rss_1000 >= 0.0 && total > 1000) {
            std::printf("slope from 1000 to %ld runs: %+.3f MiB per 1000 runs (%+.2f KiB per run)\n", total,
                        (rss - rss_1000) * 1000.0 / static_cast<double>(total - 1000),
                        (rss - rss_1000) * 1024.0 / static_cast<double>(total - 1000));
        }
        prev_n = n;
        prev_rss = rss;
    };
    print(0);
    long done = 0;
    std::size_t next_mark = 1;
    long failed = 0;
    Wire w(rig.socket);
    while (done < total) {
        const long batch = std::min<long>(50, total - done);
        std::string last;
        for (long i = 0; i < batch; ++i) {
            const auto r = rig.submit(w, scenario);
            if (!r.value("ok", false)) {
                std::printf("submission refused: %s\n", r.dump().c_str());
                return 1;
            }
            last = r["run_id"];
        }
        const auto st = rig.wait_state(last, "done", 600s);
        if (st.value("verdict", "") != "PASS") ++failed;
        done += batch;
        std::error_code ec;
        for (const auto& d : std::filesystem::directory_iterator(rig.state / "runs", ec)) {
            std::filesystem::remove_all(d.path(), ec);
        }
        while (next_mark < marks.size() && done >= marks[next_mark]) print(marks[next_mark++]);
    }
    if (failed > 0) std::printf("%ld batches ended with a run that did not PASS\n", failed);
    return 0;
}
