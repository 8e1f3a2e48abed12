#pragma once
// Hardware fixture description (drivers/hw): chip labels, line offsets,
// spidev and PWM paths. Placeholder: the hardware backend fills this in.
#include <string>
namespace rig {
struct HwConfig {
    std::string gpio_chip_label;  // TODO(hw)
};
}  // namespace rig
