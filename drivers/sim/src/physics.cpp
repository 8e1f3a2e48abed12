// Physics of pen and fixture: motor, cam, needle, return spring, skin
// phantom, brake and depth dial, advanced one fixed sub-step at a time (the
// equations and the choice of integrators are described in model.hpp).

#include <algorithm>
#include <cmath>

#include "model.hpp"

namespace rig::sim {

void SimModel::step() noexcept {
    const std::int64_t t = t_state_;
    prev_y_ = y_;
    prev_force_lp_ = force_lp_;
    prev_current_lp_ = current_lp_;

    // Power switch (hardware): off drops everything, on boots the firmware.
    if (!power_) {
        if (fw_ != FwState::off) {
            fw_ = FwState::off;
            drive_ = false;
            volts_ = 0.0;
            stall_open_ = false;
        }
    } else if (fw_ == FwState::off) {
        fw_ = FwState::booting;
        fw_timer_ = 0;
    }
    // Firmware ticks on a fixed grid (every fw_div_ sub-steps from t = 0);
    // a countdown instead of a 64-bit modulo per step.
    const bool fw_tick = fw_countdown_ == 0;
    fw_countdown_ = fw_tick ? fw_div_ - 1 : fw_countdown_ - 1;
    if (fw_tick) firmware_tick(t);
    if (stall_open_ && (!drive_ || rate_hz_ <= 0.0) && fw_ == FwState::running) stall_open_ = false;

    // Depth dial (actuator at finite speed).
    if (dial_m_ != dial_target_m_) {
        const double d = dial_target_m_ - dial_m_;
        const double maxd = p_.dial_speed_m_per_s * dt_;
        dial_m_ = std::abs(d) <= maxd ? dial_target_m_ : dial_m_ + std::copysign(maxd, d);
    }

    // Electrical: exact for w frozen over the step; open terminals when not driven.
    const double i_ss = drive_ ? (volts_ - p_.back_emf_v_s_per_rad * w_) / p_.resistance_ohm : 0.0;
    i_ = i_ss + (i_ - i_ss) * el_decay_;

    // Mechanical.
    const double m = p_.needle_mass_kg;
    const double dx = h_ * n_ * sin_;
    const double ddx = h_ * n_ * n_ * cos_;
    double j_eff = p_.inertia_kg_m2;
    double t_drive = p_.back_emf_v_s_per_rad * i_ - p_.viscous_friction_n_m_s_per_rad * w_;
    double f_ext = 0.0;  // spring + phantom on the needle (pushing it into the pen)
    if (on_cam_) {
        y_ = cam_x();
        v_ = dx * w_;
        f_ext = spring_force(y_) + phantom_force(y_, v_);
        j_eff += m * dx * dx;
        t_drive -= dx * (m * ddx * w_ * w_ + f_ext);
    }
    const double t_coulomb =
        p_.coulomb_friction_n_m + extra_friction_n_m_ + (brake_ ? brake_torque_n_m_ : 0.0);
    const double w_old = w_;
    bool stuck = false;
    if (w_ == 0.0) {
        if (std::abs(t_drive) <= t_coulomb) {
            stuck = true;
        } else {
            w_ = dt_ * (t_drive - std::copysign(t_coulomb, t_drive)) / j_eff;
        }
    } else {
        const double w_try = w_ + dt_ * (t_drive - std::copysign(t_coulomb, w_)) / j_eff;
        if ((w_try > 0.0) != (w_ > 0.0) && std::abs(t_drive) <= t_coulomb) {
            // Friction brought the rotor to rest within the step and holds it.
            stopped_at_frac_ = w_ / (w_ - w_try);
            w_ = 0.0;
            stuck = true;
        } else {
            w_ = w_try;
        }
    }
    const double alpha = (w_ - w_old) / dt_;
    if (on_cam_) {
        // Contact force the cam must supply; negative = the needle leaves the cam.
        const double contact = m * (ddx * w_old * w_old + dx * alpha) + f_ext;
        if (contact < 0.0) on_cam_ = false;
    }
    th_ += w_ * dt_;
    if (fw_tick) {
        cache_kinematics();
    } else {
        rotate_kinematics(n_ * w_ * dt_);
    }

    const double y_old = y_;
    const double v_old = v_;
    if (on_cam_) {
        y_ = cam_x();
        v_ = h_ * n_ * sin_ * w_;
    } else {
        // Velocity Verlet: second order in position, so the first step off
        // the cam does not overstate the spring's pull (semi-implicit Euler
        // would move the needle by a*dt^2 instead of a*dt^2/2 and land it
        // straight back on the cam).
        const double a0 = -(spring_force(y_) + phantom_force(y_, v_)) / m;
        y_ += v_ * dt_ + 0.5 * a0 * dt_ * dt_;
        const double a1 = -(spring_force(y_) + phantom_force(y_, v_ + a0 * dt_)) / m;
        v_ += 0.5 * (a0 + a1) * dt_;
        const double xc = cam_x();
        if (y_ <= xc) {
            // Lands on the cam: plastic impact, momentum shared through the lever.
            const double lever = h_ * n_ * sin_;
            w_ = (p_.inertia_kg_m2 * w_ + lever * m * v_) / (p_.inertia_kg_m2 + m * lever * lever);
            y_ = xc;
            v_ = lever * w_;
            on_cam_ = true;
        }
    }
    bool face_crossed = false;
    double face_frac = 0.0;
    if (touch_cmd_) {
        // The touch-off plunger (model.hpp): the tip at max(cam, plunger).
        if (!touch_) {
            touch_ = true;
            touch_y_ = y_;
        }
        touch_y_ += touch_v_ * dt_;
        const double xc = cam_x();
        const double y_new = std::max(xc, touch_y_);
        // prev_y_: where the tip really was (y_old is the cam's position here).
        if (prev_y_ < 0.0 && y_new >= 0.0) {
            face_crossed = true;
            face_frac = -prev_y_ / (y_new - prev_y_);
        }
        v_ = touch_y_ > xc ? touch_v_ : 0.0;
        y_ = y_new;
    } else if (touch_) {
        touch_ = false;  // released: back on the cam (the plunger stopped at or below it)
    }
    f_ph_ = phantom_force(y_, v_);

    // Sensor front ends (first-order low-pass, exact per step).
    force_lp_ += lc_alpha_ * (f_ph_ + static_load_n.load(std::memory_order_relaxed) - force_lp_);
    current_lp_ += cs_alpha_ * (i_ - current_lp_);

    if (face_crossed) {
        // The encoder's reading with the tip exactly at the face, now: the
        // truth a reference step is judged against (bounded: a full log keeps
        // what it has and says overflowed()).
        truth_.faces.push(TrueFace{t + truth_epoch_ns_ + std::llround(face_frac * static_cast<double>(dt_ns_)),
                                        encoder_.reading_at_mm(0.0)});
    }
    // A touch-off is not a stroke: the pen is off and the plunger moves the needle.
    if (!touch_) record_truth(t, y_old, v_old, stuck, w_old);
    if (fw_tick) record_true_rate(t + dt_ns_);

    ++steps_;
    t_state_ = t + dt_ns_;
}

void SimModel::set_winding_resistance(double ohm) noexcept {
    // A hot or damaged winding: the motor's R changes, the firmware's estimate
    // for IR compensation (resistance_estimate) does not, so its back-EMF speed
    // estimate is off by (R - R_est) * i and the speed droops under load.
    p_.resistance_ohm = ohm;
    el_decay_ = std::exp(-dt_ * p_.resistance_ohm / p_.inductance_h);
}

}  // namespace rig::sim
