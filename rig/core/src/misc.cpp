#include <sodium.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "rig/core/atomic_file.hpp"
#include "rig/core/clock.hpp"
#include "rig/core/hash.hpp"
#include "rig/core/samples.hpp"
#include "rig/core/version.hpp"

#ifndef PENRIG_VERSION
#define PENRIG_VERSION "0.0.0"
#endif
#ifndef PENRIG_GIT_COMMIT
#define PENRIG_GIT_COMMIT "unknown"
#endif

namespace rig {

std::string_view software_version() { return PENRIG_VERSION; }
std::string_view git_commit() { return PENRIG_GIT_COMMIT; }

std::string sha256_hex(std::string_view data) {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    std::array<unsigned char, crypto_hash_sha256_BYTES> h{};
    crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), h.data(), h.size());
    return std::string(hex.data());
}

namespace {
[[noreturn]] void throw_errno(const std::string& what, const std::filesystem::path& p) {
    throw std::system_error(errno, std::generic_category(), what + " " + p.string());
}
}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    // Created with mode 0666 so that the kernel applies the process umask (a
    // daemon under UMask=0027 writes 0640 files); mkstemp would force 0600 and
    // a fixed fchmod would ignore the umask. The name is unique per process
    // (pid) and per call (counter); O_EXCL makes a collision a retry.
    static std::atomic<unsigned> counter{0};
    std::string tmpl;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
        tmpl = (dir / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                       std::to_string(counter.fetch_add(1, std::memory_order_relaxed))))
                   .string();
        fd = ::open(tmpl.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) throw_errno("cannot create a temporary file beside", path);
    std::size_t off = 0;
    while (off < contents.size()) {
        const ssize_t n = ::write(fd, contents.data() + off, contents.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            ::close(fd);
            ::unlink(tmpl.c_str());
            throw std::system_error(e, std::generic_category(), "cannot write " + path.string());
        }
        off += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int e = errno;
        ::close(fd);
        ::unlink(tmpl.c_str());
        throw std::system_error(e, std::generic_category(), "cannot sync " + path.string());
    }
    ::close(fd);
    if (::rename(tmpl.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmpl.c_str());
        throw std::system_error(e, std::generic_category(), "cannot rename into " + path.string());
    }
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw_errno("cannot open", path);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw_errno("cannot read", path);
    return ss.str();
}

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

const char* to_string(EventKind k) {
    switch (k) {
        case EventKind::step_started: return "step_started";
        case EventKind::power_on: return "power_on";
        case EventKind::power_off: return "power_off";
        case EventKind::rate_setpoint: return "rate_setpoint";
        case EventKind::depth_setpoint: return "depth_setpoint";
        case EventKind::brake_engaged: return "brake_engaged";
        case EventKind::brake_released: return "brake_released";
        case EventKind::fault_injected: return "fault_injected";
        case EventKind::mark: return "mark";
        case EventKind::prompt: return "prompt";
        case EventKind::estop: return "estop";
    }
    return "?";
}

}  // namespace rig
