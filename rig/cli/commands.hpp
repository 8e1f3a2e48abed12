#pragma once
// Registration of every `rig` subcommand. Each registers its options on the
// app and sets Commands::run to its handler when selected.

#include <CLI/CLI.hpp>

#include <functional>

namespace rig::cli {

struct Commands {
    std::function<int()> run = [] { return 0; };
};

void register_commands(CLI::App& app, Commands& cmds);

void add_validate_command(CLI::App& app, Commands& cmds);
void add_run_commands(CLI::App& app, Commands& cmds);     // run, analyze, export-csv
void add_msa_command(CLI::App& app, Commands& cmds);      // msa (Gage R&R study)
void add_daemon_commands(CLI::App& app, Commands& cmds);  // serve, submit, status, watch, abort, queue
void add_doctor_command(CLI::App& app, Commands& cmds);
void add_trend_command(CLI::App& app, Commands& cmds);   // trend
void add_safe_command(CLI::App& app, Commands& cmds);    // safe (hardware outputs)
void add_runs_command(CLI::App& app, Commands& cmds);    // runs list|show|reindex|prune (the run index)
void add_lot_command(CLI::App& app, Commands& cmds);     // lot (lot release statistics)
void add_fleet_commands(CLI::App& app, Commands& cmds);  // db migrate, publish (the fleet database)
void add_compare_rigs_command(CLI::App& app, Commands& cmds);  // compare-rigs (golden-pen bias per rig)

}  // namespace rig::cli
