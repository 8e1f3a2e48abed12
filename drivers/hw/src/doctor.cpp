#include "rig/hw/doctor.hpp"
#include "rig/hw/pwm.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/gpio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace rig::hw {
namespace fs = std::filesystem;

namespace {

std::optional<GpioChipInfo> ioctl_chip_info(const fs::path& p) {
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    gpiochip_info info{};
    const int r = ::ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, &info);
    ::close(fd);
    if (r < 0) return std::nullopt;
    return GpioChipInfo{std::string(info.label), info.lines};
}

std::optional<unsigned long long> limit(int resource) {
    rlimit rl{};
    if (::getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return std::nullopt;
    return static_cast<unsigned long long>(rl.rlim_cur);
}

std::string first_line(const fs::path& p) {
    std::ifstream in(p);
    std::string s;
    std::getline(in, s);
    return s;
}

fs::path under(const fs::path& root, const std::string& absolute) {
    // "/dev/spidev0.0" under a fake root "/tmp/x/dev" -> "/tmp/x/dev/spidev0.0"
    const fs::path a(absolute);
    return root / a.lexically_relative("/dev");
}

class Report {
public:
    explicit Report(std::ostream& out) : out_(&out) {}
    void ok(const std::string& what) { *out_ << "OK    " << what << '\n'; }
    void warn(const std::string& what, const std::string& fix) {
        ++warnings_;
        *out_ << "WARN  " << what << " -> fix: " << fix << '\n';
    }
    void fail(const std::string& what, const std::string& fix) {
        ++failures_;
        *out_ << "FAIL  " << what << " -> fix: " << fix << '\n';
    }
    void note(const std::string& what) { *out_ << "      " << what << '\n'; }
    [[nodiscard]] int failures() const { return failures_; }
    [[nodiscard]] int warnings() const { return warnings_; }

private:
    std::ostream* out_;
    int failures_ = 0;
    int warnings_ = 0;
};

}  // namespace

std::vector<unsigned> parse_cpu_list(const std::string& text) {
    std::vector<unsigned> cpus;
    std::stringstream ss(text);
    std::string part;
    while (std::getline(ss, part, ',')) {
        part.erase(std::remove_if(part.begin(), part.end(), [](char c) { return c == ' ' || c == '\n'; }), part.end());
        if (part.empty()) continue;
        try {
            const auto dash = part.find('-');
            if (dash == std::string::npos) {
                cpus.push_back(static_cast<unsigned>(std::stoul(part)));
            } else {
                const auto a = std::stoul(part.substr(0, dash));
                const auto b = std::stoul(part.substr(dash + 1));
                for (auto c = a; c <= b && c < 4096; ++c) cpus.push_back(static_cast<unsigned>(c));
            }
        } catch (const std::exception&) {  // malformed part: skipped, as documented
        }
    }
    return cpus;
}

DoctorEnv DoctorEnv::from_system() {
    DoctorEnv env;
    env.chip_info = ioctl_chip_info;
    env.can_read_write = [](const fs::path& p) { return ::access(p.c_str(), R_OK | W_OK) == 0; };
    env.euid = ::geteuid();
    const int n = ::getgroups(0, nullptr);
    std::vector<gid_t> gids(static_cast<std::size_t>(n > 0 ? n : 0));
    if (n > 0 && ::getgroups(n, gids.data()) == n) {
        for (gid_t g : gids) {
            if (const group* gr = ::getgrgid(g)) env.groups.emplace_back(gr->gr_name);
        }
    }
    if (const group* gr = ::getgrgid(::getegid())) env.groups.emplace_back(gr->gr_name);
    env.rtprio_limit = limit(RLIMIT_RTPRIO);
    env.memlock_limit = limit(RLIMIT_MEMLOCK);
    utsname u{};
    if (::uname(&u) == 0) env.kernel_version = u.version;
    return env;
}

int run_doctor(const rig::FixtureConfig* cfg, std::ostream& out, const DoctorEnv& env) {
    Report rep(out);
    const bool hw = cfg != nullptr && cfg->backend == Backend::hardware;
    if (cfg == nullptr) {
        out << "rig doctor: no fixture file given; checking this machine only\n";
    } else if (!hw) {
        out << "rig doctor: fixture '" << cfg->name << "' uses the sim backend; checking this machine only\n";
    } else {
        out << "rig doctor: fixture '" << cfg->name << "' (hardware) on this machine\n";
    }
    const bool root = env.euid == 0;
    auto in_group = [&](const std::string& g) { return std::find(env.groups.begin(), env.groups.end(), g) != env.groups.end(); };

    // GPIO chips ---------------------------------------------------------
    std::vector<std::pair<fs::path, std::optional<GpioChipInfo>>> chips;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(env.dev_root, ec)) {
        const auto name = e.path().filename().string();
        if (name.rfind("gpiochip", 0) == 0) chips.emplace_back(e.path(), env.chip_info ? env.chip_info(e.path()) : std::nullopt);
    }
    std::sort(chips.begin(), chips.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    if (chips.empty()) {
        rep.fail("gpio: this machine has no GPIO chips (no " + (env.dev_root / "gpiochip*").string() +
                     "): not a Raspberry Pi, or the GPIO character devices are not passed into this container",
                 "run hardware fixtures on the Pi itself; use a sim fixture (fixtures/sim.yaml) elsewhere");
        out << "rig doctor: no GPIO on this machine; a hardware fixture cannot run here\n";
        return 2;
    }
    std::string labels;
    for (const auto& [path, info] : chips) {
        labels += (labels.empty() ? "" : ", ") + path.filename().string() + "='" + (info ? info->label : "?") + "'";
    }
    rep.ok("gpio: " + std::to_string(chips.size()) + " chip(s): " + labels);

    if (hw) {
        const auto& h = cfg->hardware;
        const auto it = std::find_if(chips.begin(), chips.end(),
                                     [&](const auto& c) { return c.second && c.second->label == h.gpio_chip_label; });
        if (it == chips.end()) {
            rep.fail("gpio: no chip labelled '" + h.gpio_chip_label + "' (found " + labels + ")",
                     "set hardware.gpio.chip_label (Pi 4: pinctrl-bcm2711, Pi 5: pinctrl-rp1)");
        } else {
            const auto& info = *it->second;
            rep.ok("gpio: chip '" + h.gpio_chip_label + "' is " + it->first.string() + " (" + std::to_string(info.lines) +
                   " lines)");
            if (root || (env.can_read_write && env.can_read_write(it->first))) {
                rep.ok("gpio: " + it->first.string() + " readable and writable");
            } else {
                rep.fail("gpio: " + it->first.string() + " not permitted", "add the user to group 'gpio' and log in again");
            }
            const std::pair<const char*, unsigned> lines[] = {
                {"pen_power", h.lines.pen_power}, {"brake", h.lines.brake}, {"estop", h.lines.estop},
                {"drdy", h.lines.drdy},           {"step", h.lines.step},   {"dir", h.lines.dir},
                {"home", h.lines.home}};
            std::string bad;
            for (const auto& [name, off] : lines) {
                const bool used = h.depth_actuator == DepthActuatorKind::stepper ||
                                  (std::string(name) != "step" && std::string(name) != "dir" && std::string(name) != "home");
                if (used && off >= info.lines) bad += std::string(bad.empty() ? "" : ", ") + name + "=" + std::to_string(off);
            }
            if (bad.empty()) {
                rep.ok("gpio: every line offset is below " + std::to_string(info.lines));
            } else {
                rep.fail("gpio: line offsets out of range: " + bad, "fix hardware.gpio.lines (offsets are BCM GPIO numbers)");
            }
        }

        // SPI ------------------------------------------------------------
        for (const auto& [what, dev] : {std::pair{"LS7366R encoder", h.encoder_spi.device},
                                        std::pair{"ADS1256 ADC", h.adc.spi.device}}) {
            const fs::path p = under(env.dev_root, dev);
            if (!fs::exists(p)) {
                rep.fail(std::string("spi: ") + dev + " (" + what + ") missing",
                         "enable SPI: dtparam=spi=on in /boot/firmware/config.txt, then reboot");
            } else if (!root && !(env.can_read_write && env.can_read_write(p))) {
                rep.fail(std::string("spi: ") + dev + " (" + what + ") not permitted",
                         "add the user to group 'spi' and log in again");
            } else {
                rep.ok(std::string("spi: ") + dev + " (" + what + ") present and permitted");
            }
        }

        // E-stop circuit ----------------------------------------------------
        if (h.safety.estop_contact == EStopContact::normally_closed) {
            rep.ok("estop: normally-closed contact on line " + std::to_string(h.lines.estop) +
                   " (open circuit or cut cable = stop); prove it with scenarios/bringup/estop-cuts-power.yaml");
        } else {
            rep.fail("estop: normally-open contact: a cut cable or lost connector reads 'not pressed'",
                     "wire the E-stop's NC contact to GND and set hardware.gpio.estop_contact: normally_closed");
        }

        // Output persistence: a Raspberry Pi kernel keeps a released output
        // at its last level (persist_gpio_outputs) unless dtparam=strict_gpiod.
        for (const char* mod : {"pinctrl_bcm2835", "pinctrl_rp1"}) {
            const fs::path p = env.sys_root / "module" / mod / "parameters/persist_gpio_outputs";
            if (!fs::exists(p)) continue;
            const std::string v = first_line(p);
            if (v == "N" || v == "0") {
                rep.ok(std::string("gpio: released outputs return to input (") + mod + " persist_gpio_outputs=N)");
            } else {
                rep.warn(std::string("gpio: released outputs keep their last level (") + mod +
                             " persist_gpio_outputs=Y): a killed rig leaves the pen as it was",
                         "install the systemd unit (ExecStopPost=rig safe), keep the board pull-downs, or add "
                         "dtparam=strict_gpiod to " + env.boot_config.string());
            }
        }

        // Watchdog
        if (h.safety.watchdog_device) {
            const fs::path p = under(env.dev_root, *h.safety.watchdog_device);
            if (!fs::exists(p)) {
                rep.fail("watchdog: " + *h.safety.watchdog_device + " missing", "dtparam=watchdog=on in " + env.boot_config.string());
            } else if (!root && !(env.can_read_write && env.can_read_write(p))) {
                rep.fail("watchdog: " + *h.safety.watchdog_device + " not permitted", "run the rig as root or give it the device");
            } else {
                rep.ok("watchdog: " + *h.safety.watchdog_device + " present (fed by the loop's heartbeat)");
            }
        }

        // Pi 4 analogue audio uses the PWM block (PWM0/PWM1 on GPIO 40/41).
        if (h.gpio_chip_label == "pinctrl-bcm2711") {
            std::ifstream in(env.boot_config);
            std::string line;
            bool audio_on = false;
            while (std::getline(in, line)) {
                if (line.rfind("dtparam=audio=on", 0) == 0) audio_on = true;
                if (line.rfind("dtparam=audio=off", 0) == 0) audio_on = false;
            }
            if (audio_on) {
                rep.fail("pwm: dtparam=audio=on in " + env.boot_config.string() +
                             ": the analogue audio driver claims the PWM block the speed PWM needs",
                         "set dtparam=audio=off (HDMI audio is unaffected) and reboot");
            } else {
                rep.ok("pwm: analogue audio is not using the PWM block");
            }
        }

        // PWM ------------------------------------------------------------
        unsigned pwm_chip = h.pwm.chip;
        if (!h.pwm.device.empty()) {
            try {
                pwm_chip = resolve_pwm_chip(env.sys_root / "class/pwm", h.pwm.device);
                rep.ok("pwm: device " + h.pwm.device + " is pwmchip" + std::to_string(pwm_chip));
            } catch (const std::exception& e) {
                rep.fail(std::string("pwm: ") + e.what(),
                         "enable hardware PWM (Pi 4: dtoverlay=pwm,pin=18,func=2; Pi 5: dtoverlay=pwm-2chan) and check "
                         "hardware.pwm.device against ls -l /sys/class/pwm");
            }
        }
        const fs::path chip = env.sys_root / "class/pwm" / ("pwmchip" + std::to_string(pwm_chip));
        if (!fs::is_directory(chip)) {
            rep.fail("pwm: " + chip.string() + " missing",
                     "enable hardware PWM (Pi 4: dtoverlay=pwm,pin=18,func=2; Pi 5: dtoverlay=pwm-2chan) and check "
                     "the chip number with ls /sys/class/pwm");
        } else {
            const std::string npwm = first_line(chip / "npwm");
            unsigned n = 0;
            try {
                n = static_cast<unsigned>(std::stoul(npwm));
            } catch (const std::exception&) {
            }
            const fs::path ch = chip / ("pwm" + std::to_string(h.pwm.channel));
            if (h.pwm.channel >= n) {
                rep.fail("pwm: " + chip.string() + " has " + std::to_string(n) + " channel(s), fixture asks for channel " +
                             std::to_string(h.pwm.channel),
                         "fix hardware.pwm.channel");
            } else if (fs::is_directory(ch)) {
                if (root || (env.can_read_write && env.can_read_write(ch / "duty_cycle"))) {
                    rep.ok("pwm: " + ch.string() + " exported and writable");
                } else {
                    rep.fail("pwm: " + (ch / "duty_cycle").string() + " not permitted",
                             "add a udev rule giving group 'gpio' write access to /sys/class/pwm");
                }
            } else if (root || (env.can_read_write && env.can_read_write(chip / "export"))) {
                rep.ok("pwm: " + chip.string() + " present; channel " + std::to_string(h.pwm.channel) +
                       " will be exported at start");
            } else {
                rep.fail("pwm: " + (chip / "export").string() + " not permitted",
                         "add a udev rule giving group 'gpio' write access to /sys/class/pwm");
            }
        }
    }

    // Permissions --------------------------------------------------------
    if (root) {
        rep.ok("groups: running as root (no group membership needed)");
    } else {
        for (const char* g : {"gpio", "spi"}) {
            if (in_group(g)) {
                rep.ok(std::string("groups: member of '") + g + "'");
            } else {
                rep.fail(std::string("groups: not a member of '") + g + "'",
                         std::string("sudo usermod -aG ") + g + " $USER, then log in again");
            }
        }
    }

    // Real-time limits ---------------------------------------------------
    const int prio = hw && cfg->hardware.realtime.priority ? *cfg->hardware.realtime.priority : 80;
    if (root) {
        rep.ok("rtprio: root may use SCHED_FIFO priority " + std::to_string(prio));
    } else if (!env.rtprio_limit || *env.rtprio_limit >= static_cast<unsigned long long>(prio)) {
        rep.ok("rtprio: RLIMIT_RTPRIO allows priority " + std::to_string(prio));
    } else {
        rep.warn("rtprio: RLIMIT_RTPRIO is " + std::to_string(*env.rtprio_limit) + ", below priority " +
                     std::to_string(prio) + " (the loop will fall back to normal scheduling)",
                 "add '<user> - rtprio 95' to /etc/security/limits.d/penrig.conf");
    }
    const bool lock = !hw || cfg->hardware.realtime.lock_memory;
    if (lock) {
        if (root || !env.memlock_limit) {
            rep.ok("memlock: mlockall permitted (" + std::string(root ? "root" : "RLIMIT_MEMLOCK unlimited") + ")");
        } else {
            rep.warn("memlock: RLIMIT_MEMLOCK is " + std::to_string(*env.memlock_limit / 1024) +
                         " KiB; mlockall(MCL_CURRENT) may fail",
                     "add '<user> - memlock unlimited' to /etc/security/limits.d/penrig.conf");
        }
    }

    // Kernel -------------------------------------------------------------
    const std::string rt_flag = first_line(env.sys_root / "kernel/realtime");
    if (rt_flag == "1" || env.kernel_version.find("PREEMPT_RT") != std::string::npos) {
        rep.ok("kernel: PREEMPT_RT (" + env.kernel_version + ")");
    } else if (env.kernel_version.find("PREEMPT") != std::string::npos) {
        rep.warn("kernel: PREEMPT, not PREEMPT_RT (" + env.kernel_version +
                     "): wake-up latency tails of several hundred µs under load",
                 "install a PREEMPT_RT kernel for certification runs; keep the timing budget in the fixture file");
    } else {
        rep.warn("kernel: no preemption model found in '" + env.kernel_version + "'",
                 "use the Raspberry Pi OS kernel (PREEMPT) or a PREEMPT_RT kernel");
    }
    const auto isolated = parse_cpu_list(first_line(env.sys_root / "devices/system/cpu/isolated"));
    const std::optional<unsigned> cpu = hw ? cfg->hardware.realtime.cpu : std::nullopt;
    if (cpu && std::find(isolated.begin(), isolated.end(), *cpu) != isolated.end()) {
        rep.ok("cpu: loop CPU " + std::to_string(*cpu) + " is isolated");
    } else if (cpu) {
        rep.warn("cpu: loop CPU " + std::to_string(*cpu) + " is not isolated",
                 "add isolcpus=" + std::to_string(*cpu) + " (and nohz_full=, rcu_nocbs=) to /boot/firmware/cmdline.txt");
    } else if (isolated.empty()) {
        rep.warn("cpu: no isolated CPUs", "isolate one CPU for the loop (isolcpus=3) and set hardware.realtime.cpu");
    } else {
        rep.ok("cpu: isolated CPUs: " + first_line(env.sys_root / "devices/system/cpu/isolated"));
    }

    out << "rig doctor: " << rep.failures() << " failure(s), " << rep.warnings() << " warning(s)\n";
    return rep.failures() > 0 ? 1 : 0;
}

}  // namespace rig::hw
