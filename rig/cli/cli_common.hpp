#pragma once
// Shared pieces of the `rig` command line: exit codes, logging, default paths.

#include <filesystem>
#include <optional>
#include <string>

#include "rig/drivers/fixture_config.hpp"

namespace rig::cli {

/// Exit codes of every `rig` command (documented in --help and the README).
enum ExitCode : int {
    exit_pass = 0,      // the run passed / the command succeeded
    exit_fail = 1,      // the pen is out of spec (a measurement FAILed) / a check failed
    exit_error = 2,     // bad input or the rig could not measure validly (ERROR)
    exit_aborted = 3,   // the run was aborted (signal, E-stop, operator)
};

/// Sets up spdlog: plain text to stderr at `level` ("trace".."off"),
/// coloured only when color_allowed() and stderr is a terminal.
void setup_logging(const std::string& level);

/// False when NO_COLOR is set to anything non-empty (https://no-color.org).
bool color_allowed();

/// The login name of the real uid from the password database (for when the
/// environment has no USER/LOGNAME), or nullopt.
std::optional<std::string> login_name();

/// The default fixture: ./fixtures/sim.yaml if present, else the one shipped
/// with the sources this binary was built from.
std::filesystem::path default_fixture();

/// A fixture file loaded for a command, its problems printed to stderr
/// (file:line:col); nullopt when it is not valid (the command exits 2).
std::optional<FixtureConfig> load_fixture_or_report(const std::string& path);

/// The shipped, read-only files (scenarios, specs, fixtures): beside an
/// installed binary (<prefix>/share/penrig), else the sources it was built from.
std::filesystem::path library_dir();

}  // namespace rig::cli

namespace rig {
struct EvidenceOptions;
}
namespace rig::cli {
/// `rig calibrate` on the sim: the model places the reference standards.
void install_sim_standards(rig::EvidenceOptions& ev);
}  // namespace rig::cli
