// rig run / rig analyze / rig export-csv
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <iomanip>
#include <iostream>

#include "cli_common.hpp"
#include "run_common.hpp"
#include "commands.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/reports/summary.hpp"
#include "rig/runner/runner.hpp"
#include "rig/scenario/face_reference.hpp"
#include "rig/runner/samples_file.hpp"
#include "rig/session/run_session.hpp"

namespace rig::cli {
namespace {

/// Progress for a person on a terminal: one line, rewritten in place, with
/// the last measurement; the summary lists every measurement once at the end.
class TtyProgress final : public RunObserver {
public:
    void on_step(std::size_t index, const PlanStep& step, double) override {
        step_ = "step " + std::to_string(index + 1) + " (line " + std::to_string(step.where.line) + ") " + step.label;
    }
    void on_progress(double t, double expected, double rate, double depth) override {
        std::cerr << "\r\033[K" << std::fixed << std::setprecision(1) << t << " / " << expected << " s  "
                  << std::setprecision(1) << rate << " Hz  " << std::setprecision(3) << depth << " mm  "
                  << step_.substr(0, 50) << (last_.empty() ? "" : "  | " + last_) << std::flush;
    }
    void on_measurement(const Measurement& m) override { last_ = m.id + " " + to_string(m.outcome); }
    void on_provisional_measurement(const Measurement& m, const std::string&) override {
        last_ = m.id + " " + to_string(m.outcome) + " (provisional)";
    }
    void on_final_measurement(const Measurement& m) override { on_measurement(m); }
    void on_finished(Verdict, const std::string&) override { std::cerr << "\r\033[K" << std::flush; }

private:
    std::string step_, last_;
};

/// Machine-readable progress: one JSON object per line on stdout. Once stdout
/// is closed (the reader left), output stops and the run goes on.
class JsonProgress final : public RunObserver {
public:
    void on_started(const std::string& id, const std::filesystem::path& dir) override {
        emit({{"event", "started"}, {"run_id", id}, {"dir", dir.string()}});
    }
    void on_step(std::size_t index, const PlanStep& step, double t) override {
        emit({{"event", "step"}, {"index", index}, {"line", step.where.line}, {"label", step.label}, {"t_s", t}});
    }
    void on_measurement(const Measurement& m) override {
        emit({{"event", "measurement"}, {"measurement", m.to_json()}, {"provisional", false}});
    }
    void on_provisional_measurement(const Measurement& m, const std::string& awaiting) override {
        auto mj = m.to_json();
        mj["outcome"] = provisional_outcome(m.outcome);
        emit({{"event", "measurement"}, {"measurement", mj}, {"provisional", true}, {"awaiting", awaiting}});
    }
    void on_final_measurement(const Measurement& m) override {
        emit({{"event", "measurement"}, {"measurement", m.to_json()}, {"provisional", false}, {"final", true}});
    }
    void on_finished(Verdict v, const std::string& reason) override {
        emit({{"event", "verdict"}, {"verdict", to_string(v)}, {"reason", reason}});
    }
    static void emit(const nlohmann::json& j) {
        if (!std::cout) return;
        std::cout << j.dump() << std::endl;
    }
};

}  // namespace

void add_run_commands(CLI::App& app, Commands& cmds) {
    struct Opts : PenOptions {
        std::string scenario, fixture, out, runs_dir = "runs", state_dir, lock_dir = "/run/lock";
        bool json = false, realtime = false, no_sign = false;
    };
    auto o = std::make_shared<Opts>();
    auto* run = app.add_subcommand(
        "run",
        "Run a scenario on a fixture (the simulated one unless the scenario or --fixture names another) and write "
        "the run folder: record.json, samples.bin, junit.xml, report.html, signed manifest.\n"
        "Exit codes: 0 PASS, 1 FAIL (pen out of spec), 2 ERROR or bad input, 3 ABORTED (Ctrl-C, SIGTERM, E-stop).");
    run->add_option("scenario", o->scenario, "Scenario file (scenarios/*.yaml)")->required()->check(CLI::ExistingFile);
    run->add_option("--fixture", o->fixture, "Fixture file; default: the scenario's, then fixtures/sim.yaml")
        ->check(CLI::ExistingFile);
    run->add_option("--out", o->out, "Run folder to write (default: <runs-dir>/<run-id>)");
    run->add_option("--runs-dir", o->runs_dir, "Parent folder of run folders")->capture_default_str();
    add_pen_options(run, *o);
    run->add_option("--state-dir", o->state_dir, "Rig state: signing key, audit trail (default: $PENRIG_STATE_DIR or ./.penrig)");
    run->add_option("--lock-dir", o->lock_dir,
                    "Where hardware fixtures are locked (the same lock as `rig serve`: one process per rig)")
        ->capture_default_str();
    run->add_flag("--json", o->json, "Machine-readable progress: one JSON object per line on stdout");
    run->add_flag("--realtime", o->realtime,
                  "Run the simulated fixture on the real monotonic clock with the real-time acquisition thread");
    run->add_flag("--no-sign", o->no_sign, "Do not sign the run folder even if a rig key exists");
    run->callback([&cmds, o] {
        cmds.run = [o]() -> int {
            Diagnostics diags;
            LoadOptions lo;
            lo.default_fixture = default_fixture();
            if (!o->fixture.empty()) lo.fixture_override = o->fixture;
            auto sc = load_scenario(o->scenario, diags, lo);
            diags.print(std::cerr);
            if (!sc) {
                std::cerr << "rig run: " << diags.error_count() << " error(s); nothing was started\n";
                return exit_error;
            }
            RunOptions ro;
            ro.runs_root = o->runs_dir;
            if (!o->out.empty()) ro.out_dir = o->out;
            ro.operator_id = resolve_identity(o->op);
            ro.dut_serial = o->dut;
            ro.lot = o->lot;
            ro.seed = o->seed.value_or(sc->seed);
            ro.prompt = [](const std::string& text) {
                if (::isatty(STDIN_FILENO) == 0) return false;
                std::cerr << "\n>>> " << text << "\n    press Enter when done" << std::flush;
                std::string line;
                return static_cast<bool>(std::getline(std::cin, line));
            };
            SessionOptions so;
            so.state_dir = resolve_state_dir(o->state_dir);
            so.lock_dir = o->lock_dir;
            so.sign = !o->no_sign;
            so.realtime = o->realtime;
            TtyProgress tty;
            JsonProgress json;
            RunObserver* obs = o->json ? static_cast<RunObserver*>(&json)
                                       : (::isatty(STDERR_FILENO) != 0 ? static_cast<RunObserver*>(&tty) : nullptr);
            std::optional<RunSession> session;
            try {
                session.emplace(*sc, std::move(ro), std::move(so), abort_flag(), obs);
                session->preflight();
            } catch (const FixtureBusy& e) {
                std::cerr << "rig run: " << e.what() << "\n";
                return exit_error;
            } catch (const InputError& e) {
                std::cerr << e.what() << "\n";
                return exit_error;
            }
            const SignalGuard guard;
            const RunResult res = session->run();
            if (!o->json) {
                print_summary(std::cout, res.run_record, ::isatty(STDOUT_FILENO) != 0 && color_allowed());
                std::cout << "\nrun folder: " << res.dir.string() << "\n";
            } else {
                JsonProgress::emit({{"event", "done"}, {"run_id", res.run_id}, {"dir", res.dir.string()},
                                    {"verdict", to_string(res.verdict)}, {"exit_code", exit_code(res.verdict)}});
            }
            return exit_code(res.verdict);
        };
    });

    auto dir = std::make_shared<std::string>();
    auto* an = app.add_subcommand("analyze",
                                  "Re-run the analysis of a run folder from its raw samples and the scenario, spec "
                                  "and fixture texts in its record; exit 0 if every measurement is reproduced "
                                  "exactly, 1 if any differs, 2 on bad input.");
    an->add_option("run_dir", *dir, "Run folder")->required()->check(CLI::ExistingDirectory);
    an->callback([&cmds, dir] {
        cmds.run = [dir]() -> int {
            const auto rec = nlohmann::json::parse(read_file(std::filesystem::path(*dir) / "record.json"));
            const auto again = reanalyze(*dir);
            const auto& orig = rec.at("measurements");
            int diffs = 0;
            if (orig.size() != again.size()) {
                std::cout << "measurement count differs: record " << orig.size() << ", re-analysis " << again.size() << "\n";
                ++diffs;
            }
            for (std::size_t i = 0; i < std::min(orig.size(), again.size()); ++i) {
                const auto a = Measurement::reproducible(again[i].to_json());
                auto b = Measurement::reproducible(orig[i]);
                const bool same = a == b;
                std::cout << (same ? "same  " : "DIFF  ") << b.value("id", "") << "  " << b["value"].dump() << " "
                          << b.value("unit", "") << "  " << b.value("outcome", "") << "\n";
                if (!same) {
                    ++diffs;
                    std::cout << "      record:      " << b.dump() << "\n      re-analysis: " << a.dump() << "\n";
                }
            }
            std::cout << (diffs == 0 ? "every measurement reproduced exactly\n" : "re-analysis differs from the record\n");
            return diffs == 0 ? exit_pass : exit_fail;
        };
    });

    auto csv = std::make_shared<std::pair<std::string, std::string>>();
    auto* ex = app.add_subcommand("export-csv", "Write a run folder's raw samples (samples.bin) as CSV");
    ex->add_option("run_dir", csv->first, "Run folder")->required()->check(CLI::ExistingDirectory);
    ex->add_option("-o,--output", csv->second, "CSV file (default: RUN_DIR/samples.csv)");
    ex->callback([&cmds, csv] {
        cmds.run = [csv]() -> int {
            const std::filesystem::path d(csv->first);
            // A run killed outright left its samples as a readable prefix in samples.bin.part.
            std::error_code ec;
            const auto in = std::filesystem::exists(d / "samples.bin", ec) ? d / "samples.bin"
                                                                           : d / ("samples.bin" + std::string(kSamplesPartialSuffix));
            const auto info = inspect_samples(in);
            const std::filesystem::path out = csv->second.empty() ? d / "samples.csv" : std::filesystem::path(csv->second);
            write_samples_csv(in, out);  // streamed, bounded memory
            std::cout << info.count << " samples written to " << out.string()
                      << (info.complete ? "" : " (a prefix: the run did not close its samples file)") << "\n";
            return exit_pass;
        };
    });
}

}  // namespace rig::cli
