// Long runs in bounded memory (DESIGN §5):
//  1. peak RSS (VmHWM) of a simulated run at 10 kHz of 10, 60, 600 and 3600 s
//     simulated (a soak-like scenario: a 5 s rate/depth/force/timing window
//     every minute), each in its own process, with its wall and CPU time;
//     target: flat in length, <= 64 MiB;
//  2. `rig analyze` (rig::reanalyze) of those run folders: wall and CPU time,
//     samples per CPU second, peak RSS and the most samples held, each in its
//     own process; target: flat in length;
//  3. the same measurements by a straightforward numpy/scipy re-analysis of
//     the same samples.bin (tests/bench/scipy_reanalysis.py with Debian's
//     /usr/bin/python3), loading included, and the speed ratio (CPU time: the
//     machine may be shared; wall beside it); SKIPPED when python3-scipy is
//     missing (scripts/install-deps.sh --test).
// Prints figures; never pass/fail on time.
//
// Usage: bench_longrun [max_seconds (default 3600)]
//        bench_longrun --run SECONDS DIR      (child: one run, prints one line)
//        bench_longrun --analyze RUN_DIR      (child: one re-analysis, prints one line)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "rig/runner/runner.hpp"
#include "rig/sim/sim_fixture.hpp"
#include "temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;

/// Debian's python3 (python3-numpy, python3-scipy), not whatever python3 is first on PATH.
constexpr const char* kPython = "/usr/bin/python3";

/// CPU time (user + system, all threads) of this process so far, s.
double cpu_s() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

/// Peak resident set of this process, MiB (VmHWM).
double vm_hwm_mib() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
    }
    return -1.0;
}

/// A soak-like scenario of about `seconds` simulated: level 3, a 5 s window
/// of rate, depth, force and loop timing every minute (every 8 s for 10 s).
std::string scenario_text(int seconds) {
    const int period = std::min(seconds - 2, 60);
    const int count = std::max(1, (seconds - 2) / period);
    std::ostringstream o;
    o << "id: LONG-" << seconds << "\ntitle: long run\nversion: \"1\"\nspec: "
      << (rig::test::source_dir() / "scenarios" / "specs" / "novapen-x2.yaml").string()
      << "\nfixture: " << (rig::test::source_dir() / "fixtures" / "sim.yaml").string() << "\nseed: 11\nsteps:\n"
      << "  - set_depth: 1.0 mm\n  - set_level: 3\n  - power: on\n  - hold: 2 s\n"
      << "  - repeat:\n      count: " << count << "\n      steps:\n        - hold: " << period - 5 << " s\n"
      << "        - measure: {what: puncture_rate, id: rate, window: 5 s}\n"
      << "        - measure: {what: protrusion_depth, id: depth, window: previous}\n"
      << "        - measure: {what: strike_force, id: force, window: previous}\n"
      << "        - measure: {what: loop_timing, id: timing, window: previous}\n"
      << "  - power: off\n";
    return o.str();
}

int child_run(int seconds, const std::filesystem::path& dir) {
    using namespace rig;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "long.yaml") << scenario_text(seconds);
    Diagnostics d;
    auto sc = load_scenario(dir / "long.yaml", d);
    if (!sc) {
        d.print(std::cerr);
        return 2;
    }
    auto fx = make_sim_fixture(sc->fixture, sc->seed);
    std::atomic<bool> abort{false};
    RunOptions o;
    o.out_dir = dir / "run";
    o.seed = sc->seed;
    Runner r(*sc, *fx, o, abort);
    const auto t0 = Clock::now();
    const double c0 = cpu_s();
    const auto res = r.run();
    const double cpu = cpu_s() - c0;
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    // One line for the parent: samples, wall s, CPU s (both threads), peak RSS MiB, verdict.
    std::printf("%llu %.3f %.3f %.1f %s\n", static_cast<unsigned long long>(res.run_record.samples.count), wall, cpu,
                vm_hwm_mib(), to_string(res.verdict));
    return 0;
}

int child_analyze(const std::filesystem::path& run_dir) {
    rig::ReanalysisStats st;
    const auto t0 = Clock::now();
    const double c0 = cpu_s();
    const auto ms = rig::reanalyze(run_dir, &st);
    const double cpu = cpu_s() - c0;
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    // samples, wall s, CPU s, peak RSS MiB, most samples held, measurements
    std::printf("%llu %.3f %.3f %.1f %zu %zu\n", static_cast<unsigned long long>(st.samples), wall, cpu, vm_hwm_mib(),
                st.peak_retained_samples, ms.size());
    return 0;
}

/// Runs a command, returns the last line of its standard output (its log
/// lines come first); empty on failure.
std::string last_line_of(const std::string& cmd) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    if (::pclose(p) != 0) return {};
    const auto end = out.find_last_not_of('\n');
    if (end == std::string::npos) return {};
    const auto nl = out.rfind('\n', end);
    const std::size_t begin = nl == std::string::npos ? 0 : nl + 1;
    return out.substr(begin, end + 1 - begin);
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

struct Best {
    double wall = 1e99, cpu = 1e99;
    [[nodiscard]] bool ok() const { return cpu < 1e98; }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc == 4 && std::string(argv[1]) == "--run") return child_run(std::atoi(argv[2]), argv[3]);
    if (argc == 3 && std::string(argv[1]) == "--analyze") return child_analyze(argv[2]);
    const int max_s = argc > 1 ? std::atoi(argv[1]) : 3600;

    rig::test::TempDir tmp;
    struct RunDir {
        int seconds;
        std::filesystem::path dir;
        unsigned long long samples;
        Best analyze;
    };
    std::vector<RunDir> runs;
    std::printf("bench_longrun: sim runs at 10 kHz, each in its own process (target: peak RSS flat, <= 64 MiB)\n");
    std::printf("%10s %12s %10s %10s %14s %14s  %s\n", "simulated", "samples", "wall s", "CPU s", "sim s/CPU s",
                "peak RSS MiB", "verdict");
    for (int s : {10, 60, 600, 3600}) {
        if (s > max_s) continue;
        const auto dir = tmp.path() / std::to_string(s);
        const auto line = last_line_of(quoted(self_exe()) + " --run " + std::to_string(s) + " " + quoted(dir.string()));
        unsigned long long n = 0;
        double wall = 0, cpu = 0, rss = 0;
        char verdict[16] = {};
        if (std::sscanf(line.c_str(), "%llu %lf %lf %lf %15s", &n, &wall, &cpu, &rss, verdict) != 5) {
            std::printf("%8d s  run failed\n", s);
            continue;
        }
        std::printf("%8d s %12llu %10.2f %10.2f %14.0f %14.1f  %s\n", s, n, wall, cpu, static_cast<double>(n) / 1e4 / cpu,
                    rss, verdict);
        std::fflush(stdout);
        runs.push_back({s, dir / "run", n, {}});
    }

    std::printf("\nrig analyze (samples.bin streamed; record and scenario parsing included), each in its own "
                "process, best of 3\n");
    std::printf("%10s %12s %10s %10s %16s %14s %16s\n", "simulated", "samples", "wall s", "CPU s", "M samples/CPU s",
                "peak RSS MiB", "held (samples)");
    for (auto& r : runs) {
        double rss = 0;
        std::size_t held = 0;
        for (int rep = 0; rep < 3; ++rep) {
            const auto line = last_line_of(quoted(self_exe()) + " --analyze " + quoted(r.dir.string()));
            unsigned long long n = 0;
            double wall = 0, cpu = 0, m = 0;
            std::size_t h = 0, nm = 0;
            if (std::sscanf(line.c_str(), "%llu %lf %lf %lf %zu %zu", &n, &wall, &cpu, &m, &h, &nm) != 6) continue;
            r.analyze.wall = std::min(r.analyze.wall, wall);
            r.analyze.cpu = std::min(r.analyze.cpu, cpu);
            rss = std::max(rss, m);
            held = h;
        }
        if (!r.analyze.ok()) {
            std::printf("%8d s  analyze failed\n", r.seconds);
            continue;
        }
        std::printf("%8d s %12llu %10.3f %10.3f %16.1f %14.1f %16zu\n", r.seconds, r.samples, r.analyze.wall,
                    r.analyze.cpu, static_cast<double>(r.samples) / r.analyze.cpu / 1e6, rss, held);
        std::fflush(stdout);
    }

    std::printf("\nnumpy/scipy re-analysis of the same samples.bin (the record's windows: rate, depth, force, loop "
                "p99; the whole run's lateness histogram), loading included, best of 3\n");
    if (last_line_of(std::string(kPython) + " -c 'import numpy, scipy.signal' 2>/dev/null && echo ok") != "ok") {
        std::printf("SKIPPED: python3-scipy (or python3-numpy) is not installed (scripts/install-deps.sh --test)\n");
        return 0;
    }
    const auto script = rig::test::source_dir() / "tests" / "bench" / "scipy_reanalysis.py";
    std::printf("%10s %12s %10s %10s %16s %24s %18s\n", "simulated", "samples", "wall s", "CPU s", "M samples/CPU s",
                "rig faster by (CPU, wall)", "max |rate diff| %");
    for (const auto& r : runs) {
        if (r.seconds < 60 || !r.analyze.ok()) continue;  // python's start-up dominates a 10 s run
        Best best;
        double diff = 0;
        std::string note;
        for (int rep = 0; rep < 3; ++rep) {
            const auto line = last_line_of(std::string(kPython) + " " + quoted(script.string()) + " " + quoted(r.dir.string()));
            if (line.rfind("SKIPPED", 0) == 0) {
                note = line;
                break;
            }
            unsigned long long n = 0;
            double wall = 0, cpu = 0, dd = 0;
            if (std::sscanf(line.c_str(), "%llu %lf %lf %lf", &n, &wall, &cpu, &dd) != 4) continue;
            best.wall = std::min(best.wall, wall);
            best.cpu = std::min(best.cpu, cpu);
            diff = dd;
        }
        if (!note.empty()) {
            std::printf("%8d s  %s\n", r.seconds, note.c_str());
            continue;
        }
        if (!best.ok()) {
            std::printf("%8d s  scipy re-analysis failed\n", r.seconds);
            continue;
        }
        std::printf("%8d s %12llu %10.3f %10.3f %16.1f %12.2fx, %8.2fx %18.5f\n", r.seconds, r.samples, best.wall,
                    best.cpu, static_cast<double>(r.samples) / best.cpu / 1e6, best.cpu / r.analyze.cpu,
                    best.wall / r.analyze.wall, diff);
        std::fflush(stdout);
    }
    return 0;
}
