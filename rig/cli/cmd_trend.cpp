// rig trend: measurements across runs, from the run index (rig/index).
#include <unistd.h>

#include <fstream>
#include <iomanip>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/index/run_index.hpp"
#include "rig/reports/trend.hpp"
#include "rig/session/run_session.hpp"

namespace rig::cli {

namespace fs = std::filesystem;

namespace {

/// A temporary index for `rig trend RUNS_DIR`, removed with its folder.
class TempIndex {
public:
    TempIndex() {
        std::string tmpl = (fs::temp_directory_path() / "penrig-trend-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
        dir_ = tmpl;
    }
    ~TempIndex() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    TempIndex(const TempIndex&) = delete;
    TempIndex& operator=(const TempIndex&) = delete;
    [[nodiscard]] fs::path file() const { return dir_ / "index.sqlite"; }

private:
    fs::path dir_;
};

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

}  // namespace

void add_trend_command(CLI::App& app, Commands& cmds) {
    struct Opts {
        std::string runs_dir, state_dir, index_file, csv, since;
        index::RunFilter filter;
        double drift = 25.0;
        TrendOptions to;
        bool json = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = app.add_subcommand(
        "trend",
        "Trends across runs (nightly CI), from the run index (<state>/index.sqlite, or a temporary index of RUNS_DIR): "
        "each measurement as a series keyed by scenario, measurement, spec version, fixture backend and rig, oldest "
        "first; each point judged against its own record's limits; baseline = median of the last --baseline good "
        "(PASS) runs before the latest; drift when the latest value is more than --drift % of its limit span from the "
        "baseline. Exit 0, or 1 when a series drifts, its latest point is not PASS, or the latest run of a scenario "
        "on a rig is INCOMPLETE, ABORTED or ERROR; 2 on bad input.");
    sub->add_option("runs_dir", o->runs_dir, "Build a temporary index of this folder of run folders instead of using the rig's index")
        ->check(CLI::ExistingDirectory);
    sub->add_option("--state-dir", o->state_dir, "State folder holding index.sqlite (default: $PENRIG_STATE_DIR or ./.penrig)");
    sub->add_option("--index", o->index_file, "The index file itself");
    sub->add_option("--scenario", o->filter.scenario, "Only this scenario id");
    sub->add_option("--rig", o->filter.rig, "Only this rig id");
    sub->add_option("--dut", o->filter.dut, "Only this DUT");
    sub->add_option("--since", o->filter.since_utc, "Only runs started at or after this ISO 8601 UTC date/time");
    sub->add_option("--csv", o->csv, "Also write every point as CSV to this file (streamed)");
    sub->add_option("--drift", o->drift, "Drift threshold, % of the limit span")->capture_default_str()->check(CLI::Range(0.0, 1000.0));
    sub->add_option("--baseline", o->to.baseline_runs, "Baseline: median of this many last good runs")
        ->capture_default_str()->check(CLI::Range(1, 100000));
    sub->add_option("--min-history", o->to.min_history, "Good runs needed before drift is judged")->capture_default_str();
    sub->add_flag("--across-rigs", o->to.across_rigs, "One series over every rig");
    sub->add_flag("--across-backends", o->to.across_backends, "One series over sim and hardware runs");
    sub->add_flag("--across-spec-versions", o->to.across_spec_versions, "One series over spec versions");
    sub->add_flag("--json", o->json, "Print the series as JSON");
    sub->callback([&cmds, o] {
        cmds.run = [o]() -> int {
            std::optional<TempIndex> tmp;
            fs::path file = o->index_file.empty() ? index::index_file(resolve_state_dir(o->state_dir)) : fs::path(o->index_file);
            if (!o->runs_dir.empty()) {
                tmp.emplace();
                file = tmp->file();
            }
            index::RunIndex idx(file);
            if (!o->runs_dir.empty()) {
                const auto rep = index::reindex(idx, o->runs_dir);
                for (const auto& p : rep.problems) std::cerr << p.run_id << ": skipped: " << p.problem << "\n";
            }
            std::ofstream csv;
            if (!o->csv.empty()) {
                csv.open(o->csv, std::ios::trunc);
                if (!csv) {
                    std::cerr << "rig trend: cannot write " << o->csv << "\n";
                    return exit_error;
                }
                csv << trend_csv_header();
                o->to.on_point = [&csv](const TrendKey& k, const std::string& unit, const TrendPoint& p) {
                    csv << trend_csv_row(k, unit, p);
                };
            }
            o->to.drift_fraction = o->drift / 100.0;
            TrendBuilder b(o->to);
            auto f = o->filter;
            f.complete_only = true;
            std::size_t points = 0;
            idx.for_each_point(f, [&b, &points](const index::PointRow& p) {
                ++points;
                b.add(TrendKey{p.scenario_id, p.m.id, p.spec_version, p.fixture_backend, p.rig_id}, p.m.name, p.m.unit,
                      TrendPoint{p.m.run_id, p.started_utc, p.sw_commit, p.dut, p.m.value, p.m.low, p.m.high, p.m.outcome});
            });
            const auto series = b.finish();
            if (csv.is_open()) {
                csv.close();
                if (!csv) {
                    std::cerr << "rig trend: writing " << o->csv << " failed\n";
                    return exit_error;
                }
            }
            bool attention = false;
            nlohmann::json js = nlohmann::json::array();
            if (!o->json) {
                std::cout << std::left << std::setw(16) << "scenario" << std::setw(26) << "measurement" << std::setw(12)
                          << "rig" << std::right << std::setw(6) << "runs" << std::setw(12) << "baseline" << std::setw(12)
                          << "latest" << "  unit    latest  drift\n";
            }
            for (const auto& s : series) {
                const auto& last = s.points.back();
                const bool drift = s.drift.value_or(false);
                attention = attention || drift || last.outcome != "PASS";
                if (o->json) {
                    js.push_back({{"scenario_id", s.key.scenario_id}, {"measurement_id", s.key.measurement_id},
                                  {"spec_version", s.key.spec_version}, {"fixture_backend", s.key.fixture_backend},
                                  {"rig_id", s.key.rig_id}, {"unit", s.unit}, {"runs", s.runs}, {"valued", s.valued},
                                  {"min", s.min}, {"mean", s.mean}, {"max", s.max}, {"baseline", opt(s.baseline)},
                                  {"baseline_runs", s.baseline_n}, {"latest", opt(last.value)},
                                  {"latest_run_id", last.run_id}, {"latest_outcome", last.outcome},
                                  {"latest_low", opt(last.low)}, {"latest_high", opt(last.high)},
                                  {"drift", s.drift ? nlohmann::json(*s.drift) : nlohmann::json()},
                                  {"drift_band_fraction", s.drift_band_fraction}});
                    continue;
                }
                std::cout << std::left << std::setw(16) << s.key.scenario_id.substr(0, 15) << std::setw(26)
                          << s.key.measurement_id.substr(0, 25) << std::setw(12) << s.key.rig_id.substr(0, 11)
                          << std::right << std::setw(6) << s.runs << std::setprecision(6) << std::setw(12)
                          << (s.baseline ? std::to_string(*s.baseline) : std::string("-")) << std::setw(12)
                          << (last.value ? std::to_string(*last.value) : std::string("-")) << "  " << std::left
                          << std::setw(6) << s.unit << "  " << std::setw(6) << last.outcome << "  "
                          << (s.drift ? (drift ? "DRIFT" : "ok") : "-") << std::right << "\n";
            }
            // The latest run of each scenario on each rig, whatever became of
            // it: a run killed, aborted or errored is not hidden behind older
            // PASSes. (On stderr: --json keeps its array of series on stdout.)
            const auto& lf = o->filter;
            for (const auto& row : idx.latest_runs(lf)) {
                const LatestRun l{row.scenario_id, row.run_id, row.started_utc, row.verdict, row.rig_id};
                if (!l.needs_attention()) continue;
                attention = true;
                std::cerr << "latest run of " << l.scenario_id << " on " << l.rig_id << " (" << l.run_id << ") is "
                          << l.verdict << ": the series show older runs\n";
            }
            if (o->json) std::cout << js.dump(2) << "\n";
            else std::cout << points << " point(s), " << series.size() << " series\n";
            return attention ? exit_fail : exit_pass;
        };
    });
}

}  // namespace rig::cli
