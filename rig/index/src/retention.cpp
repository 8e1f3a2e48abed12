#include "rig/index/retention.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <stdexcept>

#include "rig/core/utc_time.hpp"

namespace rig::index {

std::filesystem::path outbox_entry(const std::filesystem::path& state_dir, const std::string& run_id) {
    return state_dir / "outbox" / (run_id + ".json");
}

std::filesystem::path outbox_over_cap(const std::filesystem::path& state_dir) {
    return state_dir / "outbox" / "over-cap.jsonl";
}

std::set<std::string> runs_waiting_to_publish(const std::filesystem::path& state_dir) {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(state_dir / "outbox", ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") out.insert(e.path().stem().string());
    }
    std::ifstream over(outbox_over_cap(state_dir));
    for (std::string line; std::getline(over, line);) {
        // A torn last line (a crash while appending) names no run: skipped.
        const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_object() && j.contains("run_id") && j["run_id"].is_string()) out.insert(j["run_id"].get<std::string>());
    }
    return out;
}

std::vector<PruneDecision> plan_prune(const RunIndex& idx, const RetentionRule& rule,
                                      std::chrono::system_clock::time_point now,
                                      const std::function<bool(const std::string& run_id)>& pending) {
    if (!rule.keep_days && !rule.keep_last) {
        throw std::invalid_argument("a retention rule needs --keep-days or --keep-last (or both)");
    }
    if (rule.keep_days && *rule.keep_days < 0) throw std::invalid_argument("--keep-days must be >= 0");
    const std::string cutoff =
        rule.keep_days ? utc_timestamp(now - std::chrono::days(*rule.keep_days)) : std::string();
    RunFilter all;  // newest first
    const auto runs = idx.runs(all);
    std::set<std::string> seen_dut;
    std::vector<PruneDecision> out;
    out.reserve(runs.size());
    std::size_t rank = 0;
    for (const auto& r : runs) {
        PruneDecision d;
        d.run = r;
        const bool latest_of_dut = !r.dut.empty() && seen_dut.insert(r.dut).second;
        const bool old_enough = !rule.keep_days || r.started_utc < cutoff;
        const bool beyond_last = !rule.keep_last || rank >= *rule.keep_last;
        ++rank;
        if (!old_enough) {
            d.reason = "younger than " + std::to_string(*rule.keep_days) + " days";
        } else if (!beyond_last) {
            d.reason = "among the " + std::to_string(*rule.keep_last) + " newest runs";
        } else if (r.e_signatures > 0) {
            d.reason = r.approved ? "approved (released): signed evidence is kept" : "e-signed: signed evidence is kept";
        } else if (latest_of_dut) {
            d.reason = "latest run of DUT " + r.dut;
        } else if (pending && pending(r.run_id)) {
            d.reason = "waiting in the publish outbox";
        } else {
            d.remove = true;
            d.reason = r.sealed ? "" : "unsealed";
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace rig::index
