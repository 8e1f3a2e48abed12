// Daemon memory over a rig's life (DESIGN §5: flat over 10 000 runs): starts
// the real `rig serve` on the simulated fixture (lockstep), submits short runs
// over its socket in batches (each 0.3 s simulated: power on, hold, the loop's
// timing measured) and prints the daemon's VmRSS after 0, 100, 1 000, 5 000
// and 10 000 runs. The run folders of finished batches are removed as it goes
// (disk, not the daemon's memory, would otherwise be the limit); the daemon's
// own state (its state file keeps the last 200 finished runs) is untouched.
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
    std::printf("bench_daemon_runs: %s, %ld runs of 0.3 s simulated (lockstep sim)\n", g_rig.c_str(), total);

    Rig rig;
    rig.extra_args = {"--max-queue", "64", "--max-queue-per-user", "64"};
    rig.start();
    const pid_t pid = rig.daemon->pid();
    const auto scenario = rig.scenario("SHORT", "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n"
                                                "  - hold: 300 ms\n  - measure: {what: loop_timing, window: previous}\n"
                                                "  - power: off\n");
    const std::vector<long> marks = {0, 100, 1000, 5000, 10000};
    std::printf("%8s %12s %12s %10s\n", "runs", "VmRSS MiB", "VmHWM MiB", "wall s");
    const auto t0 = std::chrono::steady_clock::now();
    auto print = [&](long n) {
        std::this_thread::sleep_for(200ms);  // let the last run's clean-up settle
        std::printf("%8ld %12.1f %12.1f %10.0f\n", n, vm_status_mib(pid, "VmRSS"), vm_status_mib(pid, "VmHWM"),
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        std::fflush(stdout);
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
