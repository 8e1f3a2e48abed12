#include "rig/sim/sim_fixture.hpp"
#include <stdexcept>
namespace rig {
std::unique_ptr<Fixture> make_sim_fixture(const FixtureConfig&, std::uint64_t) {
    throw std::runtime_error("sim fixture: not built yet");
}
}  // namespace rig
