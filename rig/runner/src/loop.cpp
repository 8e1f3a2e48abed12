#include "rig/runner/loop.hpp"

#include "rig/analysis/timing.hpp"
#include "rig/scenario/run_checks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

namespace rig {

const char* to_string(LoopEventKind k) {
    switch (k) {
        case LoopEventKind::step_started: return "step_started";
        case LoopEventKind::step_finished: return "step_finished";
        case LoopEventKind::power_on: return "power_on";
        case LoopEventKind::power_off: return "power_off";
        case LoopEventKind::rate_setpoint: return "rate_setpoint";
        case LoopEventKind::depth_setpoint: return "depth_setpoint";
        case LoopEventKind::depth_reached: return "depth_reached";
        case LoopEventKind::brake_engaged: return "brake_engaged";
        case LoopEventKind::brake_released: return "brake_released";
        case LoopEventKind::fault_injected: return "fault_injected";
        case LoopEventKind::mark: return "mark";
        case LoopEventKind::index_latched: return "index_latched";
        case LoopEventKind::prompt: return "prompt";
        case LoopEventKind::wait_timeout: return "wait_timeout";
        case LoopEventKind::estop: return "estop";
        case LoopEventKind::sensor_timeout: return "sensor_timeout";
        case LoopEventKind::actuator_error: return "actuator_error";
        case LoopEventKind::abort_requested: return "abort_requested";
        case LoopEventKind::ring_overflow: return "ring_overflow";
        case LoopEventKind::finished: return "finished";
    }
    return "?";
}

namespace {
// Online stroke tracking for wait_until and the progress display only; the
// measurements come from the analysis library on the recorded samples.
constexpr double kStillBandMm = 0.005;                   // 5 encoder counts
constexpr std::int64_t kStoppedAfterNs = 50'000'000;     // no motion for 50 ms = stopped
constexpr std::int64_t kSensorTimeoutNs = 100'000'000;   // a sensor failing for 100 ms ends the run
constexpr std::int64_t kDepthMoveTimeoutNs = 30'000'000'000;
constexpr std::size_t kStableIntervals = 5;
}  // namespace

AcquisitionLoop::AcquisitionLoop(const Scenario& scenario, Fixture& fixture, SpscRing<Sample>& sample_ring,
                                 SpscRing<LoopEvent>& event_ring, std::atomic<bool>& abort, LoopStats& stats)
    : sc_(scenario), fx_(fixture), samples_(sample_ring), events_(event_ring), abort_(abort), stats_(stats) {}

void AcquisitionLoop::emit(LoopEventKind k, std::uint32_t step, double value) noexcept {
    const LoopEvent e{now_, k, step, value};
    // Events are rare; the ring is sized so that it cannot fill in practice.
    // Under backpressure (lockstep) wait rather than lose one.
    while (!events_.push(e)) {
        if (!backpressure_) return;
        std::this_thread::yield();
    }
}

bool AcquisitionLoop::start_step(std::size_t i) noexcept {
    const PlanStep& p = sc_.plan[i];
    const auto si = static_cast<std::uint32_t>(i);
    step_start_ = now_;
    stats_.step.store(si, std::memory_order_relaxed);
    emit(LoopEventKind::step_started, si);
    switch (p.kind) {
        case StepKind::power:
            // The run's first power-on waits for the run-start instrument
            // checks (tare, current zero: run_checks.hpp), taken on the
            // samples of that wait with the pen still unpowered; tick_step
            // switches the pen on after it.
            if (p.on && !run_start_checked_) break;
            if (!fx_.power().set(p.on)) return false;
            emit(p.on ? LoopEventKind::power_on : LoopEventKind::power_off, si);
            if (!p.on) tracker_.reset();
            break;
        case StepKind::set_depth:
            if (!fx_.depth().move_to_mm(p.depth_mm)) return false;
            depth_moving_ = true;
            emit(LoopEventKind::depth_setpoint, si, p.depth_mm);
            break;
        case StepKind::set_rate:
            if (!fx_.speed().set_rate_hz(p.rate_hz)) return false;
            rate_sp_ = p.rate_hz;
            emit(LoopEventKind::rate_setpoint, si, p.rate_hz);
            break;
        case StepKind::ramp: ramp_from_ = rate_sp_; break;
        case StepKind::stall:
            if (!fx_.brake().set(true)) return false;
            emit(LoopEventKind::brake_engaged, si);
            break;
        case StepKind::release:
            if (!fx_.brake().set(false)) return false;
            emit(LoopEventKind::brake_released, si);
            break;
        case StepKind::prompt:
            prompt_ack_.store(false, std::memory_order_relaxed);
            emit(LoopEventKind::prompt, si);
            break;
        case StepKind::fault:
            if (!fx_.inject_fault(p.fault)) return false;
            emit(LoopEventKind::fault_injected, si, p.fault.value);
            break;
        case StepKind::mark: emit(LoopEventKind::mark, si); break;
        case StepKind::reference:
            // Validation allows it only with the pen off and a fixture that has the method.
            if (!(p.method == ReferenceMethod::index ? fx_.reference().start_index(now_)
                                                      : fx_.reference().start_touch_off(now_))) {
                return false;
            }
            break;
        case StepKind::hold:
        case StepKind::wait_until:
        case StepKind::measure: break;
    }
    return true;
}

bool AcquisitionLoop::condition_met(const PlanStep& p) const noexcept {
    switch (p.condition) {
        case WaitCondition::depth_reached: return !depth_moving_;
        case WaitCondition::stopped: return now_ - last_move_t_ >= kStoppedAfterNs;
        case WaitCondition::running:
            return tracker_.count() >= 3 && static_cast<double>(now_) - tracker_.last_t_ns() < 100e6;
        case WaitCondition::rate_stable:
            // The rate has stopped changing, on the same interpolated BDC
            // instants the analysis uses (BdcTracker::rate_settled); how far
            // it is from the setpoint is puncture_rate's to judge.
            return rate_sp_ > 0.0 && tracker_.rate_settled(sc_.spec.startup_band, kStableIntervals, now_);
    }
    return false;
}

bool AcquisitionLoop::tick_step(std::size_t i) noexcept {
    const PlanStep& p = sc_.plan[i];
    const auto si = static_cast<std::uint32_t>(i);
    const std::int64_t elapsed = now_ - step_start_;
    switch (p.kind) {
        case StepKind::set_depth:
            if (depth_moving_ && !fx_.depth().busy(now_)) {
                depth_moving_ = false;
                emit(LoopEventKind::depth_reached, si, fx_.depth().position_mm());
            }
            if (depth_moving_ && elapsed > kDepthMoveTimeoutNs) {
                emit(LoopEventKind::actuator_error, si);
                fatal_ = true;
                return true;
            }
            return !depth_moving_;
        case StepKind::hold:
        case StepKind::measure: return elapsed >= p.duration.count();
        case StepKind::ramp: {
            const double frac = p.duration.count() > 0
                                    ? std::min(1.0, static_cast<double>(elapsed) / static_cast<double>(p.duration.count()))
                                    : 1.0;
            rate_sp_ = ramp_from_ + (p.rate_hz - ramp_from_) * frac;
            fx_.speed().set_rate_hz(rate_sp_);
            if (frac >= 1.0) {
                emit(LoopEventKind::rate_setpoint, si, rate_sp_);
                return true;
            }
            return false;
        }
        case StepKind::stall:
            if (elapsed < p.duration.count()) return false;
            if (p.release_after) {
                fx_.brake().set(false);
                emit(LoopEventKind::brake_released, si);
            }
            return true;
        case StepKind::wait_until:
            if (condition_met(p)) return true;
            if (elapsed >= p.duration.count()) {
                emit(LoopEventKind::wait_timeout, si, static_cast<double>(p.condition));
                return true;
            }
            return false;
        case StepKind::prompt: return prompt_ack_.load(std::memory_order_acquire);
        case StepKind::reference:
            if (!fx_.reference().busy(now_, last_force_)) {
                if (p.method == ReferenceMethod::index) {
                    // The latch goes into the record as an event (take_reference reads it there).
                    if (const auto mm = fx_.reference().index_latched_mm()) emit(LoopEventKind::index_latched, si, *mm);
                }
                return true;
            }
            if (elapsed > p.duration.count()) {
                // Longer than the sequence can take: the drive is stuck (rig fault).
                fx_.reference().stop();
                emit(LoopEventKind::actuator_error, si);
                fatal_ = true;
                return true;
            }
            return false;
        case StepKind::power:
            if (p.on && !run_start_checked_) {
                if (elapsed < std::chrono::nanoseconds(checks::kRunStartWindow).count()) return false;
                run_start_checked_ = true;
                if (!fx_.power().set(true)) {
                    emit(LoopEventKind::actuator_error, si);
                    fatal_ = true;
                    return true;
                }
                emit(LoopEventKind::power_on, si);
            }
            return true;
        case StepKind::set_rate:
        case StepKind::release:
        case StepKind::fault:
        case StepKind::mark: return true;
    }
    return true;
}

void AcquisitionLoop::record_work(std::int64_t woke_ns) noexcept {
    // Work time of this tick: wake-up to now (SPI/GPIO reads, the sequencer's
    // writes). Bins: the lateness histogram's (timing.hpp).
    const auto& edges_us = analysis::lateness_bin_edges_us;
    const std::int64_t work = fx_.clock().now().count() - woke_ns;
    std::size_t bin = 0;
    while (bin + 1 < edges_us.size() && work >= edges_us[bin + 1] * 1000) ++bin;
    ++stats_.work_histogram[bin];
    stats_.work_max_ns = std::max(stats_.work_max_ns, work);
}

std::int64_t AcquisitionLoop::run() noexcept {
    Clock& clock = fx_.clock();
    const auto& cfg = sc_.fixture;
    const auto period = static_cast<std::int64_t>(std::llround(1e9 / cfg.sample_rate_hz));
    const auto actuation_every =
        std::max<std::int64_t>(1, std::llround(cfg.sample_rate_hz / cfg.actuation_rate_hz));
    // The fixture's timing rule (analysis/timing.hpp): the same one the
    // measurements and timing_health judge these samples by.
    const auto rule = analysis::timing_rule(std::chrono::nanoseconds{period}, cfg.timing.lateness);

    t0_ = clock.now().count();
    stats_.t0_ns.store(t0_, std::memory_order_release);
    std::int64_t deadline = t0_;
    std::size_t step = 0;
    bool step_active = false;
    std::int64_t tick = 0;
    std::uint32_t pending_flags = 0;
    bool ending = false;
    last_move_t_ = 0;

    while (!ending) {
        deadline += period;
        const std::int64_t woke = clock.sleep_until(Nanos(deadline)).count();
        const std::int64_t lateness = woke - deadline;
        std::uint32_t flags = pending_flags;
        pending_flags = 0;
        if (const std::int64_t missed = rule.deadlines_skipped(std::chrono::nanoseconds{lateness}); missed > 0) {
            // Whole periods were slept through beyond the budget: those samples
            // are missing. Skip their deadlines (no burst of catch-up samples)
            // and mark the gap. Within the budget the loop catches up instead.
            deadline += missed * period;
            stats_.missed.fetch_add(static_cast<std::uint64_t>(missed), std::memory_order_relaxed);
            flags |= sample_after_gap;
        }
        if (rule.late(std::chrono::nanoseconds{lateness})) {
            flags |= sample_late;
            stats_.late.fetch_add(1, std::memory_order_relaxed);
        }
        now_ = woke - t0_;

        Sample s;
        s.t_ns = now_;
        s.lateness_ns = lateness;
        // An index reference's pass: the counter is not read (its latch).
        const bool enc_suspended = fx_.reference().encoder_suspended();
        // (Read into a plain value: GCC 12 sees the optional of a
        // `cond ? nullopt : read` as maybe uninitialised where it is read.)
        bool have_pos = false;
        double pos_mm = 0.0;
        if (!enc_suspended) {
            if (const auto p = fx_.encoder().read_mm()) {
                have_pos = true;
                pos_mm = *p;
            }
        }
        if (enc_suspended) flags |= sample_encoder_suspended;
        const auto force = fx_.load_cell().read_n();
        const auto cur = fx_.current().read_a();
        if (have_pos) s.position_mm = pos_mm; else flags |= sample_encoder_fault;
        if (force) s.force_n = *force; else flags |= sample_force_fault;
        last_force_ = force;
        if (cur) s.current_a = *cur; else flags |= sample_current_fault;
        // ADC values are the latest conversion, not a measurement at t_ns:
        // a held value is flagged, and the ages go into the record.
        const ReadingTiming adc_t[2] = {fx_.load_cell().last_timing(), fx_.current().last_timing()};
        for (std::size_t i = 0; i < 2; ++i) {
            if (adc_t[i].clipped) flags |= i == 0 ? sample_force_clipped : sample_current_clipped;
            if (!adc_t[i].fresh) {
                flags |= i == 0 ? sample_force_held : sample_current_held;
                ++stats_.adc_held[i];
            } else {
                ++stats_.adc_fresh[i];
            }
            stats_.adc_age_max_ns[i] = std::max(stats_.adc_age_max_ns[i], adc_t[i].age_ns);
            stats_.adc_age_sum_ns[i] += static_cast<long double>(adc_t[i].age_ns);
        }
        // Each value's own instant (its conversion's DRDY) goes with it.
        auto age32 = [](std::int64_t a) {
            return static_cast<std::int32_t>(std::clamp<std::int64_t>(a, 0, std::numeric_limits<std::int32_t>::max()));
        };
        s.force_age_ns = age32(adc_t[0].age_ns);
        s.current_age_ns = age32(adc_t[1].age_ns);
        const bool estop = fx_.estop().pressed();
        if (estop) flags |= sample_estop;
        s.setpoint_hz = rate_sp_;
        s.flags = flags;
        s.step_index = static_cast<std::uint32_t>(std::min(step, sc_.plan.size() - 1));

        while (!samples_.push(s)) {
            if (!backpressure_ || abort_.load(std::memory_order_relaxed)) {
                stats_.dropped.fetch_add(1, std::memory_order_relaxed);
                pending_flags |= sample_after_gap;
                break;
            }
            std::this_thread::yield();
        }
        stats_.samples.fetch_add(1, std::memory_order_relaxed);
        stats_.heartbeat.fetch_add(1, std::memory_order_release);

        // Online stroke tracking (progress and wait_until only).
        if (have_pos) {
            const double x = pos_mm;
            if (std::abs(x - last_pos_) > kStillBandMm) {
                last_pos_ = x;
                last_move_t_ = now_;
            }
            if (tracker_.add(now_, x)) {
                stats_.live_depth_mm.store(tracker_.last_depth_mm(), std::memory_order_relaxed);
                if (tracker_.count() >= 2) {
                    const double dt = tracker_.t_back(0) - tracker_.t_back(1);
                    if (dt > 0.0) stats_.live_rate_hz.store(1e9 / dt, std::memory_order_relaxed);
                }
            }
            if (tracker_.count() > 0 && static_cast<double>(now_) - tracker_.last_t_ns() > 200e6) {
                stats_.live_rate_hz.store(0.0, std::memory_order_relaxed);
            }
        }

        // Conditions that end the run, checked every sample.
        const auto cur_step = static_cast<std::uint32_t>(std::min(step, sc_.plan.size() - 1));
        if (abort_.load(std::memory_order_acquire)) {
            emit(LoopEventKind::abort_requested, cur_step);
            break;
        }
        if (estop) {
            emit(LoopEventKind::estop, cur_step);
            break;
        }
        // A clipped ADC reading is no value but a working instrument (its
        // input is beyond range): the windows it falls in are ERROR
        // (sample_*_clipped), the run goes on.
        const bool force_failed = !force && !adc_t[0].clipped;
        const bool current_failed = !cur && !adc_t[1].clipped;
        const bool encoder_failed = !have_pos && !enc_suspended;
        if (encoder_failed || force_failed || current_failed) {
            if (sensor_fail_since_ < 0) sensor_fail_since_ = now_;
            if (now_ - sensor_fail_since_ >= kSensorTimeoutNs) {
                emit(LoopEventKind::sensor_timeout, cur_step, encoder_failed ? 0.0 : force_failed ? 1.0 : 2.0);
                break;
            }
        } else {
            sensor_fail_since_ = -1;
        }

        // The sequencer runs at the actuation rate.
        if (tick++ % actuation_every != 0) {
            record_work(woke);
            continue;
        }
        while (step < sc_.plan.size()) {
            if (!step_active) {
                if (!start_step(step)) {
                    emit(LoopEventKind::actuator_error, static_cast<std::uint32_t>(step));
                    ending = true;
                    break;
                }
                step_active = true;
            }
            if (!tick_step(step)) break;
            emit(LoopEventKind::step_finished, static_cast<std::uint32_t>(step));
            step_active = false;
            ++step;
        }
        if (step >= sc_.plan.size() || fatal_) ending = true;
        record_work(woke);
    }
    fx_.reference().stop();
    fx_.safe_state();
    emit(LoopEventKind::finished, static_cast<std::uint32_t>(std::min(step, sc_.plan.size() - 1)));
    return t0_;
}

}  // namespace rig
