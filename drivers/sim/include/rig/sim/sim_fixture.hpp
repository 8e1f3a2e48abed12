#pragma once
#include <memory>
#include "rig/drivers/fixture.hpp"
namespace rig {
/// The simulated fixture: physics model of pen and rig, lockstep clock.
std::unique_ptr<Fixture> make_sim_fixture(const FixtureConfig& config, std::uint64_t seed);
}
