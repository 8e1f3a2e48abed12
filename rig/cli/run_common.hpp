#pragma once
// What the commands that run scenarios share (rig run, rig msa): the abort
// flag signals set, the signal handling for the length of a run, and who the
// operator is.
#include <atomic>
#include <string>

#include "rig/runner/runner.hpp"

namespace rig::cli {

/// The one process-wide flag a signal handler may touch (a lock-free atomic
/// store is async-signal-safe). The runner's loop sees it within one sample.
std::atomic<bool>& abort_flag();

/// For the length of a run: SIGINT, SIGTERM, SIGHUP (the terminal went away)
/// and SIGQUIT abort it cleanly (fixture safe, record closed ABORTED); SIGPIPE
/// is ignored, so that a closed stdout (`rig run --json | head -1`) is a
/// write error that stops the progress output, never the run.
class SignalGuard {
public:
    SignalGuard();
    ~SignalGuard();
    SignalGuard(const SignalGuard&) = delete;
    SignalGuard& operator=(const SignalGuard&) = delete;
};

/// Operator or CI identity: --operator, else the CI's user variables, else
/// the login name (the environment's, else the password database's).
Identity resolve_identity(const std::string& op);

}  // namespace rig::cli
