// Acquisition-loop wake-up latency at 5 kHz on this machine, next to
// cyclictest (rt-tests) at the same interval and priority, and the heap
// allocations made while the loop runs (target: 0 after start).
//
// usage: bench_rt_latency [seconds=10] [priority=80] [cpu=last]
//
// The loop is the acquisition thread's skeleton: apply_realtime (SCHED_FIFO,
// pinned, mlockall, prefaulted stack), clock_nanosleep(TIMER_ABSTIME) on
// CLOCK_MONOTONIC, lateness into a fixed-size histogram. Figures are printed,
// never judged: wall-clock numbers depend on the machine and its load.
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "rig/hw/realtime.hpp"

namespace {
std::atomic<long> g_allocations{0};
}

// Counting allocator for this program: every operator new goes through here.
void* operator new(std::size_t n) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

constexpr long period_ns = 200'000;  // 5 kHz

long long now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

struct LoopResult {
    rig::hw::LatencyHistogram hist;
    rig::hw::RealtimeReport rt;
    long allocations = 0;
    long overruns = 0;  // woke later than one whole period
};

void run_loop(LoopResult& r, long loops, int priority, unsigned cpu) {
    rig::hw::RealtimeOptions o;
    o.priority = priority;
    o.cpu = cpu;
#if defined(__SANITIZE_ADDRESS__)
    o.lock_memory = false;  // ASan's shadow memory cannot be locked
#else
    o.lock_memory = true;
#endif
    o.prefault_stack_kib = 256;
    r.rt = rig::hw::apply_realtime(o);
    const long before = g_allocations.load();
    long long next = now_ns() + period_ns;
    for (long i = 0; i < loops; ++i) {
        timespec ts{static_cast<time_t>(next / 1'000'000'000LL), static_cast<long>(next % 1'000'000'000LL)};
        while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
        }
        const long long late = now_ns() - next;
        r.hist.record(std::chrono::nanoseconds(late));
        if (late > period_ns) ++r.overruns;
        next += period_ns;
        if (now_ns() > next) {  // fell behind: skip to the next future tick, as the loop would
            next += ((now_ns() - next) / period_ns + 1) * period_ns;
        }
    }
    r.allocations = g_allocations.load() - before;
}

// Runs cyclictest with -h and returns {p99_us, max_us, p50_us} from its histogram.
struct CtResult {
    double p50_us = -1, p99_us = -1, max_us = -1;
    std::string error;
};
CtResult run_cyclictest(long loops, int priority, unsigned cpu) {
    CtResult c;
    if (::access("/usr/bin/cyclictest", X_OK) != 0 && ::access("/usr/sbin/cyclictest", X_OK) != 0) {
        c.error = "cyclictest not installed (apt-get install rt-tests)";
        return c;
    }
    const std::string cmd = "cyclictest -q -m -t1 -p" + std::to_string(priority) + " -a" + std::to_string(cpu) +
                            " -i200 -l" + std::to_string(loops) + " -h2000 2>&1";
    FILE* f = ::popen(cmd.c_str(), "r");
    if (f == nullptr) {
        c.error = "popen failed";
        return c;
    }
    std::vector<unsigned long long> bins;
    unsigned long long total = 0, overflow = 0;
    char line[512];
    while (std::fgets(line, sizeof line, f) != nullptr) {
        unsigned long long us = 0, n = 0;
        if (line[0] != '#' && std::sscanf(line, "%llu %llu", &us, &n) == 2) {
            if (bins.size() <= us) bins.resize(us + 1);
            bins[us] += n;
            total += n;
        } else if (std::sscanf(line, "# Max Latencies: %llu", &us) == 1) {
            c.max_us = static_cast<double>(us);
        } else if (std::sscanf(line, "# Histogram Overflows: %llu", &n) == 1) {
            overflow = n;
        }
    }
    const int st = ::pclose(f);
    if (total == 0) {
        c.error = "cyclictest produced no histogram (exit status " + std::to_string(WEXITSTATUS(st)) + ")";
        return c;
    }
    total += overflow;
    auto pct = [&](double p) {
        const auto rank = static_cast<unsigned long long>(p / 100.0 * static_cast<double>(total) + 0.999999);
        unsigned long long seen = 0;
        for (std::size_t us = 0; us < bins.size(); ++us) {
            seen += bins[us];
            if (seen >= rank) return static_cast<double>(us + 1);  // upper edge, like the loop's histogram
        }
        return c.max_us;
    };
    c.p50_us = pct(50);
    c.p99_us = pct(99);
    return c;
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
    const int priority = argc > 2 ? std::atoi(argv[2]) : 80;
    const unsigned ncpu = std::thread::hardware_concurrency();
    const unsigned cpu = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : (ncpu > 0 ? ncpu - 1 : 0);
    const long loops = static_cast<long>(seconds * 1e9 / period_ns);

    std::printf("acquisition-style loop: %ld wake-ups at 5 kHz (%.1f s), SCHED_FIFO %d, CPU %u\n", loops, seconds,
                priority, cpu);
    LoopResult r;
    std::thread t([&] { run_loop(r, loops, priority, cpu); });
    t.join();
    for (const auto& a : r.rt.applied) std::printf("  applied: %s\n", a.c_str());
    for (const auto& f : r.rt.failed) std::printf("  NOT applied: %s\n", f.c_str());
    auto us = [](std::chrono::nanoseconds ns) { return static_cast<double>(ns.count()) / 1000.0; };
    const double p50 = us(r.hist.percentile(50));
    const double p99 = us(r.hist.percentile(99));
    std::printf("  wake-up latency: p50 %.0f us, p99 %.0f us, max %.1f us, mean %.1f us, overruns %ld\n", p50, p99,
                us(r.hist.max()), us(r.hist.mean()), r.overruns);
    std::printf("  heap allocations during the loop: %ld\n", r.allocations);

    const auto c = run_cyclictest(loops, priority, cpu);
    if (!c.error.empty()) {
        std::printf("cyclictest: %s\n", c.error.c_str());
        return 0;
    }
    std::printf("cyclictest -p%d -i200 -l%ld -a%u: p50 %.0f us, p99 %.0f us, max %.0f us\n", priority, loops, cpu, c.p50_us,
                c.p99_us, c.max_us);
    std::printf("ratio of p99s (loop / cyclictest): %.2f  (DESIGN target <= 1.5)\n", p99 / c.p99_us);
    return 0;
}
