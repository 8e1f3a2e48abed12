// rig lot LOT: lot release statistics over the units of a lot (rig/index/lot.hpp).
#include <iomanip>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/fleet/fleet_query.hpp"
#include "rig/index/lot.hpp"
#include "rig/reports/lot_report.hpp"
#include "rig/session/run_session.hpp"

namespace rig::cli {

namespace fs = std::filesystem;

namespace {
nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }
std::string txt(const std::optional<double>& v, int prec = 4) {
    if (!v) return "-";
    std::ostringstream o;
    o << std::setprecision(prec) << *v;
    return o.str();
}
}  // namespace

nlohmann::json lot_statistics_json(const LotStatistics& s) {
    return {{"scenario_id", s.scenario_id}, {"measurement_id", s.measurement_id}, {"name", s.name}, {"unit", s.unit},
            {"low", opt(s.low)}, {"high", opt(s.high)}, {"limits_differ", s.limits_differ}, {"units", s.units},
            {"valued", s.valued}, {"passed", s.passed}, {"pass_rate", s.pass_rate}, {"mean", opt(s.mean)},
            {"sd", opt(s.sd)}, {"min", opt(s.min)}, {"max", opt(s.max)}, {"sigma_within", opt(s.sigma_within)},
            {"cp", opt(s.cp)}, {"cpk", opt(s.cpk)}, {"cpk_lower95", opt(s.cpk_lower95)}, {"pp", opt(s.pp)},
            {"ppk", opt(s.ppk)},
            {"worst", s.worst ? nlohmann::json{{"dut", s.worst->dut}, {"run_id", s.worst->run_id},
                                               {"value", opt(s.worst->value)}, {"margin_half_spans", opt(s.worst_margin)}}
                              : nlohmann::json()}};
}

void add_lot_command(CLI::App& app, Commands& cmds) {
    struct Opts {
        std::string lot, scenario, state_dir, index_file, db, html;
        bool json = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = app.add_subcommand(
        "lot", std::string("Lot release statistics from the run index or the fleet database (--db): per measurement n units, mean, SD, min, max, "
                           "Cp, Cpk with its lower 95 % bound (Bissell), Ppk, PASS rate and the worst unit; "
                           "--html writes a self-contained lot report with histograms against the limits. ") +
                   index::kLotUnitRule + " Exit 0, 1 when the lot has no counted unit, 2 on bad input.");
    sub->add_option("lot", o->lot, "Lot id as recorded (--lot of rig run)")->required();
    sub->add_option("--scenario", o->scenario, "Only this scenario id");
    sub->add_option("--state-dir", o->state_dir, "State folder holding index.sqlite (default: $PENRIG_STATE_DIR or ./.penrig)");
    sub->add_option("--index", o->index_file, "The index file itself");
    sub->add_option("--db", o->db, "Read the fleet database (PostgreSQL URL) instead of the index")
        ->excludes(sub->get_option("--index"));
    sub->add_option("--html", o->html, "Write the HTML lot report to this file");
    sub->add_flag("--json", o->json, "JSON output");
    sub->callback([&cmds, o] {
        cmds.run = [o]() -> int {
            // Either source supplies rows only; the rule and the statistics are one code path (rig/index/lot.hpp).
            index::LotSelection sel;
            std::vector<LotStatistics> stats;
            std::string source;
            if (!o->db.empty()) {
                fleet::Db db(o->db);
                index::RunFilter f;
                f.lot = o->lot;
                f.scenario = o->scenario;
                sel = index::select_units(fleet::runs(db, f));
                stats = index::lot_statistics(sel, [&db](const index::RunRow& r) { return fleet::measurements(db, r.run_id); });
                source = "fleet database";
            } else {
                const fs::path file =
                    o->index_file.empty() ? index::index_file(resolve_state_dir(o->state_dir)) : fs::path(o->index_file);
                const index::RunIndex idx(file);
                sel = index::select_lot_units(idx, o->lot, o->scenario);
                stats = index::lot_statistics(idx, sel);
                source = file.string();
            }
            if (!o->html.empty()) {
                LotReportInput in;
                in.lot = o->lot;
                in.source = source;
                in.unit_rule = index::kLotUnitRule;
                in.generated_utc = utc_now();
                in.stats = stats;
                for (const auto& r : sel.counted) in.units.push_back(r.dut + "  " + r.scenario_id + "  " + r.run_id + "  " + r.verdict);
                in.excluded = sel.excluded;
                write_file_atomic(o->html, lot_report_html(in));
            }
            if (o->json) {
                nlohmann::json js{{"lot", o->lot}, {"unit_rule", index::kLotUnitRule}, {"excluded", sel.excluded}};
                js["units"] = nlohmann::json::array();
                for (const auto& r : sel.counted) js["units"].push_back({{"dut", r.dut}, {"scenario_id", r.scenario_id}, {"run_id", r.run_id}, {"verdict", r.verdict}});
                js["measurements"] = nlohmann::json::array();
                for (const auto& s : stats) js["measurements"].push_back(lot_statistics_json(s));
                std::cout << js.dump(2) << "\n";
            } else {
                std::cout << "lot " << o->lot << ": " << sel.counted.size() << " unit run(s) counted, "
                          << sel.excluded.size() << " run(s) not counted\n";
                std::cout << std::left << std::setw(16) << "scenario" << std::setw(26) << "measurement" << std::right
                          << std::setw(5) << "n" << std::setw(11) << "mean" << std::setw(10) << "SD" << std::setw(8)
                          << "Cp" << std::setw(8) << "Cpk" << std::setw(9) << "Cpk95LB" << std::setw(8) << "Ppk"
                          << std::setw(8) << "PASS%" << "  worst\n";
                for (const auto& s : stats) {
                    std::cout << std::left << std::setw(16) << s.scenario_id.substr(0, 15) << std::setw(26)
                              << s.measurement_id.substr(0, 25) << std::right << std::setw(5) << s.valued
                              << std::setw(11) << txt(s.mean, 6) << std::setw(10) << txt(s.sd, 3) << std::setw(8)
                              << txt(s.cp, 3) << std::setw(8) << txt(s.cpk, 3) << std::setw(9) << txt(s.cpk_lower95, 3)
                              << std::setw(8) << txt(s.ppk, 3) << std::setw(8) << txt(100.0 * s.pass_rate, 4) << "  "
                              << (s.worst ? s.worst->dut : "-") << "\n";
                }
            }
            return sel.counted.empty() ? exit_fail : exit_pass;
        };
    });
}

}  // namespace rig::cli
