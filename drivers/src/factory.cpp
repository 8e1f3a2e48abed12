#include "rig/drivers/fixture.hpp"
#include "rig/hw/hw_fixture.hpp"
#include "rig/sim/sim_fixture.hpp"

namespace rig {
std::unique_ptr<Fixture> make_fixture(const FixtureConfig& config, std::uint64_t seed) {
    switch (config.backend) {
        case Backend::sim: return make_sim_fixture(config, seed);
        case Backend::hardware: return make_hw_fixture(config);
    }
    throw std::logic_error("unknown fixture backend");
}

std::unique_ptr<Fixture> make_fixture(const FixtureConfig& config, std::uint64_t seed, bool wall_clock) {
    if (config.backend == Backend::sim && wall_clock) return make_sim_fixture(config, seed, SimClockMode::realtime);
    return make_fixture(config, seed);
}
}  // namespace rig
