// rig msa: a Gage R&R study (AIAG MSA 4th ed., ANOVA method) of a scenario's
// measurements. On the sim the parts and set-ups are simulated (rig/msa/
// study.hpp says what varies); on a hardware fixture the operator is asked to
// mount each part in the randomised order. Each run is an ordinary run folder
// under <study>/runs/ (signed, audited); the study folder holds study.json and
// study.html and is sealed like a run.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <map>

#include "cli_common.hpp"
#include "commands.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/core/utc_time.hpp"
#include "rig/core/version.hpp"
#include "rig/msa/study.hpp"
#include "rig/msa/study_record.hpp"
#include "rig/reports/audit_log.hpp"
#include "rig/reports/bundle.hpp"
#include "rig/scenario/measure_kind.hpp"
#include "rig/session/run_session.hpp"
#include "run_common.hpp"

namespace rig::cli {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;

struct MsaOpts {
    std::string scenario, fixture, out, design = "crossed", state_dir, op;
    std::size_t parts = 10, operators = 3, trials = 3;
    std::uint64_t seed = 1;
    double alpha_interaction = 0.05;
    bool no_sign = false;
};

std::string study_id_now() {
    const auto now = std::chrono::system_clock::now();
    const auto t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "msa-%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

/// The measurements a study analyses: those of the first run (by id, in
/// order) that measure the pen with the rig's calibrated instruments (the
/// registry's `instruments`; the rig's own health, loop timing, is not a
/// measurand of the pen), with the value's unit and limits.
std::vector<msa::MeasurementStudy> studies_from(const RunResult& first, const msa::StudyPlan& plan) {
    std::vector<msa::MeasurementStudy> out;
    for (const auto& m : first.measurements) {
        const MeasureKind* kind = find_measure_kind(m.kind);
        if (kind == nullptr || kind->instruments.empty()) continue;
        msa::MeasurementStudy s;
        s.id = m.id;
        s.name = m.name;
        s.kind = m.kind;
        s.unit = m.unit;
        if (m.low && m.high) s.tolerance = *m.high - *m.low;
        s.table = msa::StudyTable(plan.operators, plan.parts, plan.trials);
        s.have.assign(s.table.values.size(), false);
        out.push_back(std::move(s));
    }
    return out;
}

int run_study(const MsaOpts& o) {
    msa::StudyPlan plan;
    plan.parts = o.parts;
    plan.operators = o.operators;
    plan.trials = o.trials;
    plan.seed = o.seed;
    plan.design = o.design == "nested" ? msa::Design::nested : msa::Design::crossed;
    std::vector<msa::PlannedRun> runs;
    try {
        runs = msa::plan_study(plan);
    } catch (const std::invalid_argument& e) {
        std::cerr << "rig msa: " << e.what() << "\n";
        return exit_error;
    }

    // The scenario with its own fixture first: bad input stops here, before
    // anything is written.
    Diagnostics diags;
    LoadOptions lo;
    lo.default_fixture = default_fixture();
    if (!o.fixture.empty()) lo.fixture_override = o.fixture;
    auto base = load_scenario(o.scenario, diags, lo);
    diags.print(std::cerr);
    if (!base) {
        std::cerr << "rig msa: " << diags.error_count() << " error(s); nothing was started\n";
        return exit_error;
    }
    const auto caps = capabilities_of(base->fixture);
    const bool simulated = caps.model_per_run && caps.injects_faults;
    if (!simulated && ::isatty(STDIN_FILENO) == 0) {
        std::cerr << "rig msa: fixture '" << base->fixture.name
                  << "' has real parts: the study asks the operator to mount each part, and stdin is not a terminal\n";
        return exit_error;
    }
    const std::string study_id = study_id_now();
    const fs::path dir = o.out.empty() ? fs::path("runs") / study_id : fs::path(o.out);
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
        std::cerr << "rig msa: " << dir.string() << " exists and is not empty\n";
        return exit_error;
    }
    fs::create_directories(dir / "runs");
    fs::create_directories(dir / "fixtures");
    const fs::path state = resolve_state_dir(o.state_dir);
    const Identity who = resolve_identity(o.op);
    const std::string base_fixture_text = base->fixture.source.text;
    const std::string started = utc_now();
    AuditLog(state / "audit.jsonl")
        .append(who.name, "msa.started", study_id, nullptr,
                {{"dir", dir.string()}, {"scenario", base->id}, {"parts", o.parts}, {"operators", o.operators}, {"trials", o.trials}});

    std::vector<msa::MeasurementStudy> studies;
    json run_list = json::array();
    const SignalGuard guard;
    const bool tty = ::isatty(STDERR_FILENO) != 0;
    std::size_t done = 0;
    for (const auto& pr : runs) {
        if (abort_flag().load()) break;
        const std::string part = msa::part_name(pr.part_id), op = msa::operator_name(pr.op);
        LoadOptions rlo = lo;
        if (simulated) {
            const fs::path fx = dir / "fixtures" / (part + "-" + op + "-t" + std::to_string(pr.trial + 1) + ".yaml");
            write_file_atomic(fx, msa::fixture_variant(base_fixture_text, pr));
            rlo.fixture_override = fx;
        } else {
            std::cerr << "\n>>> run " << pr.order + 1 << " of " << runs.size() << ": operator " << op << ", mount " << part
                      << " (trial " << pr.trial + 1 << ") and press Enter" << std::flush;
            std::string line;
            if (!std::getline(std::cin, line)) {
                std::cerr << "\nrig msa: no answer from the operator; the study stops\n";
                break;
            }
        }
        Diagnostics rd;
        auto sc = load_scenario(o.scenario, rd, rlo);
        if (!sc) {
            rd.print(std::cerr);
            std::cerr << "rig msa: the fixture of run " << pr.order + 1 << " does not load; the study stops\n";
            break;
        }
        RunOptions ro;
        ro.runs_root = dir / "runs";
        ro.operator_id = simulated ? Identity{"operator " + op + " (simulated set-up)", "rig msa"} : who;
        ro.dut_serial = part;
        ro.extra_tags = {"msa", "msa:" + study_id};
        ro.seed = pr.seed;
        SessionOptions so;
        so.state_dir = state;
        so.sign = !o.no_sign;
        so.actor = who.name;
        RunResult res;
        try {
            RunSession session(*sc, std::move(ro), std::move(so), abort_flag());
            session.preflight();
            res = session.run();
        } catch (const std::exception& e) {
            std::cerr << "rig msa: run " << pr.order + 1 << ": " << e.what() << "; the study stops\n";
            break;
        }
        if (studies.empty()) studies = studies_from(res, plan);
        const std::size_t idx = (pr.op * plan.parts + pr.part) * plan.trials + pr.trial;
        for (auto& s : studies) {
            const Measurement* m = nullptr;
            for (const auto& x : res.measurements)
                if (x.id == s.id) m = &x;
            // A value counts only when the rig could measure it: ERROR (or
            // no value) is a hole in the study, never a number.
            if (m != nullptr && m->value && m->outcome != Outcome::error) {
                s.table.values[idx] = *m->value;
                s.have[idx] = true;
            } else {
                s.missing.push_back("run " + std::to_string(pr.order + 1) + " (" + part + ", operator " + op + ", trial " +
                                    std::to_string(pr.trial + 1) + "): " +
                                    (m == nullptr ? std::string("not measured") : "ERROR: " + m->message));
            }
        }
        run_list.push_back({{"order", pr.order},
                            {"part", part},
                            {"operator", op},
                            {"trial", pr.trial},
                            {"run_id", res.run_id},
                            {"dir", fs::relative(res.dir, dir).string()},
                            {"verdict", to_string(res.verdict)},
                            {"part_params",
                             {{"depth_offset_mm", pr.part_params.depth_offset_m * 1e3},
                              {"rate_error_pct", pr.part_params.rate_error * 100},
                              {"spring_factor", pr.part_params.spring_factor},
                              {"friction_factor", pr.part_params.friction_factor}}},
                            {"setup",
                             {{"encoder_zero_mm", pr.setup.encoder_zero_m * 1e3}, {"load_cell_zero_N", pr.setup.load_cell_zero_n}}}});
        ++done;
        if (tty) std::cerr << "\r\033[Krig msa: " << done << " / " << runs.size() << " runs" << std::flush;
    }
    if (tty) std::cerr << "\n";
    const bool complete = done == runs.size();

    msa::Options ao;
    ao.design = plan.design;
    ao.alpha_interaction = o.alpha_interaction;
    json ms = json::array();
    std::string conclusion = "acceptable";
    const auto worse = [&](const std::string& a) {
        static const std::map<std::string, int> rank = {{"acceptable", 0}, {"conditional", 1}, {"not acceptable", 2}, {"ERROR", 3}};
        if (rank.at(a) > rank.at(conclusion)) conclusion = a;
    };
    for (auto& s : studies) {
        if (!complete)
            s.missing.push_back("the study stopped after " + std::to_string(done) + " of " + std::to_string(runs.size()) + " runs");
        msa::conclude(s, ao);
        worse(s.result ? msa::to_string(s.result->acceptability) : "ERROR");
        ms.push_back(msa::to_json(s));
    }
    if (studies.empty()) conclusion = "ERROR";
    json study = {{"format", "penrig-msa-study/1"},
                  {"study_id", dir.filename().string()},
                  {"software_version", std::string(software_version())},
                  {"started_utc", started},
                  {"finished_utc", utc_now()},
                  {"operator", {{"name", who.name}, {"source", who.source}}},
                  {"scenario", {{"id", base->id}, {"file", o.scenario}, {"version", base->version}}},
                  {"fixture", {{"name", base->fixture.name}, {"backend", simulated ? "sim" : "hardware"}}},
                  {"plan",
                   {{"design", o.design},
                    {"parts", o.parts},
                    {"operators", o.operators},
                    {"trials", o.trials},
                    {"seed", o.seed},
                    {"study_multiplier", ao.study_multiplier},
                    {"alpha_interaction", ao.alpha_interaction},
                    {"randomised", true}}},
                  {"variation", simulated ? msa::to_json(plan.variation) : json("real parts, real set-ups")},
                  {"complete", complete},
                  {"conclusion", conclusion},
                  {"measurements", ms},
                  {"runs", run_list}};
    write_file_atomic(dir / "study.json", study.dump(2) + "\n");
    write_file_atomic(dir / "study.html", msa::render_study_html(study));
    const auto key_file = state / "keys" / "rig.key";
    if (!o.no_sign && fs::exists(key_file, ec)) {
        const AuditLog log(state / "audit.jsonl");
        seal_run_dir(dir, SigningKey::load(key_file), &log);
    }
    AuditLog(state / "audit.jsonl")
        .append(who.name, "msa.ended", study_id, nullptr, {{"dir", dir.string()}, {"conclusion", conclusion}, {"complete", complete}});

    std::cout << "Gage R&R study " << dir.filename().string() << " (" << o.parts << " parts x " << o.operators
              << " operators x " << o.trials << " trials, " << o.design << ")\n";
    for (const auto& s : studies) {
        if (s.result)
            std::printf("  %-24s %%GRR %6.2f %% of %-16s ndc %3d  %s\n", s.id.c_str(), s.result->pct_grr,
                        s.result->pct_grr_of_tolerance ? "tolerance" : "study variation", s.result->ndc,
                        msa::to_string(s.result->acceptability));
        else
            std::printf("  %-24s ERROR: %s\n", s.id.c_str(), s.error.c_str());
    }
    std::cout << "conclusion: " << conclusion << "\nstudy folder: " << dir.string() << "\n";
    if (!complete) return abort_flag().load() ? exit_aborted : exit_error;
    if (conclusion == "acceptable") return exit_pass;
    return conclusion == "ERROR" ? exit_error : exit_fail;
}

}  // namespace

void add_msa_command(CLI::App& app, Commands& cmds) {
    auto o = std::make_shared<MsaOpts>();
    auto* c = app.add_subcommand(
        "msa",
        "Gage R&R study of a scenario's measurements (AIAG MSA 4th ed., ANOVA): parts x operators x trials runs in a "
        "random order, then per measurement EV, AV, %GRR, ndc and the acceptance decision. On the simulated fixture "
        "the parts and set-ups are simulated; on hardware the operator mounts each part when asked.\n"
        "Exit codes: 0 every measurement acceptable, 1 any conditional or not acceptable, 2 ERROR or bad input, "
        "3 aborted.");
    c->add_option("scenario", o->scenario, "Scenario file whose measurements are studied")->required()->check(CLI::ExistingFile);
    c->add_option("--fixture", o->fixture, "Fixture file; default: the scenario's")->check(CLI::ExistingFile);
    c->add_option("--parts", o->parts, "Parts (pens), 2-50")->capture_default_str();
    c->add_option("--operators", o->operators, "Operators (set-ups), 2-10")->capture_default_str();
    c->add_option("--trials", o->trials, "Trials per part and operator, 2-10")->capture_default_str();
    c->add_option("--design", o->design, "crossed (every operator measures every part) or nested (own parts)")
        ->check(CLI::IsMember({"crossed", "nested"}))
        ->capture_default_str();
    c->add_option("--alpha-interaction", o->alpha_interaction,
                  "Pool the operator x part interaction into repeatability when its p-value is above this")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    c->add_option("--seed", o->seed, "Seed of the run order and of the simulated parts and set-ups")->capture_default_str();
    c->add_option("--out", o->out, "Study folder (default: runs/msa-<UTC time>)");
    c->add_option("--operator", o->op, "Who runs the study (default: CI identity or login user)");
    c->add_option("--state-dir", o->state_dir, "Rig state: signing key, audit trail (default: $PENRIG_STATE_DIR or ./.penrig)");
    c->add_flag("--no-sign", o->no_sign, "Do not sign the runs and the study folder even if a rig key exists");
    c->callback([&cmds, o] { cmds.run = [o] { return run_study(*o); }; });
}

}  // namespace rig::cli
