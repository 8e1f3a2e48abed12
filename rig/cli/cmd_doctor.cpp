// rig doctor: checks a hardware fixture file against this machine.
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/hw/doctor.hpp"

namespace rig::cli {

void add_doctor_command(CLI::App& app, Commands& cmds) {
    auto fixture = std::make_shared<std::string>();
    auto* sub = app.add_subcommand(
        "doctor",
        "Check this machine against a hardware fixture file: GPIO chips and lines by label, spidev and PWM nodes and "
        "their permissions, gpio/spi group membership, RT priority and memlock limits, kernel preemption model, CPU "
        "isolation. Prints what to fix. Exit 0 when everything needed is there.");
    sub->add_option("--fixture", *fixture, "Hardware fixture file (e.g. fixtures/pi4-reference.yaml)")
        ->check(CLI::ExistingFile);
    sub->callback([&cmds, fixture] {
        cmds.run = [fixture]() -> int {
            if (fixture->empty()) return hw::run_doctor(nullptr, std::cout) == 0 ? exit_pass : exit_fail;
            const auto cfg = load_fixture_or_report(*fixture);
            if (!cfg) return exit_error;
            return hw::run_doctor(&*cfg, std::cout) == 0 ? exit_pass : exit_fail;
        };
    });
}

}  // namespace rig::cli
