#pragma once
// Counts the heap allocations a thread makes while its flag is set, by
// replacing the global operator new: include it in exactly one source file of
// a program (a test or benchmark of its own), set
// rig::test::t_count_allocations on the thread to watch, read
// rig::test::g_allocations.
//
// Under ASan/TSan the sanitizer's runtime owns operator new (shared libraries
// bind to it, so a replacement here would mix two allocators): nothing is
// replaced and PENRIG_COUNTS_ALLOCATIONS is 0; a test then reports the count
// SKIPPED, a benchmark says it was not taken.
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace rig::test {
inline thread_local bool t_count_allocations = false;
inline std::atomic<std::uint64_t> g_allocations{0};
}  // namespace rig::test

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PENRIG_COUNTS_ALLOCATIONS 0
#else
#define PENRIG_COUNTS_ALLOCATIONS 1
void* operator new(std::size_t n) {
    if (rig::test::t_count_allocations) rig::test::g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n != 0 ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif
