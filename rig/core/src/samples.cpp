#include "rig/core/samples.hpp"

namespace rig {

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
        case EventKind::index_latched: return "index_latched";
    }
    return "?";
}

}  // namespace rig
