#pragma once
// Real-time set-up of the calling thread (the acquisition loop) and a
// fixed-size lateness histogram for the run record.
//
// apply_realtime() never fails: each setting that could not be applied is
// reported as a string (with what to change) so the run record carries it, and
// the loop runs anyway with measured lateness deciding whether the data are
// valid (DESIGN §1: a broken timing budget makes measurements ERROR).
//
// Memory: the stack is prefaulted, then what the process has mapped at that
// moment is locked (mlockall(MCL_CURRENT)): the loop's rings, stack, code and
// drivers exist before the loop starts and it allocates nothing after.
// Later allocations of the process (the recorder's, a daemon's) are not
// locked (no MCL_FUTURE), so a long run's memory is not pinned.
//
// Thread-safety: apply_realtime() affects the calling thread (scheduling,
// affinity) and the whole process (mlockall). LatencyHistogram is used by one
// thread at a time; record() never allocates, locks or throws.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rig::hw {

struct RealtimeOptions {
    std::optional<int> priority;        // SCHED_FIFO 1..99; none = leave the policy
    std::optional<unsigned> cpu;        // sched_setaffinity to this CPU; none = leave
    bool lock_memory = false;           // mlockall(MCL_CURRENT): what is mapped now, not later allocations
    std::size_t prefault_stack_kib = 0; // touch this much stack (before locking)
};

struct RealtimeReport {
    std::vector<std::string> applied;   // e.g. "SCHED_FIFO priority 80"
    std::vector<std::string> failed;    // e.g. "SCHED_FIFO priority 80 not permitted (EPERM): ..."
    bool fifo = false;
    bool pinned = false;
    bool memory_locked = false;
    std::size_t prefaulted_kib = 0;
    [[nodiscard]] bool complete() const noexcept { return failed.empty(); }
};

/// Applies what `options` asks to the calling thread; see the header comment.
RealtimeReport apply_realtime(const RealtimeOptions& options);

/// Lateness histogram: 1 µs bins below 64 µs, then 32 bins per octave (bin
/// width <= 1/32 of the value, ~3 %) up to 2^40 µs. Fixed storage (~9 KiB), so
/// record() is allocation-free. Percentiles return the upper edge of the bin
/// (never an underestimate); max and mean are exact.
class LatencyHistogram {
public:
    static constexpr std::size_t linear_bins = 64;
    static constexpr std::size_t sub_bins = 32;
    static constexpr std::size_t octaves = 35;
    static constexpr std::size_t bin_count = linear_bins + octaves * sub_bins;

    void record(std::chrono::nanoseconds latency) noexcept;
    void reset() noexcept;
    void merge(const LatencyHistogram& other) noexcept;

    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
    [[nodiscard]] std::chrono::nanoseconds max() const noexcept { return max_; }
    [[nodiscard]] std::chrono::nanoseconds mean() const noexcept;
    /// p in [0, 100]; 0 ns when empty.
    [[nodiscard]] std::chrono::nanoseconds percentile(double p) const noexcept;
    /// Samples in the bin holding `threshold` and above: every sample >= the
    /// threshold, plus any below it in that same bin (bin resolution).
    [[nodiscard]] std::uint64_t count_at_least(std::chrono::microseconds threshold) const noexcept;

    /// Bin index of a latency in µs, and a bin's [lower, upper) edges in µs.
    static std::size_t bin_of(std::uint64_t us) noexcept;
    static std::uint64_t bin_lower_us(std::size_t bin) noexcept;
    static std::uint64_t bin_upper_us(std::size_t bin) noexcept;
    [[nodiscard]] std::uint64_t bin(std::size_t i) const noexcept { return bins_[i]; }

private:
    std::array<std::uint64_t, bin_count> bins_{};
    std::uint64_t count_ = 0;
    std::chrono::nanoseconds max_{0};
    long double sum_ns_ = 0;
};

}  // namespace rig::hw
