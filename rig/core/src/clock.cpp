#include "rig/core/clock.hpp"

#include <time.h>

#include <cerrno>

namespace rig {

Nanos MonotonicClock::now() const {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return Nanos(static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec);
}

Nanos MonotonicClock::sleep_until(Nanos deadline) noexcept {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(deadline.count() / 1'000'000'000LL);
    ts.tv_nsec = static_cast<long>(deadline.count() % 1'000'000'000LL);
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    return now();
}

}  // namespace rig
