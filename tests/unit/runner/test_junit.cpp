#include "catch.hpp"
#include "rig/reports/junit.hpp"

using namespace rig;

namespace {
nlohmann::json record(const char* verdict) {
    return {{"run_id", "20261125T000000Z-X-0001"},
            {"verdict", verdict},
            {"verdict_reason", "because"},
            {"started_utc", "2026-11-25T00:00:00.000Z"},
            {"host", "h"},
            {"dut", {{"serial", "SN<1>"}, {"lot", "L"}}},
            {"scenario", {{"id", "S&1"}, {"sha256", "ab"}}},
            {"software", {{"version", "0.1.0"}, {"commit", "c"}}},
            {"measurements",
             {{{"id", "rate"}, {"name", "puncture_rate"}, {"value", 150.2}, {"unit", "Hz"}, {"low", 142.5}, {"high", 157.5},
               {"limits_source", "spec:rate.tolerance"}, {"outcome", "PASS"}, {"window", {{"start_s", 1.0}, {"end_s", 3.0}}},
               {"evaluation_s", 0.0125}, {"requirements", {"REQ-1"}}},
              {{"id", "depth"}, {"name", "protrusion_depth"}, {"value", 1.3}, {"unit", "mm"}, {"low", 0.85}, {"high", 1.15},
               {"limits_source", "spec:depth.tolerance"}, {"outcome", "FAIL"}, {"message", "1.3 mm is above the high limit"},
               {"window", {{"start_s", 1.0}, {"end_s", 3.0}}}, {"requirements", nlohmann::json::array()}},
              {{"id", "force"}, {"name", "strike_force"}, {"value", nullptr}, {"unit", "N"}, {"limits_source", "spec"},
               {"outcome", "ERROR"}, {"message", "gap in window"}, {"window", {{"start_s", 1.0}, {"end_s", 3.0}}},
               {"requirements", nlohmann::json::array()}}}}};
}
}  // namespace

TEST_CASE("JUnit: one testcase per measurement, failures say value vs limits, XML escaped", "[junit]") {
    const std::string x = junit_xml(record("FAIL"));
    CHECK_THAT(x, Catch::Contains("tests=\"3\" failures=\"1\" errors=\"1\""));
    // time: the evaluation's wall time, never the 2 s window.
    CHECK_THAT(x, Catch::Contains("<testcase name=\"rate\" classname=\"S&amp;1.puncture_rate\" time=\"0.012500\"/>"));
    CHECK_THAT(x, Catch::Contains("<failure message=\"protrusion_depth = 1.3 mm, limits [0.85, 1.15] mm (spec:depth.tolerance): 1.3 mm is above the high limit\""));
    CHECK_THAT(x, Catch::Contains("<error message=\"strike_force = - N, limits no limits (spec): gap in window\""));
    CHECK_THAT(x, Catch::Contains("value=\"SN&lt;1&gt;\""));
    CHECK_THAT(x, Catch::Contains("<property name=\"rate.requirement\" value=\"REQ-1\"/>"));  // suite-level
    CHECK_THAT(x, Catch::Contains("rate: puncture_rate = 150.2 Hz"));  // the suite's system-out
}

TEST_CASE("JUnit: an aborted run adds a failing 'run' testcase", "[junit]") {
    auto rec = record("ABORTED");
    rec["measurements"] = nlohmann::json::array();
    const std::string x = junit_xml(rec);
    CHECK_THAT(x, Catch::Contains("tests=\"1\" failures=\"0\" errors=\"1\""));
    CHECK_THAT(x, Catch::Contains("type=\"ABORTED\">ABORTED: because"));
}
