// rig safe: forces every output of a hardware fixture safe, for a supervisor
// to run after the rig's process ended however it ended.
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/hw/hw_fixture.hpp"

namespace rig::cli {

void add_safe_command(CLI::App& app, Commands& cmds) {
    auto fixture = std::make_shared<std::string>();
    auto* sub = app.add_subcommand(
        "safe",
        "Force every output of a hardware fixture safe: pen power and brake low, stepper STEP/DIR low, speed PWM "
        "duty 0 and disabled. Takes no fixture lock and configures nothing, so it works while the rig's process is "
        "dead, hung or killed (systemd: ExecStopPost=/usr/bin/rig safe --fixture /etc/penrig/fixture.yaml). "
        "Exit 0 when every output was made safe.");
    sub->add_option("--fixture", *fixture, "Hardware fixture file")->required()->check(CLI::ExistingFile);
    sub->callback([&cmds, fixture] {
        cmds.run = [fixture]() -> int {
            const auto cfg = load_fixture_or_report(*fixture);
            if (!cfg) return exit_error;
            if (cfg->backend != Backend::hardware) {
                std::cout << "rig safe: fixture '" << cfg->name << "' is not a hardware fixture: nothing to do\n";
                return exit_pass;
            }
            auto platform = hw::make_linux_platform();
            const int failed = hw::force_safe_outputs(*cfg, *platform, std::cout);
            return failed == 0 ? exit_pass : exit_fail;
        };
    });
}

}  // namespace rig::cli
