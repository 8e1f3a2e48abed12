#pragma once
#include <memory>
#include "rig/drivers/fixture.hpp"
namespace rig {
/// The Raspberry Pi reference fixture (GPIO, SPI chips, PWM).
std::unique_ptr<Fixture> make_hw_fixture(const FixtureConfig& config);
}
