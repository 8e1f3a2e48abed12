// rig trend: measurements across the run folders of a runs directory.
#include <iomanip>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/record/record.hpp"
#include "rig/reports/trend.hpp"

namespace rig::cli {

void add_trend_command(CLI::App& app, Commands& cmds) {
    struct Opts {
        std::string runs_dir = "runs", scenario, csv;
        double drift = 25.0;
        bool json = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = app.add_subcommand(
        "trend",
        "Trends across runs (nightly CI): each measurement of each scenario over the complete run records in a "
        "runs folder, oldest first, with min/mean/max, the latest outcome and a drift flag when the latest value "
        "moved more than --drift % of its limit band from the mean of the earlier runs. Exit 0, or 1 when a "
        "series drifts or its latest run is not PASS, or the latest run of a scenario is INCOMPLETE, ABORTED or "
        "ERROR; 2 on bad input.");
    sub->add_option("runs_dir", o->runs_dir, "Folder holding run folders")->capture_default_str()->check(CLI::ExistingDirectory);
    sub->add_option("--scenario", o->scenario, "Only this scenario id");
    sub->add_option("--csv", o->csv, "Also write every point as CSV to this file");
    sub->add_option("--drift", o->drift, "Drift threshold, % of the limit band")->capture_default_str()->check(CLI::Range(0.0, 1000.0));
    sub->add_flag("--json", o->json, "Print the series as JSON");
    sub->callback([&cmds, o] {
        cmds.run = [o]() -> int {
            std::vector<run_record::RunRecord> recs;
            for (const auto& e : std::filesystem::directory_iterator(o->runs_dir)) {
                const auto p = e.path() / "record.json";
                std::error_code ec;
                if (!std::filesystem::exists(p, ec)) continue;
                try {
                    auto r = run_record::read_record(p.string());
                    if (o->scenario.empty() || r.scenario.id == o->scenario) recs.push_back(std::move(r));
                } catch (const std::exception& ex) {
                    std::cerr << p.string() << ": skipped: " << ex.what() << "\n";
                }
            }
            TrendOptions to;
            to.drift_fraction = o->drift / 100.0;
            const auto series = build_trends(recs, to);
            if (!o->csv.empty()) write_file_atomic(o->csv, trends_csv(series));
            bool attention = false;
            nlohmann::json js = nlohmann::json::array();
            if (!o->json) {
                std::cout << std::left << std::setw(16) << "scenario" << std::setw(28) << "measurement" << std::right
                          << std::setw(5) << "runs" << std::setw(12) << "min" << std::setw(12) << "mean" << std::setw(12)
                          << "max" << std::setw(12) << "latest" << "  unit    latest  drift\n";
            }
            for (const auto& s : series) {
                const auto& last = s.points.back();
                const bool drift = s.drift.value_or(false);
                attention = attention || drift || last.outcome != "PASS";
                if (o->json) {
                    js.push_back({{"scenario_id", s.scenario_id}, {"measurement_id", s.measurement_id},
                                  {"unit", s.unit}, {"runs", s.points.size()}, {"min", s.min}, {"mean", s.mean},
                                  {"max", s.max}, {"latest", last.value ? nlohmann::json(*last.value) : nlohmann::json()},
                                  {"latest_outcome", last.outcome},
                                  {"drift", s.drift ? nlohmann::json(*s.drift) : nlohmann::json()},
                                  {"drift_band_fraction", s.drift_band_fraction}});
                    continue;
                }
                std::cout << std::left << std::setw(16) << s.scenario_id.substr(0, 15) << std::setw(28)
                          << s.measurement_id.substr(0, 27) << std::right << std::setw(5) << s.points.size()
                          << std::setprecision(6) << std::setw(12) << s.min << std::setw(12) << s.mean << std::setw(12)
                          << s.max << std::setw(12) << (last.value ? std::to_string(*last.value) : std::string("-"))
                          << "  " << std::left << std::setw(6) << s.unit << "  " << std::setw(6) << last.outcome << "  "
                          << (s.drift ? (drift ? "DRIFT" : "ok") : "-") << std::right << "\n";
            }
            // The latest run of each scenario, whatever became of it: a run
            // killed, aborted or errored is not hidden behind older PASSes.
            // (On stderr: --json keeps its array of series on stdout.)
            for (const auto& l : latest_runs(recs)) {
                if (!l.needs_attention()) continue;
                attention = true;
                std::cerr << "latest run of " << l.scenario_id << " (" << l.run_id << ") is " << l.verdict
                          << ": the series show older runs\n";
            }
            if (o->json) std::cout << js.dump(2) << "\n";
            else std::cout << recs.size() << " run record(s), " << series.size() << " series\n";
            return attention ? exit_fail : exit_pass;
        };
    });
}

}  // namespace rig::cli
