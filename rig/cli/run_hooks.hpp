#pragma once
// What a run needs from the layers beside the runner: the fixture factory
// (sim lockstep or real-time), the real-time thread setup, and the evidence
// written when a run ends (HTML report, signed manifest, audit trail).

#include <filesystem>
#include <memory>
#include <string>

#include "rig/drivers/fixture.hpp"
#include "rig/runner/runner.hpp"

namespace rig::cli {

/// --state-dir, else $PENRIG_STATE_DIR, else ./.penrig
std::filesystem::path state_dir(const std::string& option);

/// The fixture for a run; `realtime` puts the sim on the monotonic clock.
std::unique_ptr<Fixture> make_run_fixture(const FixtureConfig& cfg, std::uint64_t seed, bool realtime);

/// Sets RunOptions::realtime_setup and on_finished (report, seal, audit).
/// `realtime`: the acquisition thread gets SCHED_FIFO, memory locking and the
/// fixture's CPU pinning (hardware fixtures always; the sim with --realtime).
void install_run_hooks(RunOptions& ro, const FixtureConfig& fixture, const std::filesystem::path& state, bool sign,
                       bool realtime);

/// Audit entry for a run refused before it started.
void audit_refused(const std::filesystem::path& state, const std::string& who, const Scenario& sc,
                   const std::string& why);

}  // namespace rig::cli
