// What a fixture can do, from its config alone: in rig::driver_api (not the
// factory) so that scenario validation asks it too without linking a backend.
#include "rig/drivers/fixture.hpp"

namespace rig {
FixtureCapabilities capabilities_of(const FixtureConfig& config) {
    FixtureCapabilities c;
    switch (config.backend) {
        case Backend::sim:
            c.exclusive = false;
            c.model_per_run = true;
            c.acknowledges_prompts = true;
            c.needs_realtime_thread = false;
            c.injects_faults = true;
            break;
        case Backend::hardware: break;
    }
    return c;
}
}  // namespace rig
