// `rig`: the penrig command line. Thin: each subcommand parses its options and
// calls into the libraries (rig::scenario, rig::runner, rig::daemon, ...).

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "evidence_commands.hpp"
#include "rig/sim/sim_fixture.hpp"
#include "rig/core/version.hpp"

namespace rig::cli {

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("rig");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    logger->set_level(spdlog::level::from_str(level));
    spdlog::set_default_logger(logger);
}

std::filesystem::path default_fixture() {
    // The current folder first (a source checkout), then beside an installed
    // binary (<prefix>/share/penrig), then the sources this binary was built from.
    std::error_code ec;
    if (std::filesystem::exists("fixtures/sim.yaml", ec)) return "fixtures/sim.yaml";
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto installed = exe.parent_path().parent_path() / "share" / "penrig" / "fixtures" / "sim.yaml";
        if (std::filesystem::exists(installed, ec)) return installed;
    }
    return std::filesystem::path(PENRIG_DATA_DIR) / "fixtures" / "sim.yaml";
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
