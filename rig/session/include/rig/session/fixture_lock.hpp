#pragma once
// Exclusive ownership of one fixture across processes.
//
// flock(LOCK_EX | LOCK_NB) on `<lock_dir>/penrig-<fixture name>.lock`; the
// holder writes its pid into the file so that a second daemon can name it.
// The kernel drops the lock when the holder exits, however it exits (crash,
// SIGKILL), so a stale file never blocks a restart.
//
// RAII, move-only. Not thread-safe (one owner).

#include <filesystem>
#include <stdexcept>
#include <string>

namespace rig {

/// Another process holds the fixture (or the state folder). what() names the lock file and the pid.
class FixtureBusy : public std::runtime_error {
public:
    FixtureBusy(const std::string& msg, long holder_pid) : std::runtime_error(msg), pid_(holder_pid) {}
    [[nodiscard]] long holder_pid() const { return pid_; }  // 0 when unknown

private:
    long pid_;
};

class FixtureLock {
public:
    /// Takes the lock or throws FixtureBusy; throws std::system_error when the
    /// lock file cannot be created (the folder is missing or not writable).
    FixtureLock(const std::filesystem::path& lock_dir, const std::string& fixture_name);
    ~FixtureLock();
    FixtureLock(FixtureLock&& other) noexcept;
    FixtureLock& operator=(FixtureLock&& other) noexcept;
    FixtureLock(const FixtureLock&) = delete;
    FixtureLock& operator=(const FixtureLock&) = delete;

    /// The lock of a daemon's state folder (`<state_dir>/daemon.lock`): one
    /// daemon per state folder, whatever lock folder each was given.
    static FixtureLock state_folder(const std::filesystem::path& state_dir);

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

    /// The lock file of a fixture: characters outside [A-Za-z0-9._-] become '_'.
    static std::filesystem::path lock_path(const std::filesystem::path& lock_dir, const std::string& fixture_name);

private:
    struct ByFile {};
    FixtureLock(ByFile, std::filesystem::path file, const std::string& what);
    int fd_ = -1;
    std::filesystem::path path_;
};

}  // namespace rig
