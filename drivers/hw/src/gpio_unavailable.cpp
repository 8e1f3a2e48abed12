// Built when CMake found no libgpiod: the hardware fixture then fails at
// construction with a clear message, and everything else still builds.
#include <stdexcept>
#include <string>

#include "rig/hw/gpio.hpp"

namespace rig::hw {
std::unique_ptr<GpioChip> open_gpio_chip(std::string_view label) {
    throw std::runtime_error("cannot open GPIO chip '" + std::string(label) +
                             "': this build has no GPIO backend (libgpiod was not found at build time)");
}
std::string_view gpio_backend_name() noexcept { return "none"; }
}  // namespace rig::hw
