#pragma once
// Retention of run folders (`rig runs prune`). The rule, in one place:
//
// A run is deleted only when ALL of these hold:
//   1. it started more than `keep_days` days ago (when keep_days is set), and
//   2. it is not among the `keep_last` newest runs of the index (when set);
// and NONE of these protects it:
//   a. it carries an e-signature (signatures.json: reviewed, approved =
//      released, or responsibility taken): signed evidence is kept;
//   b. it is the latest run of its DUT (the unit's current state of evidence);
//   c. it waits in the publish outbox (not yet in the fleet database);
//   d. its folder does not hold the record the index names (moved, changed:
//      nothing is deleted on the index's word alone).
// At least one of keep_days / keep_last must be given. Unsealed runs may be
// deleted, and the plan says so for each. Every deletion is written to the
// audit trail ("run.pruned", with the run's verdict, DUT and record hash).
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rig/index/run_index.hpp"

namespace rig::index {

struct RetentionRule {
    std::optional<int> keep_days;
    std::optional<std::size_t> keep_last;
};

struct PruneDecision {
    RunRow run;
    bool remove = false;
    std::string reason;  // why kept, or what to know about the deletion (e.g. "unsealed")
};

/// `<state_dir>/outbox/<run_id>.json`: a run waiting to be published.
std::filesystem::path outbox_entry(const std::filesystem::path& state_dir, const std::string& run_id);
/// `<state_dir>/outbox/over-cap.jsonl`: runs that found the outbox full (one
/// JSON line each, {"run_id", "dir", "queued_utc"}); they wait to be published
/// too (rig/fleet moves them into the outbox as room frees up).
std::filesystem::path outbox_over_cap(const std::filesystem::path& state_dir);
/// Every run waiting to be published: an outbox entry or a line of over-cap.jsonl.
std::set<std::string> runs_waiting_to_publish(const std::filesystem::path& state_dir);

/// Decides for every run of the index (newest first). `now_utc` is an ISO
/// 8601 UTC time; `pending` says whether a run waits in the outbox.
/// Throws std::invalid_argument when the rule sets neither limit.
std::vector<PruneDecision> plan_prune(const RunIndex& idx, const RetentionRule& rule,
                                      std::chrono::system_clock::time_point now,
                                      const std::function<bool(const std::string& run_id)>& pending);

}  // namespace rig::index
