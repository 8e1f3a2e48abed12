// SpscRing: the lock-free hand-over from the acquisition thread to the
// recorder. Under contention every item arrives once, in order, intact; run
// under ThreadSanitizer (scripts/test.sh) this also checks the memory ordering.
#include <cstdint>
#include <thread>

#include "catch.hpp"
#include "rig/core/spsc_ring.hpp"

namespace {
// Big enough that a torn copy (half old, half new) would be visible.
struct Item {
    std::uint64_t seq;
    std::uint64_t check;  // a function of seq
    std::uint64_t pad[2];
};
constexpr std::uint64_t check_of(std::uint64_t s) { return s * 0x9E3779B97F4A7C15ull ^ 0xA5A5A5A5ull; }
}  // namespace

TEST_CASE("spsc ring: capacity rounds up to a power of two, full and empty are reported", "[core][spsc]") {
    rig::SpscRing<int> r(5);
    CHECK(r.capacity() == 8);
    CHECK(r.empty());
    int v = 0;
    CHECK_FALSE(r.pop(v));
    for (int i = 0; i < 8; ++i) CHECK(r.push(i));
    CHECK_FALSE(r.push(99));  // full: not stored
    for (int i = 0; i < 8; ++i) {
        REQUIRE(r.pop(v));
        CHECK(v == i);
    }
    CHECK_FALSE(r.pop(v));
    CHECK(r.empty());
    CHECK(rig::SpscRing<int>(1).capacity() == 2);
}

TEST_CASE("spsc ring under contention: every item once, in order, intact", "[core][spsc][threads]") {
    constexpr std::uint64_t n = 200'000;
    rig::SpscRing<Item> ring(64);  // small: the producer often finds it full, the consumer empty
    std::uint64_t full = 0;
    std::thread producer([&] {
        for (std::uint64_t s = 0; s < n; ++s) {
            const Item it{s, check_of(s), {s, ~s}};
            while (!ring.push(it)) {
                ++full;
                std::this_thread::yield();
            }
        }
    });
    std::uint64_t expected = 0, bad = 0, empty = 0;
    Item it{};
    while (expected < n) {
        if (!ring.pop(it)) {
            ++empty;
            std::this_thread::yield();
            continue;
        }
        if (it.seq != expected || it.check != check_of(it.seq) || it.pad[0] != it.seq || it.pad[1] != ~it.seq) ++bad;
        expected = it.seq + 1;
    }
    producer.join();
    CHECK(bad == 0);
    CHECK(expected == n);
    CHECK(ring.empty());
    CHECK_FALSE(ring.pop(it));
    INFO("producer found the ring full " << full << " times, consumer found it empty " << empty << " times");
    CHECK(full + empty > 0);  // the two threads really met at both ends
}
