#include "catch.hpp"
#include "rig/reports/trend.hpp"

using namespace rig;

namespace {
nlohmann::json rec(const std::string& started, double rate, const char* outcome = "PASS", bool complete = true) {
    nlohmann::json m = {{"id", "rate"}, {"name", "puncture_rate"}, {"unit", "Hz"}, {"low", 100.0}, {"high", 120.0},
                        {"outcome", outcome}};
    m["value"] = rate < 0 ? nlohmann::json(nullptr) : nlohmann::json(rate);
    return {{"complete", complete},
            {"run_id", "r-" + started},
            {"started_utc", started},
            {"software", {{"commit", "c-" + started}}},
            {"dut", {{"serial", "SN-1"}}},
            {"scenario", {{"id", "NIGHTLY-01"}}},
            {"measurements", nlohmann::json::array({m})}};
}
}  // namespace

TEST_CASE("trend: series in time order with exact statistics", "[trend]") {
    // Given out of order; one incomplete record is ignored.
    const auto s = build_trends(std::vector<nlohmann::json>{rec("2026-11-03T00:00:00Z", 112.0), rec("2026-11-01T00:00:00Z", 110.0),
                                 rec("2026-11-02T00:00:00Z", 111.0), rec("2026-11-04T00:00:00Z", 999.0, "PASS", false)});
    REQUIRE(s.size() == 1);
    const auto& t = s[0];
    CHECK(t.scenario_id == "NIGHTLY-01");
    CHECK(t.measurement_id == "rate");
    REQUIRE(t.points.size() == 3);
    CHECK(t.points[0].run_id == "r-2026-11-01T00:00:00Z");
    CHECK(t.points[2].commit == "c-2026-11-03T00:00:00Z");
    CHECK(t.mean == Approx(111.0));
    CHECK(t.min == 110.0);
    CHECK(t.max == 112.0);
    CHECK_FALSE(t.drift.has_value());  // 2 earlier values < min_history 3: not judged
}

TEST_CASE("trend: drift is the latest value's distance from the earlier mean in limit-band units", "[trend]") {
    // Earlier mean 110; band 20 Hz. 114 -> 0.2 band (ok); 116 -> 0.3 band (drift at 25 %).
    auto base = std::vector<nlohmann::json>{rec("2026-11-01T00:00:00Z", 109.0), rec("2026-11-02T00:00:00Z", 110.0),
                                            rec("2026-11-03T00:00:00Z", 111.0)};
    auto ok = base;
    ok.push_back(rec("2026-11-04T00:00:00Z", 114.0));
    auto s1 = build_trends(ok);
    REQUIRE(s1[0].drift.has_value());
    CHECK_FALSE(*s1[0].drift);
    CHECK(s1[0].drift_band_fraction == Approx(0.2));
    auto bad = base;
    bad.push_back(rec("2026-11-04T00:00:00Z", 116.0));
    auto s2 = build_trends(bad);
    CHECK(*s2[0].drift);
    CHECK(s2[0].drift_band_fraction == Approx(0.3));
    // An ERROR without a value in the latest run is not judged for drift.
    auto err = base;
    err.push_back(rec("2026-11-04T00:00:00Z", -1.0, "ERROR"));
    auto s3 = build_trends(err);
    CHECK_FALSE(s3[0].drift.has_value());
    CHECK(s3[0].valued == 3);
    CHECK(s3[0].points.back().outcome == "ERROR");
}

TEST_CASE("trend: CSV has one row per run and quotes text", "[trend]") {
    const auto csv = trends_csv(build_trends(std::vector<nlohmann::json>{rec("2026-11-01T00:00:00Z", 110.5), rec("2026-11-02T00:00:00Z", -1.0, "ERROR")}));
    CHECK(csv ==
          "scenario_id,measurement_id,run_id,started_utc,commit,dut,value,unit,outcome\n"
          "\"NIGHTLY-01\",\"rate\",\"r-2026-11-01T00:00:00Z\",\"2026-11-01T00:00:00Z\",\"c-2026-11-01T00:00:00Z\",\"SN-1\",110.5,\"Hz\",\"PASS\"\n"
          "\"NIGHTLY-01\",\"rate\",\"r-2026-11-02T00:00:00Z\",\"2026-11-02T00:00:00Z\",\"c-2026-11-02T00:00:00Z\",\"SN-1\",,\"Hz\",\"ERROR\"\n");
}
