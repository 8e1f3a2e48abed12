#include "rig/hw/hw_fixture.hpp"
#include <stdexcept>
namespace rig {
std::unique_ptr<Fixture> make_hw_fixture(const FixtureConfig&) {
    throw std::runtime_error("hardware fixture: not built yet");
}
}  // namespace rig
