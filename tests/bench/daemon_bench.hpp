#pragma once
// What the benchmarks that start a real `rig serve` share: which `rig` binary
// (argv, else $PENRIG_RIG_EXE, else the one built beside the benchmark), the
// daemon test harness on top of it, and a process's memory figures.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {
inline std::string g_rig;
inline const std::string& rig_exe() { return g_rig; }

/// Chooses the binary: `arg` if given, else $PENRIG_RIG_EXE, else
/// build/rig/cli/rig next to build/tests/bench/<this benchmark>.
inline void choose_rig(const char* arg) {
    if (arg != nullptr) {
        g_rig = arg;
    } else if (const char* e = std::getenv("PENRIG_RIG_EXE")) {
        g_rig = e;
    } else {
        g_rig = (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path().parent_path() / "rig" /
                 "cli" / "rig").string();
    }
}

/// A /proc/<pid>/status figure in kB ("VmRSS", "VmHWM", ...) as MiB; -1 if absent.
[[maybe_unused]] inline double vm_status_mib(pid_t pid, const char* key) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    const std::string k = std::string(key) + ":";
    while (std::getline(f, line)) {
        if (line.rfind(k, 0) == 0) return std::stod(line.substr(k.size())) / 1024.0;
    }
    return -1.0;
}
}  // namespace
#define PENRIG_RIG_EXE rig_exe()
#include "../integration/daemon/daemon_harness.hpp"
