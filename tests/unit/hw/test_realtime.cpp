#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "catch.hpp"
#include "fork_child.hpp"
#include "skip.hpp"
#include "rig/hw/realtime.hpp"

using namespace rig;
using namespace std::chrono_literals;
using hw::LatencyHistogram;

TEST_CASE("latency histogram: bins, percentiles, max and mean on known data", "[hw][realtime]") {
    SECTION("bin edges") {
        CHECK(LatencyHistogram::bin_of(0) == 0);
        CHECK(LatencyHistogram::bin_of(63) == 63);
        CHECK(LatencyHistogram::bin_of(64) == 64);
        CHECK(LatencyHistogram::bin_lower_us(64) == 64);
        CHECK(LatencyHistogram::bin_upper_us(64) == 66);
        CHECK(LatencyHistogram::bin_of(127) == 95);
        CHECK(LatencyHistogram::bin_of(128) == 96);
        CHECK(LatencyHistogram::bin_lower_us(96) == 128);
        // Every value lies inside its bin, and bins are at most ~3 % wide.
        for (std::uint64_t us : {0ull, 1ull, 63ull, 64ull, 65ull, 100ull, 999ull, 1000ull, 123456ull, 1ull << 30}) {
            const auto b = LatencyHistogram::bin_of(us);
            CHECK(LatencyHistogram::bin_lower_us(b) <= us);
            CHECK(us < LatencyHistogram::bin_upper_us(b));
            if (us >= 64) {
                CHECK(static_cast<double>(LatencyHistogram::bin_upper_us(b) - LatencyHistogram::bin_lower_us(b)) <=
                      static_cast<double>(us) / 31.0);
            }
        }
    }
    SECTION("percentiles of 1..1000 us") {
        LatencyHistogram h;
        for (int i = 1; i <= 1000; ++i) h.record(std::chrono::microseconds(i));
        CHECK(h.count() == 1000);
        CHECK(h.max() == 1000us);
        CHECK(h.mean() == 500500ns);
        // Upper bin edges: never below the true value, within one bin width above.
        const auto p50 = h.percentile(50);
        CHECK(p50 >= 500us);
        CHECK(p50 <= 516us);
        const auto p99 = h.percentile(99);
        CHECK(p99 >= 990us);
        CHECK(p99 <= 1000us);  // capped by the exact max
        CHECK(h.percentile(100) == 1000us);
        CHECK(h.count_at_least(1000us) >= 1);
        CHECK(h.count_at_least(1000us) <= 32);
        CHECK(h.count_at_least(0us) == 1000);
    }
    SECTION("empty, negative, merge, reset") {
        LatencyHistogram h;
        CHECK(h.percentile(99) == 0ns);
        h.record(-5us);  // an early wake-up counts as on time
        CHECK(h.bin(0) == 1);
        LatencyHistogram g;
        g.record(70us);
        h.merge(g);
        CHECK(h.count() == 2);
        CHECK(h.max() == 70us);
        h.reset();
        CHECK(h.count() == 0);
        CHECK(h.max() == 0ns);
    }
}

TEST_CASE("apply_realtime: pinning and stack prefault on the calling thread", "[hw][realtime]") {
    hw::RealtimeReport r;
    int cpu_after = -1;
    std::thread t([&] {
        hw::RealtimeOptions o;
        o.cpu = 0;
        o.prefault_stack_kib = 64;
        r = hw::apply_realtime(o);
        cpu_after = ::sched_getcpu();
    });
    t.join();
    CHECK(r.pinned);
    CHECK(cpu_after == 0);
    CHECK(r.prefaulted_kib == 64);
    CHECK(r.complete());
    SECTION("a CPU that does not exist is reported, not thrown") {
        hw::RealtimeReport bad;
        std::thread t2([&] {
            hw::RealtimeOptions o;
            o.cpu = 1000;
            bad = hw::apply_realtime(o);
        });
        t2.join();
        CHECK_FALSE(bad.pinned);
        REQUIRE(bad.failed.size() == 1);
        CHECK_THAT(bad.failed[0], Catch::Contains("CPU 1000"));
    }
}

TEST_CASE("apply_realtime: SCHED_FIFO applied when permitted", "[hw][realtime]") {
    hw::RealtimeReport r;
    int policy = -1;
    sched_param sp{};
    std::thread t([&] {
        hw::RealtimeOptions o;
        o.priority = 10;
        r = hw::apply_realtime(o);
        ::pthread_getschedparam(::pthread_self(), &policy, &sp);
    });
    t.join();
    if (!r.fifo) {
        // Containers without CAP_SYS_NICE refuse even root: then the fallback
        // must be what was reported.
        REQUIRE(r.failed.size() == 1);
        CHECK_THAT(r.failed[0], Catch::Contains("not permitted (EPERM)"));
        CHECK(policy == SCHED_OTHER);
        PENRIG_SKIP("SCHED_FIFO not permitted here (the fallback report was checked; SCHED_FIFO itself was not)");
    }
    CHECK(policy == SCHED_FIFO);
    CHECK(sp.sched_priority == 10);
    CHECK(r.applied == std::vector<std::string>{"SCHED_FIFO priority 10"});
}

TEST_CASE("apply_realtime without privileges reports the fallback and carries on", "[hw][realtime]") {
    // Under AddressSanitizer mlockall() with a 64 KiB limit was seen to
    // succeed (its shadow mappings are not counted against the limit the way
    // ordinary memory is), so the memlock fallback is checked in plain builds.
#if defined(__SANITIZE_ADDRESS__)
    constexpr bool asan = true;
#else
    constexpr bool asan = false;
#endif
    if (::geteuid() != 0) {
        WARN("not root: cannot drop privileges to test; the unprivileged path runs as is");
    }
    // A child drops to an unprivileged user, asks for SCHED_FIFO and memory
    // locking with a 64 KiB memlock limit, and reports through its exit status.
    const auto child = rig::test::in_child([&](std::string& msg) {
        if (::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) return 10;
        rlimit rl{0, 0};
        ::setrlimit(RLIMIT_RTPRIO, &rl);
        rl = {64 * 1024, 64 * 1024};
        ::setrlimit(RLIMIT_MEMLOCK, &rl);
        hw::RealtimeOptions o;
        o.priority = 50;
        o.lock_memory = true;
        const auto r = hw::apply_realtime(o);
        int policy = -1;
        sched_param sp{};
        ::pthread_getschedparam(::pthread_self(), &policy, &sp);
        for (const auto& f : r.failed) msg += f + "\n";
        return !r.fifo && policy == SCHED_OTHER && (!r.memory_locked || asan) ? 0 : 1;
    });
    const std::string& text = child.out;
    const int status = child.status;
    INFO(text);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK_THAT(text, Catch::Contains("SCHED_FIFO priority 50 not permitted (EPERM)") && Catch::Contains("rtprio"));
    if (!asan) CHECK_THAT(text, Catch::Contains("mlockall failed") && Catch::Contains("RLIMIT_MEMLOCK"));
}

namespace {
/// VmLck of this process, KiB.
[[maybe_unused]] long vm_lck_kib() {
    FILE* f = std::fopen("/proc/self/status", "r");
    if (f == nullptr) return -1;
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, f) != nullptr) {
        if (std::sscanf(line, "VmLck: %ld kB", &kib) == 1) break;
    }
    std::fclose(f);
    return kib;
}
}  // namespace

TEST_CASE("apply_realtime locks what is mapped before the loop, not the process's later allocations",
          "[hw][realtime][memory]") {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    PENRIG_SKIP("the sanitizers' shadow mappings make VmLck meaningless here");
#else
    // In a child, so that the lock does not outlive the test: lock, then
    // allocate and touch 64 MiB (as a long run's recorder or a daemon would).
    // With MCL_FUTURE that memory would be locked too.
    const auto child = rig::test::in_child([](std::string& out) {
        hw::RealtimeOptions o;
        o.lock_memory = true;
        o.prefault_stack_kib = 256;
        const auto r = hw::apply_realtime(o);
        long v[3] = {r.memory_locked ? 1L : 0L, vm_lck_kib(), 0};
        constexpr std::size_t n = 64u << 20;
        auto* volatile p = static_cast<char*>(std::malloc(n));
        for (std::size_t i = 0; i < n; i += 4096) p[i] = 1;
        v[2] = vm_lck_kib();
        std::free(p);
        out.assign(reinterpret_cast<const char*>(v), sizeof v);
        return 0;
    });
    long v[3] = {0, 0, 0};
    REQUIRE(child.out.size() == sizeof v);
    std::memcpy(v, child.out.data(), sizeof v);
    if (v[0] == 0) PENRIG_SKIP("mlockall not permitted here (RLIMIT_MEMLOCK / CAP_IPC_LOCK)");
    INFO("VmLck after locking " << v[1] << " KiB, after a 64 MiB allocation " << v[2] << " KiB");
    CHECK(v[1] >= 256);               // the prefaulted stack (and code) is locked
    CHECK(v[2] - v[1] < 4 * 1024);    // the 64 MiB allocated afterwards is not
#endif
}
