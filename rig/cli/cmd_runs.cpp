// rig runs list|show|reindex|prune: the local run index (rig/index).
#include <iomanip>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/index/retention.hpp"
#include "rig/index/run_index.hpp"
#include "rig/record/record.hpp"
#include "rig/reports/audit_log.hpp"
#include "rig/session/run_session.hpp"

namespace rig::cli {

namespace fs = std::filesystem;

nlohmann::json run_row_json(const index::RunRow& r) {
    return {{"run_id", r.run_id},
            {"dir", r.dir},
            {"verdict", r.verdict},
            {"complete", r.complete},
            {"scenario", {{"id", r.scenario_id}, {"version", r.scenario_version}, {"sha256", r.scenario_sha256}}},
            {"spec", {{"id", r.spec_id}, {"version", r.spec_version}}},
            {"fixture", {{"id", r.fixture_id}, {"backend", r.fixture_backend}}},
            {"rig_id", r.rig_id},
            {"host", r.host},
            {"dut", {{"serial", r.dut}, {"lot", r.lot}}},
            {"operator", r.operator_name},
            {"software", {{"version", r.sw_version}, {"commit", r.sw_commit}}},
            {"started_utc", r.started_utc},
            {"ended_utc", r.ended_utc},
            {"record_sha256", r.record_sha256},
            {"sealed", r.sealed},
            {"e_signatures", r.e_signatures},
            {"approved", r.approved}};
}

namespace {

nlohmann::json opt_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json measurement_json(const index::MeasurementRow& m) {
    return {{"id", m.id},       {"name", m.name}, {"kind", m.kind},       {"value", opt_json(m.value)},
            {"unit", m.unit},   {"low", opt_json(m.low)}, {"high", opt_json(m.high)}, {"outcome", m.outcome}};
}

/// --since: a date (YYYY-MM-DD), a full ISO time, or "Nd" (N days ago).
std::string since_of(const std::string& s) {
    if (s.empty()) return s;
    if (s.size() >= 2 && s.back() == 'd' && s.find_first_not_of("0123456789", 0) == s.size() - 1) {
        const auto days = std::stoi(s.substr(0, s.size() - 1));
        return utc_timestamp(std::chrono::system_clock::now() - std::chrono::days(days));
    }
    if (parse_iso_date(s.substr(0, 10))) return s;
    throw CLI::ValidationError("--since", "expected YYYY-MM-DD, an ISO 8601 UTC time or Nd (days ago): " + s);
}

std::string fmt(const std::optional<double>& v) {
    if (!v) return "-";
    std::ostringstream o;
    o << std::setprecision(6) << *v;
    return o.str();
}

}  // namespace

void add_runs_command(CLI::App& app, Commands& cmds) {
    struct Opts {
        std::string state_dir, index_file, runs_dir, run_id, since, actor;
        index::RunFilter filter;
        bool json = false, dry_run = false;
        std::optional<int> keep_days;
        std::optional<std::size_t> keep_last;
    };
    auto o = std::make_shared<Opts>();
    auto* runs = app.add_subcommand(
        "runs", "The local run index (<state>/index.sqlite): every finished run of `rig run` and the daemon, "
                "with its measurements. The run folders are the source of truth; `reindex` rebuilds the index.");
    runs->require_subcommand(1);
    auto common = [o](CLI::App* s) {
        s->add_option("--state-dir", o->state_dir, "State folder holding index.sqlite (default: $PENRIG_STATE_DIR or ./.penrig)");
        s->add_option("--index", o->index_file, "The index file itself (default: <state>/index.sqlite)");
        s->add_flag("--json", o->json, "JSON output");
    };
    auto index_path = [o] {
        return o->index_file.empty() ? index::index_file(resolve_state_dir(o->state_dir)) : fs::path(o->index_file);
    };

    auto* list = runs->add_subcommand("list", "Runs, newest first, filtered");
    common(list);
    list->add_option("--dut", o->filter.dut, "DUT serial");
    list->add_option("--lot", o->filter.lot, "Cartridge / production lot");
    list->add_option("--scenario", o->filter.scenario, "Scenario id");
    list->add_option("--verdict", o->filter.verdict, "PASS, FAIL, ERROR, ABORTED or INCOMPLETE")
        ->check(CLI::IsMember({"PASS", "FAIL", "ERROR", "ABORTED", "INCOMPLETE"}));
    list->add_option("--rig", o->filter.rig, "Rig id (the host that ran it)");
    list->add_option("--since", o->since, "Started at or after: YYYY-MM-DD, an ISO 8601 UTC time, or Nd (N days ago)");
    list->add_option("--limit", o->filter.limit, "At most this many runs");
    list->callback([&cmds, o, index_path] {
        cmds.run = [o, index_path]() -> int {
            o->filter.since_utc = since_of(o->since);
            const index::RunIndex idx(index_path());
            const auto rows = idx.runs(o->filter);
            if (o->json) {
                auto js = nlohmann::json::array();
                for (const auto& r : rows) js.push_back(run_row_json(r));
                std::cout << js.dump(2) << "\n";
                return exit_pass;
            }
            std::cout << std::left << std::setw(26) << "started (UTC)" << std::setw(11) << "verdict" << std::setw(18)
                      << "scenario" << std::setw(14) << "dut" << std::setw(10) << "lot" << std::setw(14) << "rig"
                      << "run id\n";
            for (const auto& r : rows) {
                std::cout << std::setw(26) << r.started_utc << std::setw(11) << r.verdict << std::setw(18)
                          << r.scenario_id.substr(0, 17) << std::setw(14) << r.dut.substr(0, 13) << std::setw(10)
                          << r.lot.substr(0, 9) << std::setw(14) << r.rig_id.substr(0, 13) << r.run_id << "\n";
            }
            std::cout << rows.size() << " run(s)\n";
            return exit_pass;
        };
    });

    auto* show = runs->add_subcommand("show", "One run and its measurements");
    common(show);
    show->add_option("run_id", o->run_id, "Run id")->required();
    show->callback([&cmds, o, index_path] {
        cmds.run = [o, index_path]() -> int {
            const index::RunIndex idx(index_path());
            const auto r = idx.run(o->run_id);
            if (!r) {
                std::cerr << "rig runs show: " << o->run_id << " is not in the index " << index_path().string() << "\n";
                return exit_fail;
            }
            const auto ms = idx.measurements(o->run_id);
            if (o->json) {
                auto js = run_row_json(*r);
                js["measurements"] = nlohmann::json::array();
                for (const auto& m : ms) js["measurements"].push_back(measurement_json(m));
                std::cout << js.dump(2) << "\n";
                return exit_pass;
            }
            std::cout << "run " << r->run_id << "  " << r->verdict << "\n"
                      << "  folder    " << r->dir << "\n"
                      << "  scenario  " << r->scenario_id << " " << r->scenario_version << " (sha256 " << r->scenario_sha256.substr(0, 12) << ")\n"
                      << "  spec      " << r->spec_id << " " << r->spec_version << "\n"
                      << "  fixture   " << r->fixture_id << " (" << r->fixture_backend << ") on rig " << r->rig_id << "\n"
                      << "  DUT       " << r->dut << "  lot " << r->lot << "  operator " << r->operator_name << "\n"
                      << "  software  " << r->sw_version << " " << r->sw_commit << "\n"
                      << "  time      " << r->started_utc << " .. " << r->ended_utc << "\n"
                      << "  record    sha256 " << r->record_sha256 << (r->sealed ? "  sealed" : "  unsealed")
                      << "  e-signatures " << r->e_signatures << (r->approved ? " (approved)" : "") << "\n";
            for (const auto& m : ms) {
                std::cout << "  " << std::left << std::setw(30) << m.id.substr(0, 29) << std::right << std::setw(12)
                          << fmt(m.value) << " " << std::left << std::setw(6) << m.unit << " [" << fmt(m.low) << ", "
                          << fmt(m.high) << "]  " << m.outcome << std::right << "\n";
            }
            return exit_pass;
        };
    });

    auto* re = runs->add_subcommand("reindex", "Rebuild the index from the run folders in RUNS_DIR (each record's hash "
                                               "checked against its manifest when sealed); exit 1 if a folder was refused");
    common(re);
    re->add_option("runs_dir", o->runs_dir, "Folder holding run folders")->required()->check(CLI::ExistingDirectory);
    re->callback([&cmds, o, index_path] {
        cmds.run = [o, index_path]() -> int {
            index::RunIndex idx(index_path());
            const auto rep = index::reindex(idx, o->runs_dir);
            for (const auto& p : rep.problems) std::cerr << "refused " << p.run_id << ": " << p.problem << "\n";
            if (o->json) {
                std::cout << nlohmann::json{{"indexed", rep.indexed}, {"refused", rep.refused}, {"removed", rep.removed}}.dump()
                          << "\n";
            } else {
                std::cout << rep.indexed << " run(s) indexed, " << rep.refused << " refused, " << rep.removed
                          << " removed (folder gone)\n";
            }
            return rep.refused == 0 ? exit_pass : exit_fail;
        };
    });

    auto* prune = runs->add_subcommand(
        "prune", "Delete old run folders by a retention rule. Deleted only when older than --keep-days and not among "
                 "the --keep-last newest; never a run with an e-signature (reviewed, approved), the latest run of a "
                 "DUT, or a run waiting in the publish outbox. Every deletion goes to the audit trail.");
    common(prune);
    prune->add_option("--keep-days", o->keep_days, "Keep runs started within this many days")->check(CLI::NonNegativeNumber);
    prune->add_option("--keep-last", o->keep_last, "Keep this many newest runs");
    prune->add_flag("--dry-run", o->dry_run, "Print the decision for every run; delete nothing");
    prune->add_option("--operator", o->actor, "Who prunes (audit trail; default $USER)");
    prune->callback([&cmds, o, index_path] {
        cmds.run = [o, index_path]() -> int {
            const fs::path state = resolve_state_dir(o->state_dir);
            index::RunIndex idx(index_path());
            std::vector<index::PruneDecision> plan;
            try {
                const auto waiting = index::runs_waiting_to_publish(state);  // outbox and over-cap list
                plan = index::plan_prune(idx, {o->keep_days, o->keep_last}, std::chrono::system_clock::now(),
                                         [&waiting](const std::string& id) { return waiting.count(id) > 0; });
            } catch (const std::invalid_argument& e) {
                std::cerr << "rig runs prune: " << e.what() << "\n";
                return exit_error;
            }
            std::string actor = o->actor;
            if (actor.empty()) actor = login_name().value_or("unknown");
            std::size_t removed = 0, kept = 0, failed = 0;
            auto js = nlohmann::json::array();
            for (const auto& d : plan) {
                std::string what = d.remove ? (o->dry_run ? "would delete" : "delete") : "keep";
                std::string reason = d.reason;
                bool done = false;
                if (d.remove && !o->dry_run) {
                    // Rule (d): the folder must still hold the record the index names.
                    try {
                        const auto rec = run_record::read_record((fs::path(d.run.dir) / "record.json").string());
                        if (rec.run_id != d.run.run_id) throw std::runtime_error("folder holds run " + rec.run_id);
                        AuditLog(state / "audit.jsonl")
                            .append(actor, "run.pruned", d.run.run_id, nullptr,
                                    {{"dir", d.run.dir}, {"verdict", d.run.verdict}, {"dut", d.run.dut},
                                     {"record_sha256", d.run.record_sha256}, {"sealed", d.run.sealed}});
                        fs::remove_all(d.run.dir);
                        idx.remove(d.run.run_id);
                        done = true;
                    } catch (const std::exception& e) {
                        what = "keep";
                        reason = std::string("not deleted: ") + e.what();
                        ++failed;
                    }
                }
                if (d.remove && (done || o->dry_run)) ++removed;
                else ++kept;
                if (o->json) {
                    js.push_back({{"run_id", d.run.run_id}, {"action", what}, {"reason", reason}, {"dir", d.run.dir}});
                } else {
                    std::cout << std::left << std::setw(13) << what << d.run.run_id << "  " << d.run.started_utc
                              << (reason.empty() ? "" : "  (" + reason + ")") << "\n";
                }
            }
            if (o->json) std::cout << js.dump(2) << "\n";
            else std::cout << removed << (o->dry_run ? " run(s) would be deleted, " : " run(s) deleted, ") << kept << " kept\n";
            return failed == 0 ? exit_pass : exit_fail;
        };
    });
}

}  // namespace rig::cli
