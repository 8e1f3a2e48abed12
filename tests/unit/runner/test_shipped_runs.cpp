// Every shipped scenario runs on the sim with the verdict its author intends:
// a nominal pen passes every scenario in scenarios/, and each regression
// scenario (scenarios/regression/) gives exactly the verdict and outcomes
// its `expect:` states.
#include "run_helpers.hpp"

using namespace rig;

TEST_CASE("every shipped scenario passes on the nominal simulated pen", "[runner][sim][shipped]") {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(test::source_dir() / "scenarios")) {
        if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() >= 7);
    for (const auto& f : files) {
        const auto rel = std::filesystem::relative(f, test::source_dir()).string();
        test::SimRun run;
        const auto sc = test::load_shipped(rel);
        if (sc.has_tag("soak")) continue;  // an hour simulated: its own test case below
        const auto r = run.run(sc);
        std::string failing;
        for (const auto& m : r.measurements) {
            if (m.outcome != Outcome::pass) failing += m.id + " " + to_string(m.outcome) + ": " + m.message + "\n";
        }
        INFO(rel << " -> " << to_string(r.verdict) << " " << r.reason << "\n" << failing);
        CHECK(r.verdict == Verdict::pass);
        CHECK(sc.expect_verdict.value_or("PASS") == "PASS");
        test::require_schema_valid(r.record);
    }
}

// The one-hour soak (36 M samples at 10 kHz, ~2 min in an optimised build) in
// its own test case so that it runs beside the others; under the sanitizers it
// would take most of the suite's budget, so there it is reported SKIPPED.
TEST_CASE("the shipped soak scenario passes on the nominal simulated pen", "[runner][sim][shipped][soak]") {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    PENRIG_SKIP("the one-hour soak runs in the optimised build only");
#else
    test::SimRun run;
    const auto sc = test::load_shipped("scenarios/soak.yaml");
    REQUIRE(sc.has_tag("soak"));
    const auto r = run.run(sc);
    std::string failing;
    for (const auto& m : r.measurements) {
        if (m.outcome != Outcome::pass) failing += m.id + " " + to_string(m.outcome) + ": " + m.message + "\n";
    }
    INFO(to_string(r.verdict) << " " << r.reason << "\n" << failing);
    CHECK(r.verdict == Verdict::pass);
    CHECK(r.measurements.size() == 240);
#endif
}

TEST_CASE("regression scenarios give the verdict and outcomes they expect", "[runner][sim][shipped][regression]") {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(test::source_dir() / "scenarios" / "regression")) {
        if (e.path().extension() == ".yaml") files.push_back(e.path());
    }
    REQUIRE(files.size() >= 4);
    for (const auto& f : files) {
        const auto rel = std::filesystem::relative(f, test::source_dir()).string();
        test::SimRun run;
        const auto sc = test::load_shipped(rel);
        REQUIRE(sc.expect_verdict);
        const auto r = run.run(sc);
        INFO(rel << ": " << r.reason);
        CHECK(std::string(to_string(r.verdict)) == *sc.expect_verdict);
        CHECK(r.verdict != Verdict::pass);
        for (const auto& [id, outcome] : sc.expect_outcomes) {
            const auto& m = test::find(r, id);
            INFO(id << ": " << m.message);
            CHECK(std::string(to_string(m.outcome)) == outcome);
        }
        test::require_schema_valid(r.record);
    }
}
