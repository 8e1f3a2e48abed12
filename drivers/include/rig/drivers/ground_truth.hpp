#pragma once
// What really happened in a model, recorded beside the measurements so that
// the rig's own accuracy is tested and reported. Times are ns on the fixture
// clock's epoch; the runner subtracts the run's t0 (see Runner).
//
// Thread-safety: one thread (the acquisition loop, which advances the model)
// writes; any number of other threads (the recorder, while the run goes on)
// read. Storage is allocated once, before the loop starts, and never moves;
// an entry is written completely before it is published (the count is
// stored with release, read with acquire), so a reader sees only whole
// entries and never a reallocation. Nothing here locks or allocates on the
// writer's side.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

namespace rig {

struct TrueStroke {
    std::int64_t t_bdc_ns = 0;  // true bottom-dead-centre time (model clock)
    double depth_mm = 0.0;      // true protrusion at BDC, mm
    double peak_force_n = 0.0;  // true peak phantom force during the stroke's descent, N
};

struct TrueStall {
    std::int64_t onset_ns = 0;   // rotor stopped (needle motion ceased)
    std::int64_t cutoff_ns = -1; // firmware cut the drive (-1 = never)
    std::int64_t retry_ns = -1;  // firmware re-applied drive after the cut (-1 = never)
};

/// The true, noise-free signals at one acquisition-loop read: the same
/// measurement definitions applied to these give the true value of a
/// measurement defined on signals (stall onset and cut-off), so that the
/// difference is the rig's own error (quantisation, sampling, sensor lag).
struct TrueChannels {
    std::int64_t t_ns = 0;     // model clock, the time of the read
    double position_mm = 0.0;  // true protrusion
    double current_a = 0.0;    // true motor current
};

/// An append-only log of entries that are final once appended, with a fixed
/// capacity. When full, further entries are not kept: `overflowed()` says
/// so, and a reader must not take a missing entry for "nothing happened"
/// after the last one kept (MeasureContext::truth_strokes gives no truth for
/// a window that ends past it).
template <typename T>
class TruthLog {
    static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

public:
    TruthLog() = default;
    TruthLog(const TruthLog&) = delete;
    TruthLog& operator=(const TruthLog&) = delete;

    /// Sets the capacity and empties the log. Only before any reader or
    /// writer uses it (the model's construction, SimFixture::prepare_run).
    /// The memory is not touched until entries are written: a large capacity
    /// costs address space, not resident memory.
    void reset(std::size_t capacity) {
        data_.reset(capacity > 0 ? std::allocator<T>().allocate(capacity) : nullptr, capacity);
        capacity_ = capacity;
        count_.store(0, std::memory_order_relaxed);
        overflowed_.store(false, std::memory_order_relaxed);
    }

    // --- writer (one thread) ---
    /// Appends and publishes `v`; false (and overflowed()) when full.
    bool push(const T& v) noexcept {
        const std::size_t n = count_.load(std::memory_order_relaxed);
        if (n >= capacity_) {
            overflowed_.store(true, std::memory_order_release);
            return false;
        }
        ::new (static_cast<void*>(data_.get() + n)) T(v);
        count_.store(n + 1, std::memory_order_release);
        return true;
    }

    // --- readers (any thread): the entries published so far ---
    [[nodiscard]] std::size_t size() const noexcept { return count_.load(std::memory_order_acquire); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    [[nodiscard]] bool overflowed() const noexcept { return overflowed_.load(std::memory_order_acquire); }
    /// i < size() (as read by this reader).
    [[nodiscard]] const T& operator[](std::size_t i) const noexcept { return data_.get()[i]; }
    [[nodiscard]] const T& front() const noexcept { return data_.get()[0]; }
    [[nodiscard]] const T& back() const noexcept { return data_.get()[size() - 1]; }
    [[nodiscard]] const T* begin() const noexcept { return data_.get(); }
    [[nodiscard]] const T* end() const noexcept { return data_.get() + size(); }

private:
    // The allocation, freed with the size it was allocated with.
    class Owned {
    public:
        Owned() = default;
        Owned(const Owned&) = delete;
        Owned& operator=(const Owned&) = delete;
        ~Owned() { reset(nullptr, 0); }
        void reset(T* p, std::size_t n) noexcept {
            if (p_ != nullptr) std::allocator<T>().deallocate(p_, n_);
            p_ = p;
            n_ = n;
        }
        [[nodiscard]] T* get() const noexcept { return p_; }

    private:
        T* p_ = nullptr;
        std::size_t n_ = 0;
    };

    Owned data_;
    std::size_t capacity_ = 0;
    std::atomic<std::size_t> count_{0};
    std::atomic<bool> overflowed_{false};
};

/// The stalls: an onset is published when the rotor stops; its cut-off and
/// retry are filled in later (the same stall, as the firmware reacts), so
/// each field is an atomic and a reader copies a stall out whole
/// (`operator[]` returns by value). A reader at time T sees every field
/// whose event happened before the model reached T.
class TrueStallLog {
public:
    explicit TrueStallLog(std::size_t capacity = 256) : slots_(std::make_unique<Slot[]>(capacity)), capacity_(capacity) {}
    TrueStallLog(const TrueStallLog&) = delete;
    TrueStallLog& operator=(const TrueStallLog&) = delete;

    // --- writer (one thread) ---
    /// A new stall; false (and overflowed()) when full.
    bool open(std::int64_t onset_ns) noexcept {
        const std::size_t n = count_.load(std::memory_order_relaxed);
        if (n >= capacity_) {
            overflowed_.store(true, std::memory_order_release);
            return false;
        }
        slots_[n].onset_ns.store(onset_ns, std::memory_order_relaxed);
        count_.store(n + 1, std::memory_order_release);
        return true;
    }
    /// The latest stall's drive cut / retry (no-op when none is kept).
    void set_cutoff(std::int64_t t_ns) noexcept { set_last(&Slot::cutoff_ns, t_ns); }
    void set_retry(std::int64_t t_ns) noexcept { set_last(&Slot::retry_ns, t_ns); }

    // --- readers (any thread) ---
    [[nodiscard]] std::size_t size() const noexcept { return count_.load(std::memory_order_acquire); }
    [[nodiscard]] bool empty() const noexcept { return size() == 0; }
    [[nodiscard]] bool overflowed() const noexcept { return overflowed_.load(std::memory_order_acquire); }
    /// A copy of stall i (i < size()).
    [[nodiscard]] TrueStall operator[](std::size_t i) const noexcept {
        const Slot& s = slots_[i];
        return TrueStall{s.onset_ns.load(std::memory_order_acquire), s.cutoff_ns.load(std::memory_order_acquire),
                         s.retry_ns.load(std::memory_order_acquire)};
    }

private:
    struct Slot {
        std::atomic<std::int64_t> onset_ns{0};
        std::atomic<std::int64_t> cutoff_ns{-1};
        std::atomic<std::int64_t> retry_ns{-1};
    };
    void set_last(std::atomic<std::int64_t> Slot::*field, std::int64_t t_ns) noexcept {
        const std::size_t n = count_.load(std::memory_order_relaxed);
        if (n > 0) (slots_[n - 1].*field).store(t_ns, std::memory_order_release);
    }

    std::unique_ptr<Slot[]> slots_;
    std::size_t capacity_;
    std::atomic<std::size_t> count_{0};
    std::atomic<bool> overflowed_{false};
};

/// The needle tip reaching the cartridge face during a touch-off (a
/// `reference:` step), from the model's state: what the encoder would read
/// with the tip exactly at the face at that instant. A reference step's
/// result is compared with the last of these in its span.
struct TrueFace {
    std::int64_t t_ns = 0;      // model clock
    double encoder_mm = 0.0;    // the encoder's reading at protrusion 0
};

/// The rotor's true angle as the physics integrates it, in strokes: the cam
/// phase n*theta/(2 pi), continuous (it does not wrap). Its slope is the true
/// stroke rate; the difference over any span is the number of strokes in it
/// (true_rate.hpp derives the start-up and step-response truths from it).
struct TrueRate {
    std::int64_t t_ns = 0;   // model clock
    double strokes = 0.0;    // cam phase, strokes since the model started
};

struct GroundTruth {
    TruthLog<TrueStroke> strokes;
    /// The cam phase at every firmware tick (2 kHz by default) from ~0.5 s
    /// before to a few seconds after each power-on and each rate command
    /// change (SimModel: kTrueRateSpanNs), bounded; outside those spans
    /// nothing is kept, and a truth that needs a sample outside them says so.
    TruthLog<TrueRate> rates;
    TrueStallLog stalls;
    /// Recorded from each brake engagement for a few seconds.
    TruthLog<TrueChannels> channels;
    /// Face crossings of touch-offs (bounded).
    TruthLog<TrueFace> faces;
};

}  // namespace rig
