// The evidence subcommands driven in-process through CLI11, as `rig` runs them.
#include <sstream>

#include "catch.hpp"
#include "evidence_commands.hpp"
#include "fake_fixture.hpp"
#include "run_folder.hpp"

namespace fs = std::filesystem;

namespace {
struct Cli {
    rig::EvidenceOptions opts;
    std::istringstream in;
    std::ostringstream out, err;

    explicit Cli(const fs::path& state, std::string input = {}) : in(std::move(input)) {
        opts.state_dir = state.string();
        opts.in = &in;
        opts.out = &out;
        opts.err = &err;
    }
    int run(std::vector<std::string> args) {
        CLI::App app("rig");
        app.require_subcommand(1);
        rig::add_evidence_commands(app, opts);
        std::vector<const char*> argv{"rig"};
        for (const auto& a : args) argv.push_back(a.c_str());
        try {
            app.parse(static_cast<int>(argv.size()), argv.data());
        } catch (const CLI::ParseError& e) {
            return app.exit(e, out, err) == 0 ? 0 : 2;
        }
        return opts.exit_code;
    }
};
}  // namespace

TEST_CASE("rig keygen, report, verify, sign, audit: the evidence round trip", "[evidence][cli]") {
    rig::test::TempDir tmp;
    const auto state = tmp / "state";
    const auto run = rig::test::make_run_folder(tmp);
    const std::string dir = run.string();

    CHECK(Cli(state).run({"keygen"}) == 0);
    CHECK(fs::exists(state / "keys" / "rig.key"));
    CHECK(Cli(state).run({"keygen"}) == 2);  // refuses to replace silently

    CHECK(Cli(state).run({"verify", dir}) == 1);  // not sealed yet
    rig::seal_run_dir(run, rig::SigningKey::load(state / "keys" / "rig.key"));
    {
        Cli c(state);
        CHECK(c.run({"verify", dir}) == 0);
        CHECK(c.out.str().rfind("OK: 4 files", 0) == 0);
    }
    rig::test::flip_byte(run / "samples.bin", 1);
    {
        Cli c(state);
        CHECK(c.run({"verify", dir}) == 1);
        CHECK(c.err.str().find("CHANGED samples.bin") != std::string::npos);
        Cli s(state);
        CHECK(s.run({"sign", dir, "--name", "Jane Roe", "--meaning", "approval"}) == 1);
        CHECK(s.err.str().find("refusing to sign") != std::string::npos);
    }
    rig::test::flip_byte(run / "samples.bin", 1);  // restored
    {
        Cli s(state);
        CHECK(s.run({"sign", dir, "--name", "Jane Roe", "--meaning", "approval"}) == 0);
        CHECK(Cli(state).run({"verify", dir}) == 0);
        CHECK(rig::read_file(run / "report.html").find("<b>Jane Roe</b>") != std::string::npos);
    }
    CHECK(Cli(state).run({"sign", dir, "--name", "Jane Roe", "--meaning", "liking"}) == 2);
    CHECK(Cli(state).run({"sign", dir, "--meaning", "review"}) == 2);
    CHECK(Cli(state).run({"verify", (tmp / "nope").string()}) == 2);
    CHECK(Cli(state).run({"report", (tmp / "nope").string()}) == 2);

    {
        Cli c(state);
        CHECK(c.run({"audit", "verify"}) == 0);
        Cli show(state);
        CHECK(show.run({"audit", "show"}) == 0);
        for (const char* action : {"key.generated", "signature.refused", "signature.added", "report.generated", "bundle.sealed"})
            CHECK(show.out.str().find(action) != std::string::npos);
    }
    // Edit one audit entry by hand: `rig audit verify` says so and exits 1.
    std::string log = rig::read_file(state / "audit.jsonl");
    log.replace(log.find("Jane Roe"), 8, "John Doe");
    rig::write_file_atomic(state / "audit.jsonl", log);
    Cli bad(state);
    CHECK(bad.run({"audit", "verify"}) == 1);
    CHECK(bad.err.str().find("AUDIT TRAIL DAMAGED") != std::string::npos);
}

TEST_CASE("rig calibrate refuses an invalid fixture file", "[evidence][cli][calibration]") {
    rig::test::TempDir tmp;
    rig::write_file_atomic(tmp / "fixture.yaml", "name: [unclosed\n");
    Cli c(tmp / "state");
    CHECK(c.run({"calibrate", "encoder", "--fixture", (tmp / "fixture.yaml").string()}) == 2);
    CHECK(c.err.str().find("is not valid") != std::string::npos);
}

TEST_CASE("rig report writes the report and audits it", "[evidence][cli]") {
    rig::test::TempDir tmp;
    const auto run = rig::test::make_run_folder(tmp);
    fs::remove(run / "report.html");
    Cli c(tmp / "state");
    CHECK(c.run({"report", run.string()}) == 0);
    CHECK(fs::exists(run / "report.html"));
    CHECK(rig::AuditLog(tmp / "state" / "audit.jsonl").read().back().action == "report.generated");
}

TEST_CASE("rig report on a sealed run folder: refused, or written elsewhere; the bundle still verifies",
          "[evidence][cli][report]") {
    rig::test::TempDir tmp;
    const auto state = tmp / "state";
    const auto run = rig::test::make_run_folder(tmp);
    const std::string dir = run.string();
    REQUIRE(Cli(state).run({"keygen"}) == 0);
    rig::seal_run_dir(run, rig::SigningKey::load(state / "keys" / "rig.key"));
    REQUIRE(Cli(state).run({"verify", dir}) == 0);
    const auto before = rig::read_file(run / "report.html");
    {
        Cli c(state);
        CHECK(c.run({"report", dir}) == 2);
        CHECK_THAT(c.err.str(), Catch::Contains("is sealed (manifest.json)"));
        CHECK_THAT(c.err.str(), Catch::Contains("--output"));
    }
    {
        Cli c(state);  // --output into the sealed folder would add a file the manifest does not name
        CHECK(c.run({"report", dir, "--output", (run / "report-2.html").string()}) == 2);
        CHECK_THAT(c.err.str(), Catch::Contains("outside the run folder"));
        CHECK_FALSE(fs::exists(run / "report-2.html"));
    }
    CHECK(rig::read_file(run / "report.html") == before);
    {
        Cli c(state);
        CHECK(c.run({"report", dir, "--output", (tmp / "copy.html").string()}) == 0);
        CHECK(rig::read_file(tmp / "copy.html").find("<html") != std::string::npos);
        CHECK(rig::AuditLog(state / "audit.jsonl").read().back().action == "report.generated");
    }
    CHECK(Cli(state).run({"verify", dir}) == 0);  // the bundle is intact
}

TEST_CASE("rig calibrate load-cell runs the workflow on the injected fixture", "[evidence][cli][calibration]") {
    rig::test::TempDir tmp;
    const auto state = tmp / "state";
    Cli c(state, "W-7\n\n100\n\n\ny\n");
    rig::test::FakeFixture* fake = nullptr;
    c.opts.fixture_factory = [&](const rig::FixtureConfig&) {
        auto f = std::make_unique<rig::test::FakeFixture>(
            rig::test::fixture_with_calibration("2026-03-31", "2026-03-31", "2026-03-31"));
        f->lc_gain = 1.01;
        fake = f.get();
        return f;
    };
    c.opts.reference_load = [](rig::Fixture& f) {
        return std::make_unique<rig::test::FakeStandards>(static_cast<rig::test::FakeFixture&>(f));
    };
    const int rc = c.run({"calibrate", "load-cell", "--fixture", (rig::test::source_dir() / "fixtures/sim.yaml").string(), "--operator", "B. M.",
                          "--samples", "20", "--date", "2025-11-25"});
    INFO(c.out.str() << c.err.str());
    CHECK(rc == 0);
    CHECK(fake != nullptr);
    const auto h = rig::CalibrationHistory(state / "calibration" / "history.jsonl").read();
    REQUIRE(h.size() == 1);
    CHECK(h[0].record.performed_by == "B. M.");
    CHECK(h[0].record.due == "2026-11-25");
    CHECK(rig::AuditLog(state / "audit.jsonl").read().at(0).action == "calibration.recorded");
}
