#include "rig/session/fixture_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <system_error>
#include <utility>

namespace rig {

std::filesystem::path FixtureLock::lock_path(const std::filesystem::path& lock_dir, const std::string& fixture_name) {
    std::string safe;
    for (char c : fixture_name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        safe += ok ? c : '_';
    }
    return lock_dir / ("penrig-" + safe + ".lock");
}

FixtureLock::FixtureLock(const std::filesystem::path& lock_dir, const std::string& fixture_name)
    : FixtureLock(ByFile{}, lock_path(lock_dir, fixture_name), "fixture '" + fixture_name + "'") {}

FixtureLock FixtureLock::state_folder(const std::filesystem::path& state_dir) {
    return FixtureLock(ByFile{}, state_dir / "daemon.lock", "state folder " + state_dir.string());
}

FixtureLock::FixtureLock(ByFile, std::filesystem::path file, const std::string& what) : path_(std::move(file)) {
    // O_CLOEXEC: a child process must not inherit (and so keep) the lock.
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "cannot open the lock " + path_.string());
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        char buf[32] = {};
        const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
        ::close(fd_);
        fd_ = -1;
        if (err != EWOULDBLOCK) {
            throw std::system_error(err, std::generic_category(), "cannot lock " + path_.string());
        }
        const long pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
        throw FixtureBusy(what + " is in use by another process: lock " + path_.string() +
                              " is held by pid " + (pid > 0 ? std::to_string(pid) : std::string("(unknown)")),
                          pid);
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
        // The lock itself holds; only the courtesy pid is missing.
    }
}

FixtureLock::~FixtureLock() {
    if (fd_ >= 0) {
        // Empty the pid before letting go so that a reader never names a dead holder.
        // (A failure leaves a stale pid, which the next holder overwrites; a
        // (void) cast does not silence glibc's warn_unused_result under _FORTIFY_SOURCE.)
        [[maybe_unused]] const int rc = ::ftruncate(fd_, 0);
        ::close(fd_);
    }
}

FixtureLock::FixtureLock(FixtureLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

FixtureLock& FixtureLock::operator=(FixtureLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

}  // namespace rig
