// rig compare-rigs: each rig's bias against the fleet for the same golden pen
// (rig/reports/rig_compare.hpp), from the run index or the fleet database.
#include <iomanip>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/fleet/fleet_query.hpp"
#include "rig/reports/rig_compare.hpp"
#include "rig/session/run_session.hpp"

namespace rig::cli {

namespace fs = std::filesystem;

namespace {
nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

RigPoint point_of(const index::PointRow& p) {
    return RigPoint{p.rig_id, p.m.id, p.m.name, p.m.unit, p.m.run_id, p.started_utc, p.verdict, p.complete,
                    p.m.value, p.m.low, p.m.high};
}

nlohmann::json comparison_json(const RigComparisonResult& r) {
    nlohmann::json ms = nlohmann::json::array();
    for (const auto& m : r.measurements) {
        nlohmann::json rigs = nlohmann::json::array();
        for (const auto& b : m.rigs) {
            rigs.push_back({{"rig_id", b.rig_id}, {"n", b.n}, {"value", b.value}, {"bias", b.bias},
                            {"bias_fraction", opt(b.bias_fraction)}, {"drift", b.drift},
                            {"latest_run_id", b.latest_run_id}, {"latest_utc", b.latest_utc}});
        }
        ms.push_back({{"measurement_id", m.measurement_id}, {"name", m.name}, {"unit", m.unit}, {"low", opt(m.low)},
                      {"high", opt(m.high)}, {"reference", m.reference}, {"reference_kind", m.reference_kind},
                      {"rigs", rigs}});
    }
    return {{"measurements", ms}, {"ignored_points", r.ignored_points}, {"drift", r.any_drift()}};
}
}  // namespace

void add_compare_rigs_command(CLI::App& app, Commands& cmds) {
    struct Opts {
        std::string scenario = "GOLDEN-PEN-01", dut, since, reference, state_dir, index_file, db;
        std::size_t last = 5;
        double drift = 0.1;
        bool json = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = app.add_subcommand(
        "compare-rigs",
        "Each rig's bias against the fleet for the same golden pen (scenarios/golden-pen.yaml), per measurement: "
        "the median of each rig's last N valid runs (closed, PASS or FAIL) against the median of the rigs (or "
        "--reference RIG), as a value and as a fraction of the limit span; a rig drifts when |bias| exceeds "
        "--drift-fraction of the span. From the run index, or the fleet database with --db. Exit 0, 1 when a rig "
        "drifts or there is nothing to compare, 2 on bad input.");
    sub->add_option("--dut", o->dut, "Serial of the golden pen")->required();
    sub->add_option("--scenario", o->scenario, "Scenario id of the golden-pen protocol")->capture_default_str();
    sub->add_option("--since", o->since, "Only runs started at or after this UTC time (ISO 8601)");
    sub->add_option("--reference", o->reference, "Compare against this rig instead of the median of the rigs");
    sub->add_option("--last", o->last, "Runs per rig (the last N valid ones)")->capture_default_str()->check(CLI::PositiveNumber);
    sub->add_option("--drift-fraction", o->drift, "Drift threshold as a fraction of the limit span")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_option("--state-dir", o->state_dir, "State folder holding index.sqlite (default: $PENRIG_STATE_DIR or ./.penrig)");
    auto* idx_opt = sub->add_option("--index", o->index_file, "The index file itself");
    sub->add_option("--db", o->db, "Read the fleet database (PostgreSQL URL) instead of the index")->excludes(idx_opt);
    sub->add_flag("--json", o->json, "JSON output");
    sub->callback([&cmds, o] {
        cmds.run = [o]() -> int {
            RigComparison cmp(RigCompareOptions{o->last, o->drift, o->reference});
            index::RunFilter f;
            f.dut = o->dut;
            f.scenario = o->scenario;
            f.since_utc = o->since;
            const auto add = [&cmp](const index::PointRow& p) { cmp.add(point_of(p)); };
            // Either source supplies the points only; the rule is RigComparison's.
            if (!o->db.empty()) {
                fleet::Db db(o->db);
                fleet::for_each_point(db, f, add);
            } else {
                const fs::path file =
                    o->index_file.empty() ? index::index_file(resolve_state_dir(o->state_dir)) : fs::path(o->index_file);
                index::RunIndex(file).for_each_point(f, add);
            }
            RigComparisonResult r;
            try {
                r = cmp.result();
            } catch (const std::invalid_argument& e) {
                std::cerr << "rig compare-rigs: " << e.what() << "\n";
                return exit_error;
            }
            if (o->json) {
                auto js = comparison_json(r);
                js["scenario_id"] = o->scenario;
                js["dut"] = o->dut;
                js["last_n"] = o->last;
                js["drift_fraction"] = o->drift;
                std::cout << js.dump(2) << "\n";
            } else {
                std::cout << "golden pen " << o->dut << ", " << o->scenario << ": last " << o->last
                          << " valid run(s) per rig; drift when |bias| > " << o->drift << " of the limit span\n";
                for (const auto& m : r.measurements) {
                    std::cout << m.measurement_id << " [" << m.unit << "]  reference " << m.reference << " ("
                              << m.reference_kind << ")" << (m.low && m.high ? "" : "  no limit span: never drifts")
                              << "\n";
                    for (const auto& b : m.rigs) {
                        std::cout << "  " << std::left << std::setw(20) << b.rig_id << std::right << " n " << std::setw(3)
                                  << b.n << "  value " << std::setw(12) << b.value << "  bias " << std::setw(12)
                                  << b.bias << "  "
                                  << (b.bias_fraction ? std::to_string(100.0 * *b.bias_fraction) + " % of span" : "-")
                                  << (b.drift ? "  DRIFT" : "") << "\n";
                    }
                }
                if (r.ignored_points > 0) std::cout << r.ignored_points << " point(s) of runs that did not measure validly ignored\n";
            }
            if (r.measurements.empty()) {
                std::cerr << "rig compare-rigs: no valid run of " << o->scenario << " on golden pen " << o->dut << "\n";
                return exit_fail;
            }
            return r.any_drift() ? exit_fail : exit_pass;
        };
    });
}

}  // namespace rig::cli
