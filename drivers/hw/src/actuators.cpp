#include "rig/hw/actuators.hpp"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <ostream>
#include <stdexcept>
#include <system_error>

namespace rig::hw {

// --- pen power, brake ------------------------------------------------------

GpioPenPower::GpioPenPower(std::unique_ptr<GpioOutput> line, const SafeInhibit* inhibit)
    : line_(std::move(line)), inhibit_(inhibit) {}
GpioPenPower::~GpioPenPower() { line_->set(false); }
bool GpioPenPower::set(bool on) noexcept {
    if (!on || inhibit_ == nullptr) return line_->set(on);
    if (inhibit_->load()) {
        line_->set(false);
        return false;
    }
    const bool ok = line_->set(true);
    // The safe path may have run between the check and the write: look again.
    if (inhibit_->load()) {
        line_->set(false);
        return false;
    }
    return ok;
}
bool GpioPenPower::is_on() const noexcept { return line_->last(); }

GpioBrake::GpioBrake(std::unique_ptr<GpioOutput> line) : line_(std::move(line)) {}
GpioBrake::~GpioBrake() { line_->set(false); }
bool GpioBrake::set(bool engaged) noexcept { return line_->set(engaged); }
bool GpioBrake::is_engaged() const noexcept { return line_->last(); }

// --- speed PWM -------------------------------------------------------------

PwmSpeed::PwmSpeed(std::unique_ptr<PwmChannel> pwm, double max_rate_hz) : pwm_(std::move(pwm)), max_rate_hz_(max_rate_hz) {
    if (!(max_rate_hz > 0.0)) throw std::invalid_argument("speed PWM: max rate must be > 0 Hz");
    if (!pwm_->set_duty(std::chrono::nanoseconds(0))) throw std::runtime_error("speed PWM: cannot write duty 0");
}
PwmSpeed::~PwmSpeed() { pwm_->set_duty(std::chrono::nanoseconds(0)); }

double PwmSpeed::duty_for(double rate_hz) const noexcept {
    if (!(rate_hz > 0.0)) return 0.0;  // also NaN
    return std::min(rate_hz / max_rate_hz_, 1.0);
}

bool PwmSpeed::set_rate_hz(double rate_hz) noexcept {
    const double duty = duty_for(rate_hz);
    const auto period = pwm_->period();
    const auto high = std::chrono::nanoseconds(std::llround(duty * static_cast<double>(period.count())));
    if (!pwm_->set_duty(high)) return false;
    rate_hz_ = duty * max_rate_hz_;
    return true;
}

// --- E-stop ----------------------------------------------------------------

namespace {
void spin_until(std::int64_t steady_ns) noexcept {
    while (std::chrono::steady_clock::now().time_since_epoch().count() < steady_ns) {
    }
}
std::int64_t steady_now() noexcept { return std::chrono::steady_clock::now().time_since_epoch().count(); }
}  // namespace

GpioEStop::GpioEStop(std::unique_ptr<GpioInput> line, Options options) : line_(std::move(line)), opt_(std::move(options)) {
    // The first reading before the thread starts: a fixture must not come up
    // with its E-stop already open without knowing it.
    const bool stop = read_stop();
    active_.store(stop);
    if (stop) {
        seen_.store(true);
        stops_.fetch_add(1);
        if (opt_.on_stop) opt_.on_stop();
    }
    thread_ = std::jthread([this](const std::stop_token& st) { watch(st); });
    if (opt_.priority) {
        sched_param sp{};
        sp.sched_priority = *opt_.priority;
        if (const int err = ::pthread_setschedparam(thread_.native_handle(), SCHED_FIFO, &sp)) {
            priority_note_ = "E-stop watcher: SCHED_FIFO " + std::to_string(*opt_.priority) + " not applied (" +
                             std::system_category().message(err) + "): it runs at normal priority";
        }
    }
}

GpioEStop::~GpioEStop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
}

bool GpioEStop::read_stop() noexcept {
    (void)line_->take_edges();
    const auto level = line_->value();
    if (!level) return true;  // cannot see the E-stop: stop
    // Pull-up: an open contact reads high.
    return opt_.contact == EStopContact::normally_closed ? *level : !*level;
}

void GpioEStop::watch(const std::stop_token& st) noexcept {
    while (!st.stop_requested()) {
        (void)line_->wait_edge(opt_.poll_fallback);
        if (st.stop_requested()) break;
        const bool stop = read_stop();
        const bool was = active_.exchange(stop);
        if (stop && !was) {
            seen_.store(true);
            stops_.fetch_add(1);
            if (opt_.on_stop) opt_.on_stop();
        }
    }
}

bool GpioEStop::pressed() noexcept {
    const bool seen = seen_.exchange(false);
    return active_.load() || seen;
}

// --- stepper ---------------------------------------------------------------

StepperDepth::StepperDepth(std::unique_ptr<GpioOutput> step, std::unique_ptr<GpioOutput> dir,
                           std::unique_ptr<GpioInput> home, const StepperSettings& s)
    : step_(std::move(step)), dir_(std::move(dir)), home_(std::move(home)), s_(s) {
    if (!(s.steps_per_mm > 0.0) || !(s.max_step_rate_hz > 0.0) || !(s.homing_step_rate_hz > 0.0) ||
        s.homing_limit_steps <= 0 || s.step_pulse.count() <= 0 || s.dir_setup.count() < 0) {
        throw std::invalid_argument("stepper: steps per mm, step rates and homing limit must be > 0");
    }
    step_period_ns_ = std::llround(1e9 / s.max_step_rate_hz);
}

StepperDepth::~StepperDepth() { step_->set(false); }

bool StepperDepth::pulse() noexcept {
    // DIR set-up: the STEP rising edge waits until DIR has been stable long enough.
    spin_until(dir_changed_ns_ + s_.dir_setup.count());
    const bool hi = step_->set(true);
    spin_until(steady_now() + s_.step_pulse.count());
    const bool lo = step_->set(false);
    return hi && lo;
}

bool StepperDepth::set_dir(bool away) noexcept {
    if (dir_->last() == away) return true;
    if (!dir_->set(away)) return false;
    dir_changed_ns_ = steady_now();
    return true;
}

void StepperDepth::home(Clock& clock) {
    auto at_home = [&] {
        auto v = home_->value();
        if (!v) throw std::runtime_error("stepper: home switch read failed");
        return *v != s_.home_switch_active_low;
    };
    const auto period = std::chrono::nanoseconds(std::llround(1e9 / s_.homing_step_rate_hz));
    Nanos next = clock.now();
    auto step_once = [&] {
        if (stop_.load(std::memory_order_relaxed)) throw std::runtime_error("stepper: homing stopped (E-stop or safe state)");
        if (!pulse()) throw std::runtime_error("stepper: STEP line write failed");
        next += period;
        clock.sleep_until(next);
    };
    homed_ = false;
    // Starting on the switch: back off first so home is always approached
    // from the same side (repeatable to the switch's hysteresis).
    if (at_home()) {
        if (!set_dir(true)) throw std::runtime_error("stepper: DIR line write failed");
        std::int64_t n = 0;
        while (at_home()) {
            if (++n > s_.homing_limit_steps) {
                throw std::runtime_error("stepper: home switch still closed after backing off " +
                                         std::to_string(s_.homing_limit_steps) + " steps (switch stuck or miswired?)");
            }
            step_once();
        }
    }
    if (!set_dir(false)) throw std::runtime_error("stepper: DIR line write failed");
    std::int64_t n = 0;
    while (!at_home()) {
        if (++n > s_.homing_limit_steps) {
            throw std::runtime_error("stepper: home switch not found within " + std::to_string(s_.homing_limit_steps) +
                                     " steps (" + std::to_string(static_cast<double>(s_.homing_limit_steps) / s_.steps_per_mm) +
                                     " mm of dial)");
        }
        step_once();
    }
    position_steps_ = 0;
    target_steps_ = 0;
    homed_ = true;
}

bool StepperDepth::move_to_mm(double depth_mm) noexcept {
    if (!homed_ || !(depth_mm >= 0.0) || depth_mm > s_.max_depth_mm) return false;
    const auto target = static_cast<std::int64_t>(std::llround(depth_mm * s_.steps_per_mm));
    if (target != position_steps_ && !set_dir(target > position_steps_)) return false;
    stop_.store(false, std::memory_order_relaxed);
    target_steps_ = target;
    return true;
}

bool StepperDepth::busy(std::int64_t now_ns) noexcept {
    if (stop_.load(std::memory_order_relaxed)) target_steps_ = position_steps_;
    if (position_steps_ == target_steps_) return false;
    if (now_ns >= next_step_ns_) {
        if (!pulse()) {  // leave the move; position stays what was stepped
            target_steps_ = position_steps_;
            return false;
        }
        position_steps_ += target_steps_ > position_steps_ ? 1 : -1;
        // Never faster than the max rate, however late this call came.
        next_step_ns_ = now_ns + step_period_ns_;
    }
    return position_steps_ != target_steps_;
}

double StepperDepth::position_mm() const noexcept { return static_cast<double>(position_steps_) / s_.steps_per_mm; }

// --- operator prompt -------------------------------------------------------

PromptDepth::PromptDepth(int input_fd, std::ostream& out, double max_depth_mm)
    : fd_(input_fd), out_(&out), max_depth_mm_(max_depth_mm) {}

bool PromptDepth::move_to_mm(double depth_mm) noexcept {
    if (!(depth_mm >= 0.0) || depth_mm > max_depth_mm_) return false;
    try {
        *out_ << "Set the pen's depth dial to " << depth_mm << " mm, then press Enter." << std::endl;
    } catch (...) {
        return false;
    }
    target_mm_ = depth_mm;
    waiting_ = true;
    return true;
}

bool PromptDepth::busy(std::int64_t /*now_ns*/) noexcept {
    if (!waiting_) return false;
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0) {
        std::array<char, 64> buf{};
        const ssize_t n = ::read(fd_, buf.data(), buf.size());
        if (n <= 0) break;
        if (std::find(buf.begin(), buf.begin() + n, '\n') != buf.begin() + n) {
            waiting_ = false;
            position_mm_ = target_mm_;
            return false;
        }
    }
    return true;
}

}  // namespace rig::hw
