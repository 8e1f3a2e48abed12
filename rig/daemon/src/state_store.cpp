#include "rig/daemon/state_store.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "rig/core/atomic_file.hpp"

namespace rig::daemon {

const char* to_string(RunState s) {
    switch (s) {
        case RunState::queued: return "queued";
        case RunState::running: return "running";
        case RunState::done: return "done";
        case RunState::incomplete: return "incomplete";
    }
    return "?";
}

std::optional<RunState> run_state_from_string(std::string_view s) {
    for (auto st : {RunState::queued, RunState::running, RunState::done, RunState::incomplete}) {
        if (s == to_string(st)) return st;
    }
    return std::nullopt;
}

nlohmann::json RunEntry::to_json() const {
    nlohmann::json j = {{"run_id", run_id},
                        {"state", to_string(state)},
                        {"scenario_id", scenario_id},
                        {"scenario", submission.scenario_name},
                        {"dut", submission.dut},
                        {"lot", submission.lot},
                        {"operator", {{"name", submission.operator_name}, {"source", submission.operator_source}}},
                        {"submitter", {{"uid", submission.submitter_uid}, {"name", submission.submitter}}},
                        {"tags", submission.tags},
                        {"seed", seed},
                        {"verdict", verdict},
                        {"reason", reason},
                        {"dir", dir},
                        {"submitted_utc", submitted_utc},
                        {"started_utc", started_utc},
                        {"ended_utc", ended_utc}};
    if (state == RunState::queued || state == RunState::running) {
        // Kept so that a queued run can be loaded again after a restart.
        j["submission"] = {{"text", submission.scenario_text}, {"base_dir", submission.base_dir},
                           {"includes", submission.includes}};
        if (submission.seed) j["submission"]["seed"] = *submission.seed;
    }
    return j;
}

RunEntry RunEntry::from_json(const nlohmann::json& j) {
    RunEntry e;
    e.run_id = j.at("run_id").get<std::string>();
    const auto st = run_state_from_string(j.at("state").get<std::string>());
    if (!st) throw std::runtime_error("run " + e.run_id + ": unknown state " + j.at("state").dump());
    e.state = *st;
    e.scenario_id = j.value("scenario_id", "");
    e.submission.scenario_name = j.value("scenario", "");
    e.submission.dut = j.value("dut", "");
    e.submission.lot = j.value("lot", "");
    if (const auto op = j.find("operator"); op != j.end() && op->is_object()) {
        e.submission.operator_name = op->value("name", "");
        e.submission.operator_source = op->value("source", "");
    }
    e.submission.tags = j.value("tags", std::vector<std::string>{});
    if (const auto sb = j.find("submitter"); sb != j.end() && sb->is_object()) {
        e.submission.submitter_uid = sb->value("uid", std::uint32_t{0});
        e.submission.submitter = sb->value("name", "");
    }
    e.seed = j.value("seed", std::uint64_t{1});
    e.verdict = j.value("verdict", "");
    e.reason = j.value("reason", "");
    e.dir = j.value("dir", "");
    e.submitted_utc = j.value("submitted_utc", "");
    e.started_utc = j.value("started_utc", "");
    e.ended_utc = j.value("ended_utc", "");
    if (const auto s = j.find("submission"); s != j.end() && s->is_object()) {
        e.submission.scenario_text = s->value("text", "");
        e.submission.base_dir = s->value("base_dir", "");
        e.submission.includes = s->value("includes", std::map<std::string, std::string>{});
        if (s->contains("seed")) e.submission.seed = s->at("seed").get<std::uint64_t>();
    }
    return e;
}

std::vector<RunEntry> StateFile::load() const {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) return {};
    try {
        const auto j = nlohmann::json::parse(read_file(path_));
        std::vector<RunEntry> runs;
        for (const auto& r : j.at("runs")) runs.push_back(RunEntry::from_json(r));
        return runs;
    } catch (const std::exception& e) {
        throw std::runtime_error("daemon state file " + path_.string() + " cannot be read: " + e.what());
    }
}

void StateFile::save(const std::vector<RunEntry>& runs, const std::string& fixture_name) const {
    nlohmann::json j = {{"schema", "penrig.daemon-state/1"}, {"fixture", fixture_name}, {"runs", nlohmann::json::array()}};
    for (const auto& r : runs) j["runs"].push_back(r.to_json());
    write_file_atomic(path_, j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

bool rewrite_record_verdict(const std::filesystem::path& record_json, const std::string& verdict,
                            const std::string& reason) {
    try {
        auto rec = nlohmann::json::parse(read_file(record_json));
        rec["verdict"] = verdict;
        rec["verdict_reason"] = reason;
        write_file_atomic(record_json, rec.dump(2) + "\n");
        return true;
    } catch (const std::exception& e) {
        spdlog::warn("cannot update {}: {}", record_json.string(), e.what());
        return false;
    }
}

std::vector<std::string> recover_interrupted(std::vector<RunEntry>& runs, const std::string& now_utc) {
    std::vector<std::string> changed;
    for (auto& r : runs) {
        if (r.state != RunState::running) continue;
        changed.push_back(r.run_id);
        r.ended_utc = now_utc;
        r.submission.scenario_text.clear();
        const auto record = std::filesystem::path(r.dir) / "record.json";
        // The record may have been closed just before the daemon died: then
        // its verdict is the run's (it was complete and judged).
        try {
            const auto rec = nlohmann::json::parse(read_file(record));
            if (rec.value("complete", false)) {
                r.state = RunState::done;
                r.verdict = rec.value("verdict", "ERROR");
                r.reason = rec.value("verdict_reason", "");
                continue;
            }
        } catch (const std::exception&) {
            // No record (the daemon died before the runner wrote it) or unreadable.
        }
        r.state = RunState::incomplete;
        r.verdict = "INCOMPLETE";
        r.reason = kInterruptedReason;
        std::error_code ec;
        if (!r.dir.empty() && std::filesystem::exists(record, ec)) {
            rewrite_record_verdict(record, "INCOMPLETE", kInterruptedReason);
        }
    }
    return changed;
}

void prune_finished(std::vector<RunEntry>& runs, std::size_t keep_finished) {
    std::size_t finished = 0;
    for (const auto& r : runs) finished += (r.state == RunState::done || r.state == RunState::incomplete) ? 1u : 0u;
    for (auto it = runs.begin(); it != runs.end() && finished > keep_finished;) {
        if (it->state == RunState::done || it->state == RunState::incomplete) {
            it = runs.erase(it);
            --finished;
        } else {
            ++it;
        }
    }
}

}  // namespace rig::daemon
