// The touch-off sequence (touch_off.hpp), the fixture-file names of the
// reference methods, and the default FaceReferenceDrive of fixtures without one.

#include "rig/drivers/touch_off.hpp"

#include <algorithm>
#include <cmath>

#include "rig/drivers/fixture.hpp"

namespace rig {

std::string_view to_string(ReferenceMethod m) {
    switch (m) {
        case ReferenceMethod::touch_off: return "touch_off";
        case ReferenceMethod::index: return "index";
    }
    return "?";
}

std::optional<ReferenceMethod> reference_method_from_string(std::string_view s) {
    if (s == "touch_off") return ReferenceMethod::touch_off;
    if (s == "index") return ReferenceMethod::index;
    return std::nullopt;
}

bool ReferenceConfig::supports(ReferenceMethod m) const {
    return std::find(methods.begin(), methods.end(), m) != methods.end();
}

std::chrono::nanoseconds IndexReferenceParams::time_bound() const {
    // The pass (ends at the latch or pass_time), then the spin-down with the
    // pen off, and one spin-down's margin for the ticks between them.
    return pass_time + 2 * spin_down;
}

std::chrono::nanoseconds ReferenceConfig::time_bound(ReferenceMethod m) const {
    return m == ReferenceMethod::index ? index.time_bound() : touch_off.time_bound();
}

std::chrono::nanoseconds TouchOffParams::time_bound() const {
    // Worst case: the approach runs to max_travel and the retract comes back
    // from there, the probe goes through back_off plus the stop force's
    // travel (bounded by max_travel), the two dwells, and 20 % margin.
    const double s = 2.0 * max_travel_m / approach_speed_m_s +
                     (back_off_m + TouchOffSequencer::kMaxProbeTravelM) / probe_speed_m_s +
                     2.0 * back_off_m / approach_speed_m_s;
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(1.2 * s)) + 2 * dwell;
}

void TouchOffSequencer::start(std::int64_t now_ns, double position_m) noexcept {
    rest_m_ = position_m;
    turn_m_ = position_m;
    baseline_sum_ = 0.0;
    baseline_n_ = 0;
    contact_ = false;
    enter(Phase::dwell_before, now_ns);
}

double TouchOffSequencer::update(std::int64_t now_ns, double x, std::optional<double> force_n) noexcept {
    const std::int64_t in_phase = now_ns - since_ns_;
    const double baseline = baseline_n_ > 0 ? baseline_sum_ / static_cast<double>(baseline_n_) : 0.0;
    // A missing reading counts as no contact; the analysis judges the samples.
    const double f = force_n && std::isfinite(*force_n) ? *force_n - baseline : 0.0;
    switch (phase_) {
        case Phase::idle: return 0.0;
        case Phase::dwell_before:
            if (force_n && std::isfinite(*force_n)) baseline_sum_ += *force_n, ++baseline_n_;
            if (in_phase < p_.dwell.count()) return 0.0;
            enter(Phase::approach, now_ns);
            return p_.approach_speed_m_s;
        case Phase::approach:
            if (f >= p_.contact_force_n) {
                turn_m_ = x;
                enter(Phase::back_off, now_ns);
                return -p_.approach_speed_m_s;
            }
            if (x - rest_m_ >= p_.max_travel_m) {
                enter(Phase::retract, now_ns);
                return -p_.approach_speed_m_s;
            }
            return p_.approach_speed_m_s;
        case Phase::back_off:
            if (x <= turn_m_ - p_.back_off_m) {
                enter(Phase::probe, now_ns);
                return p_.probe_speed_m_s;
            }
            return -p_.approach_speed_m_s;
        case Phase::probe:
            if (f >= p_.stop_force_n) {
                contact_ = true;
                enter(Phase::retract, now_ns);
                return -p_.approach_speed_m_s;
            }
            if (x - turn_m_ >= kMaxProbeTravelM || x - rest_m_ >= p_.max_travel_m) {
                enter(Phase::retract, now_ns);
                return -p_.approach_speed_m_s;
            }
            return p_.probe_speed_m_s;
        case Phase::retract:
            if (x <= rest_m_) {
                enter(Phase::dwell_after, now_ns);
                return 0.0;
            }
            return -p_.approach_speed_m_s;
        case Phase::dwell_after:
            if (in_phase >= p_.dwell.count()) phase_ = Phase::idle;
            return 0.0;
    }
    return 0.0;
}

namespace {
/// The drive of a fixture without one: refuses every start.
class NoReferenceDrive final : public FaceReferenceDrive {
public:
    bool start_touch_off(std::int64_t) noexcept override { return false; }
    bool start_index(std::int64_t) noexcept override { return false; }
    bool busy(std::int64_t, std::optional<double>) noexcept override { return false; }
    [[nodiscard]] bool contact_found() const noexcept override { return false; }
    void stop() noexcept override {}
};
}  // namespace

FaceReferenceDrive& Fixture::reference() {
    static NoReferenceDrive none;  // stateless
    return none;
}

}  // namespace rig
