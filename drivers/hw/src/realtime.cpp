#include "rig/hw/realtime.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include <bit>
#include <cerrno>
#include <cstring>

namespace rig::hw {
namespace {

std::string errno_text(int e) {
    const char* name = e == EPERM ? "EPERM" : e == EINVAL ? "EINVAL" : e == ENOMEM ? "ENOMEM" : e == EAGAIN ? "EAGAIN" : nullptr;
    std::string s = name != nullptr ? name : "errno " + std::to_string(e);
    return s + ", " + std::strerror(e);
}

// Touches `kib` KiB of stack in 4 KiB frames. Not inlined and the result used
// after the recursive call, so neither the frames nor the writes are elided.
[[gnu::noinline]] unsigned touch_stack(std::size_t kib) {
    volatile unsigned char page[4096];
    for (std::size_t i = 0; i < sizeof(page); i += 64) page[i] = static_cast<unsigned char>(i);
    if (kib <= 4) return page[0];
    return touch_stack(kib - 4) + page[64];
}

}  // namespace

RealtimeReport apply_realtime(const RealtimeOptions& o) {
    RealtimeReport r;
    // The stack first, so that locking what is mapped now includes it.
    if (o.prefault_stack_kib > 0) {
        (void)touch_stack(o.prefault_stack_kib);
        r.prefaulted_kib = o.prefault_stack_kib;
        r.applied.push_back("prefaulted " + std::to_string(o.prefault_stack_kib) + " KiB of stack");
    }
    if (o.lock_memory) {
        // MCL_CURRENT only: what the loop touches is all mapped before it
        // starts (code, its rings, the fixture's drivers, this stack), and the
        // loop allocates nothing after. MCL_FUTURE would also lock every later
        // allocation of the process (the recorder's buffers, a daemon's
        // requests), which nothing real-time needs and a long run pays for.
        if (::mlockall(MCL_CURRENT) == 0) {
            r.memory_locked = true;
            r.applied.emplace_back("mlockall(MCL_CURRENT)");
        } else {
            const int e = errno;
            r.failed.push_back("mlockall failed (" + errno_text(e) +
                               "): page faults may stall the loop; raise RLIMIT_MEMLOCK (limits.conf memlock) "
                               "or grant CAP_IPC_LOCK");
        }
    }
    if (o.cpu) {
        cpu_set_t set;
        CPU_ZERO(&set);
        if (*o.cpu >= CPU_SETSIZE) {
            r.failed.push_back("CPU " + std::to_string(*o.cpu) + " out of range");
        } else {
            CPU_SET(*o.cpu, &set);
            if (::sched_setaffinity(0, sizeof(set), &set) == 0) {
                r.pinned = true;
                r.applied.push_back("pinned to CPU " + std::to_string(*o.cpu));
            } else {
                const int e = errno;
                r.failed.push_back("pinning to CPU " + std::to_string(*o.cpu) + " failed (" + errno_text(e) +
                                   "): the CPU may not exist or not be in this process's cpuset");
            }
        }
    }
    if (o.priority) {
        sched_param sp{};
        sp.sched_priority = *o.priority;
        const int e = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &sp);
        const std::string what = "SCHED_FIFO priority " + std::to_string(*o.priority);
        if (e == 0) {
            r.fifo = true;
            r.applied.push_back(what);
        } else if (e == EPERM) {
            r.failed.push_back(what + " not permitted (EPERM): running with normal scheduling; grant CAP_SYS_NICE "
                                      "or raise RLIMIT_RTPRIO (limits.conf rtprio)");
        } else {
            r.failed.push_back(what + " failed (" + errno_text(e) + ")");
        }
    }
    return r;
}

std::size_t LatencyHistogram::bin_of(std::uint64_t us) noexcept {
    if (us < linear_bins) return static_cast<std::size_t>(us);
    // Octave k covers [64 * 2^(k-1), 64 * 2^k), split into 32 equal bins.
    const auto msb = static_cast<std::size_t>(std::bit_width(us) - 1);  // >= 6
    const std::size_t octave = msb - 5;                                  // >= 1
    if (octave > octaves) return bin_count - 1;
    const std::size_t sub = static_cast<std::size_t>(us >> (octave)) - sub_bins;  // 0..31
    return linear_bins + (octave - 1) * sub_bins + sub;
}

std::uint64_t LatencyHistogram::bin_lower_us(std::size_t bin) noexcept {
    if (bin < linear_bins) return bin;
    const std::size_t octave = (bin - linear_bins) / sub_bins + 1;
    const std::size_t sub = (bin - linear_bins) % sub_bins;
    return static_cast<std::uint64_t>(sub_bins + sub) << octave;
}

std::uint64_t LatencyHistogram::bin_upper_us(std::size_t bin) noexcept {
    if (bin < linear_bins) return bin + 1;
    const std::size_t octave = (bin - linear_bins) / sub_bins + 1;
    return bin_lower_us(bin) + (std::uint64_t{1} << octave);
}

void LatencyHistogram::record(std::chrono::nanoseconds latency) noexcept {
    if (latency.count() < 0) latency = std::chrono::nanoseconds(0);
    const auto us = static_cast<std::uint64_t>(latency.count() / 1000);
    ++bins_[bin_of(us)];
    ++count_;
    if (latency > max_) max_ = latency;
    sum_ns_ += static_cast<long double>(latency.count());
}

void LatencyHistogram::reset() noexcept { *this = LatencyHistogram{}; }

void LatencyHistogram::merge(const LatencyHistogram& o) noexcept {
    for (std::size_t i = 0; i < bin_count; ++i) bins_[i] += o.bins_[i];
    count_ += o.count_;
    if (o.max_ > max_) max_ = o.max_;
    sum_ns_ += o.sum_ns_;
}

std::chrono::nanoseconds LatencyHistogram::mean() const noexcept {
    if (count_ == 0) return std::chrono::nanoseconds(0);
    return std::chrono::nanoseconds(static_cast<long long>(sum_ns_ / static_cast<long double>(count_)));
}

std::chrono::nanoseconds LatencyHistogram::percentile(double p) const noexcept {
    if (count_ == 0) return std::chrono::nanoseconds(0);
    if (p < 0) p = 0;
    if (p > 100) p = 100;
    // Rank of the sample at or below which p % of the samples lie (nearest rank).
    auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_) + 0.999999);
    if (rank == 0) rank = 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bin_count; ++i) {
        seen += bins_[i];
        if (seen >= rank) {
            const auto upper = std::chrono::nanoseconds(static_cast<long long>(bin_upper_us(i)) * 1000);
            return upper < max_ ? upper : max_;  // the max is exact and bounds every bin
        }
    }
    return max_;
}

std::uint64_t LatencyHistogram::count_at_least(std::chrono::microseconds threshold) const noexcept {
    const auto t = static_cast<std::uint64_t>(threshold.count() < 0 ? 0 : threshold.count());
    std::uint64_t n = 0;
    for (std::size_t i = bin_of(t); i < bin_count; ++i) n += bins_[i];
    return n;
}

}  // namespace rig::hw
