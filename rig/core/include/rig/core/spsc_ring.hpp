#pragma once
// Single-producer single-consumer lock-free ring of trivially copyable items.
// The real-time acquisition loop pushes; the recorder pops. Capacity is fixed
// at construction (the only allocation); push and pop never allocate, lock or
// throw.

#include <atomic>
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>

namespace rig {

template <typename T>
class SpscRing {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    /// `capacity` is rounded up to a power of two.
    explicit SpscRing(std::size_t capacity) {
        std::size_t c = 2;
        while (c < capacity) c <<= 1;
        mask_ = c - 1;
        buf_ = std::make_unique<T[]>(c);
    }

    /// Producer side. Returns false when full (the item is not stored).
    bool push(const T& item) noexcept {
        const std::size_t h = head_.load(std::memory_order_relaxed);
        if (h - tail_cache_ > mask_) {
            tail_cache_ = tail_.load(std::memory_order_acquire);
            if (h - tail_cache_ > mask_) return false;
        }
        buf_[h & mask_] = item;
        head_.store(h + 1, std::memory_order_release);
        return true;
    }

    /// Consumer side. Returns false when empty.
    bool pop(T& out) noexcept {
        const std::size_t t = tail_.load(std::memory_order_relaxed);
        if (t == head_cache_) {
            head_cache_ = head_.load(std::memory_order_acquire);
            if (t == head_cache_) return false;
        }
        out = buf_[t & mask_];
        tail_.store(t + 1, std::memory_order_release);
        return true;
    }

    [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }
    [[nodiscard]] bool empty() const noexcept {
        return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_acquire);
    }

private:
    std::unique_ptr<T[]> buf_;
    std::size_t mask_ = 0;
    alignas(64) std::atomic<std::size_t> head_{0};
    alignas(64) std::size_t tail_cache_ = 0;  // producer's view of tail
    alignas(64) std::atomic<std::size_t> tail_{0};
    alignas(64) std::size_t head_cache_ = 0;  // consumer's view of head
};

}  // namespace rig
