// Placeholder: parsing of the fixture file's `hardware:` section (owned by drivers/hw).
#include "rig/drivers/fixture_config.hpp"
namespace rig {
void parse_hw_section(MapReader& hw, HwConfig& out) {
    if (auto v = hw.string("gpio_chip_label")) out.gpio_chip_label = *v;
}
}  // namespace rig
