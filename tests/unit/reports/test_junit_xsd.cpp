// junit.xml against the Ant JUnit schema that CI servers read
// (tests/data/junit-ant.xsd, its source named in the file), checked with
// xmllint from libxml2-utils on the files the runner wrote.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "catch.hpp"
#include "child_process.hpp"
#include "real_run.hpp"
#include "rig/core/atomic_file.hpp"
#include "rig/reports/junit.hpp"
#include "skip.hpp"
#include "temp_dir.hpp"

using namespace rig;
using namespace rig::test;
namespace fs = std::filesystem;

namespace {
// libxml2-utils installs it here (Proc starts a path, not a PATH lookup).
const fs::path kXmllint = "/usr/bin/xmllint";
bool have_xmllint() { return fs::exists(kXmllint); }

/// xmllint's verdict on `xml` against every schema in use (ours, and the
/// upstream file when PENRIG_JUNIT_XSD names it).
void check_valid(const TempDir& tmp, const fs::path& xml, const std::string& tag) {
    std::vector<fs::path> schemas{source_dir() / "tests/data/junit-ant.xsd"};
    if (const char* up = std::getenv("PENRIG_JUNIT_XSD"); up != nullptr && *up != '\0') schemas.emplace_back(up);
    for (const auto& xsd : schemas) {
        Proc p({kXmllint.string(), "--noout", "--schema", xsd.string(), xml.string()}, tmp / ("xmllint-" + tag));
        const auto e = p.wait(std::chrono::seconds(60));
        INFO(tag << " against " << xsd << "\n" << p.err() << "\n" << slurp(xml));
        REQUIRE(e.has_value());
        CHECK(e->code == 0);
    }
}
}  // namespace

TEST_CASE("JUnit XML is valid against the Ant JUnit schema: PASS, FAIL and ERROR runs the runner wrote",
          "[junit][xsd]") {
    if (!have_xmllint()) PENRIG_SKIP("xmllint not installed (libxml2-utils: scripts/install-deps.sh --test)");
    TempDir tmp;
    for (const char* sc : {scenario::smoke, scenario::fail, scenario::error}) {
        const auto r = real_run(tmp, sc);
        const auto xml = r.dir / "junit.xml";
        check_valid(tmp, xml, fs::path(sc).stem().string());
        const auto text = slurp(xml);
        // Testcase time is the evaluation's wall time (from the record), not the window.
        const auto& m0 = r.record.at("measurements").at(0);
        REQUIRE(m0.contains("evaluation_s"));
        const double eval = m0.at("evaluation_s").get<double>();
        const double window = m0.at("window").at("end_s").get<double>() - m0.at("window").at("start_s").get<double>();
        CHECK(eval >= 0.0);
        CHECK(eval < 5.0);
        char want[64];
        std::snprintf(want, sizeof want, "time=\"%.6f\"", eval);
        CHECK_THAT(text, Catch::Contains(std::string("name=\"") + m0.at("id").get<std::string>() + "\" classname="));
        CHECK_THAT(text, Catch::Contains(want));
        if (window > 0.01) CHECK(std::abs(eval - window) > 1e-6);
        // Suite-level properties carry the run's identity and the testcases' requirements.
        CHECK_THAT(text, Catch::Contains("<property name=\"run_id\" value=\"" + r.run_id + "\"/>"));
        CHECK_THAT(text, Catch::Contains("<property name=\"verdict\" value=\"" + r.record.at("verdict").get<std::string>() + "\"/>"));
    }
}

TEST_CASE("JUnit XML is valid against the Ant JUnit schema: an aborted run, escaping, no host", "[junit][xsd]") {
    if (!have_xmllint()) PENRIG_SKIP("xmllint not installed (libxml2-utils: scripts/install-deps.sh --test)");
    TempDir tmp;
    const nlohmann::json rec{{"run_id", "20261125T000000Z-X-0001"},
                             {"verdict", "ABORTED"},
                             {"verdict_reason", "E-stop <pressed> & held"},
                             {"started_utc", "2026-11-25T00:00:00.000Z"},
                             {"host", ""},
                             {"dut", {{"serial", "SN<1>"}, {"lot", "L\"1"}}},
                             {"scenario", {{"id", "S&1"}, {"sha256", "ab"}}},
                             {"software", {{"version", "0.1.0"}, {"commit", "c"}}},
                             {"measurements", nlohmann::json::array()}};
    const auto xml = tmp / "aborted.xml";
    write_file_atomic(xml, junit_xml(rec));
    check_valid(tmp, xml, "aborted");
    CHECK_THAT(slurp(xml), Catch::Contains("hostname=\"localhost\""));
    CHECK_THAT(slurp(xml), Catch::Contains("timestamp=\"2026-11-25T00:00:00\""));
}
