// `rig`: the penrig command line. Thin: each subcommand parses its options and
// calls into the libraries (rig::scenario, rig::runner, rig::daemon, ...).

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "evidence_commands.hpp"
#include "rig/sim/sim_fixture.hpp"
#include "rig/core/units.hpp"
#include "rig/core/version.hpp"

namespace rig::cli {

bool color_allowed() {
    const char* v = std::getenv("NO_COLOR");
    return v == nullptr || *v == '\0';
}

std::optional<std::string> login_name() {
    passwd pw{};
    passwd* res = nullptr;
    char buf[1024];
    if (::getpwuid_r(::getuid(), &pw, buf, sizeof buf, &res) != 0 || res == nullptr) return std::nullopt;
    return std::string(pw.pw_name);
}

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("rig", color_allowed() ? spdlog::color_mode::automatic : spdlog::color_mode::never);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    logger->set_level(spdlog::level::from_str(level));
    spdlog::set_default_logger(logger);
}

std::filesystem::path library_dir() {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto installed = exe.parent_path().parent_path() / "share" / "penrig";
        if (std::filesystem::exists(installed / "fixtures" / "sim.yaml", ec)) return installed;
    }
    return std::filesystem::path(PENRIG_DATA_DIR);
}

std::optional<FixtureConfig> load_fixture_or_report(const std::string& path) {
    Diagnostics d;
    auto cfg = load_fixture(path, d);
    d.print(std::cerr);
    return cfg;
}

std::filesystem::path default_fixture() {
    // The current folder first (a source checkout), then the shipped files.
    std::error_code ec;
    if (std::filesystem::exists("fixtures/sim.yaml", ec)) return "fixtures/sim.yaml";
    return library_dir() / "fixtures" / "sim.yaml";
}

namespace {
// On the simulated fixture the reference standards of `rig calibrate` are
// placed by the model (a weight on the load cell, a gauge block under the
// needle); on hardware the operator places them when prompted.
class SimStandard final : public rig::ReferenceLoad, public rig::GaugeBlock {
public:
    explicit SimStandard(rig::SimFixture& f) : f_(f) {}
    void apply_n(double force_n) override { f_.apply_static_load_n(force_n); }
    void place_mm(double thickness_mm) override { f_.hold_needle_at_mm(thickness_mm); }
    void remove() override {
        f_.apply_static_load_n(0.0);
        f_.release_needle();
    }

private:
    rig::SimFixture& f_;
};
}  // namespace

void install_sim_standards(rig::EvidenceOptions& ev) {
    ev.reference_load = [](rig::Fixture& f) -> std::unique_ptr<rig::ReferenceLoad> {
        if (auto* s = dynamic_cast<rig::SimFixture*>(&f)) return std::make_unique<SimStandard>(*s);
        return nullptr;
    };
    ev.gauge_block = [](rig::Fixture& f) -> std::unique_ptr<rig::GaugeBlock> {
        if (auto* s = dynamic_cast<rig::SimFixture*>(&f)) return std::make_unique<SimStandard>(*s);
        return nullptr;
    };
}

/// "rig: unknown command 'rn'; did you mean 'run'?" when the first word
/// that is not an option names no subcommand (CLI11 would say "A subcommand
/// is required").
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") return std::nullopt;
        if (a.rfind('-', 0) == 0) {
            // An option of the app that takes a value: skip the value too.
            if (a == "--log-level") ++i;
            continue;
        }
        if (std::find(names.begin(), names.end(), a) != names.end()) return std::nullopt;
        std::string best;
        std::size_t best_d = std::string::npos;
        for (const auto& n : names) {
            const std::size_t d = rig::edit_distance(a, n);
            if (d < best_d) {
                best_d = d;
                best = n;
            }
        }
        std::string msg = "rig: unknown command '" + a + "'";
        if (best_d <= 2 || (!best.empty() && best.rfind(a, 0) == 0)) msg += "; did you mean '" + best + "'?";
        std::string all;
        for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
        return msg + "\ncommands: " + all + "\n(rig --help describes each)\n";
    }
    return std::nullopt;
}

}  // namespace rig::cli

int main(int argc, char** argv) {
    using namespace rig::cli;
    CLI::App app{
        "rig - hardware-in-the-loop test rig for motorised microneedling pens.\n"
        "Replays YAML scenarios on a fixture (the simulated one by default), measures the pen\n"
        "against its specification and writes a signed, traceable run record.\n\n"
        "Exit codes: 0 pass, 1 fail (pen out of spec), 2 error or bad input, 3 aborted.",
        "rig"};
    app.set_version_flag("--version", std::string(rig::software_version()) + " (" + std::string(rig::git_commit()) + ")");
    app.require_subcommand(1);
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "Logging threshold on stderr: trace, debug, info, warn, error, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
        ->capture_default_str();

    Commands cmds;
    register_commands(app, cmds);
    // The evidence commands (report, verify, keygen, sign, audit, calibrate)
    // do their work in their parse callbacks and leave the exit code here.
    rig::EvidenceOptions evidence;
    install_sim_standards(evidence);
    rig::add_evidence_commands(app, evidence);
    cmds.run = [&evidence] { return evidence.exit_code; };

    // Global options (--log-level) are accepted after the subcommand too.
    app.fallthrough();
    for (auto* sub : app.get_subcommands({})) sub->fallthrough();
    if (const auto unknown = unknown_command(app, argc, argv)) {
        std::cerr << *unknown;
        return exit_error;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : exit_error;
    }
    setup_logging(log_level);
    try {
        return cmds.run();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return exit_error;
    }
}
