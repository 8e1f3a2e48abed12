#include "commands.hpp"

namespace rig::cli {
void register_commands(CLI::App& app, Commands& cmds) {
    add_validate_command(app, cmds);
    add_run_commands(app, cmds);
    add_msa_command(app, cmds);
    add_doctor_command(app, cmds);
    add_safe_command(app, cmds);
    add_trend_command(app, cmds);
    add_runs_command(app, cmds);
    add_lot_command(app, cmds);
    add_compare_rigs_command(app, cmds);
    add_fleet_commands(app, cmds);
    add_daemon_commands(app, cmds);
}
}  // namespace rig::cli
