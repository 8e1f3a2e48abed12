#pragma once
// `rig doctor`: checks a hardware fixture file against this machine and says
// what to fix, one line per check:
//
//   OK    gpio: chip 'pinctrl-bcm2711' is /dev/gpiochip0 (58 lines)
//   WARN  kernel: PREEMPT, not PREEMPT_RT ... -> fix: ...
//   FAIL  spi: /dev/spidev0.1 missing -> fix: dtparam=spi=on in /boot/firmware/config.txt
//
// Exit status: 0 all checks OK or WARN; 1 at least one FAIL; 2 this machine
// has no GPIO at all (not a Pi, CI, a container): said plainly, not a crash.
//
// Everything the checks read comes through DoctorEnv, so tests run them
// against a fake /dev and /sys tree.

#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "rig/drivers/fixture_config.hpp"

namespace rig::hw {

struct GpioChipInfo {
    std::string label;
    unsigned lines = 0;
};

struct DoctorEnv {
    std::filesystem::path dev_root{"/dev"};
    std::filesystem::path sys_root{"/sys"};
    /// Label and line count of a /dev/gpiochipN (GPIO_GET_CHIPINFO_IOCTL on
    /// the real system); std::nullopt if it cannot be opened or asked.
    std::function<std::optional<GpioChipInfo>(const std::filesystem::path&)> chip_info;
    /// access(2) for read+write.
    std::function<bool(const std::filesystem::path&)> can_read_write;
    unsigned euid = 0;
    std::vector<std::string> groups;          // names of the process's groups
    std::optional<unsigned long long> rtprio_limit;   // RLIMIT_RTPRIO soft; nullopt = unlimited
    std::optional<unsigned long long> memlock_limit;  // RLIMIT_MEMLOCK soft, bytes; nullopt = unlimited
    std::string kernel_version;               // uname -v
    std::filesystem::path boot_config{"/boot/firmware/config.txt"};

    /// This process on this machine.
    static DoctorEnv from_system();
};

/// Runs the checks for `cfg` (nullptr or a sim fixture: machine checks only).
int run_doctor(const rig::FixtureConfig* cfg, std::ostream& out, const DoctorEnv& env);
inline int run_doctor(const rig::FixtureConfig* cfg, std::ostream& out) {
    return run_doctor(cfg, out, DoctorEnv::from_system());
}

/// Parses a kernel CPU list ("0-1,3") into CPU numbers; malformed parts are skipped.
std::vector<unsigned> parse_cpu_list(const std::string& text);

}  // namespace rig::hw
