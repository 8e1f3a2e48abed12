#include "catch.hpp"
#include "rig/reports/trend.hpp"

using namespace rig;

namespace {
nlohmann::json rec(const std::string& started, double rate, const char* outcome = "PASS", bool complete = true,
                   const std::string& host = "rig-a", double high = 120.0) {
    nlohmann::json m = {{"id", "rate"}, {"name", "puncture_rate"}, {"unit", "Hz"}, {"low", 100.0}, {"high", high},
                        {"outcome", outcome}};
    m["value"] = rate < 0 ? nlohmann::json(nullptr) : nlohmann::json(rate);
    return {{"complete", complete},
            {"run_id", "r-" + started},
            {"started_utc", started},
            {"software", {{"commit", "c-" + started}}},
            {"dut", {{"serial", "SN-1"}}},
            {"host", host},
            {"spec", {{"version", "1.0"}}},
            {"fixture", {{"backend", "sim"}}},
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

TEST_CASE("trend: drift is the latest value's distance from the baseline in limit-band units", "[trend]") {
    // Baseline (median of 109, 110, 111) 110; band 20 Hz. 114 -> 0.2 band (ok); 116 -> 0.3 band (drift at 25 %).
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
          "scenario_id,measurement_id,spec_version,fixture_backend,rig_id,run_id,started_utc,commit,dut,value,unit,low,high,outcome\n"
          "\"NIGHTLY-01\",\"rate\",\"1.0\",\"sim\",\"rig-a\",\"r-2026-11-01T00:00:00Z\",\"2026-11-01T00:00:00Z\",\"c-2026-11-01T00:00:00Z\",\"SN-1\",110.5,\"Hz\",100,120,\"PASS\"\n"
          "\"NIGHTLY-01\",\"rate\",\"1.0\",\"sim\",\"rig-a\",\"r-2026-11-02T00:00:00Z\",\"2026-11-02T00:00:00Z\",\"c-2026-11-02T00:00:00Z\",\"SN-1\",,\"Hz\",100,120,\"ERROR\"\n");
}

TEST_CASE("trend: the baseline is the median of the last N good runs, so one outlier does not move it", "[trend]") {
    // Runs 110, 110, 130 (FAIL: not good), 110, 111; latest 113. Median of the good runs
    // before the latest (110, 110, 110, 111) = 110 -> 3/20 = 0.15 (the mean of all earlier runs, 114.2, would say 0.06).
    std::vector<nlohmann::json> v{rec("2026-11-01T00:00:00Z", 110.0), rec("2026-11-02T00:00:00Z", 110.0),
                                  rec("2026-11-03T00:00:00Z", 130.0, "FAIL"), rec("2026-11-04T00:00:00Z", 110.0),
                                  rec("2026-11-05T00:00:00Z", 111.0), rec("2026-11-06T00:00:00Z", 113.0)};
    auto s = build_trends(v);
    REQUIRE(s.size() == 1);
    REQUIRE(s[0].baseline.has_value());
    CHECK(*s[0].baseline == Approx(110.0));  // median of 110, 110, 110, 111
    CHECK(s[0].baseline_n == 4);
    CHECK(s[0].drift_band_fraction == Approx(0.15));
    // N = 2: the last two good runs before the latest, 110 and 111 -> 110.5.
    TrendOptions two;
    two.baseline_runs = 2;
    two.min_history = 2;
    s = build_trends(v, two);
    CHECK(*s[0].baseline == Approx(110.5));
    CHECK(s[0].baseline_n == 2);
}

TEST_CASE("trend: each point keeps its own limits, and the latest limits judge the drift", "[trend]") {
    // The spec widened in the latest run: band 100..140 (40 Hz); baseline 110, latest 118 -> 0.2.
    std::vector<nlohmann::json> v{rec("2026-11-01T00:00:00Z", 110.0), rec("2026-11-02T00:00:00Z", 110.0),
                                  rec("2026-11-03T00:00:00Z", 110.0),
                                  rec("2026-11-04T00:00:00Z", 118.0, "PASS", true, "rig-a", 140.0)};
    const auto s = build_trends(v);
    REQUIRE(s[0].points.size() == 4);
    CHECK(*s[0].points[0].high == 120.0);
    CHECK(*s[0].points[3].high == 140.0);
    CHECK(s[0].drift_band_fraction == Approx(0.2));
    CHECK_FALSE(*s[0].drift);
}

TEST_CASE("trend: rigs are separate series unless widened", "[trend]") {
    std::vector<nlohmann::json> v{rec("2026-11-01T00:00:00Z", 110.0, "PASS", true, "rig-a"),
                                  rec("2026-11-02T00:00:00Z", 111.0, "PASS", true, "rig-b")};
    auto s = build_trends(v);
    REQUIRE(s.size() == 2);
    CHECK(s[0].key.rig_id == "rig-a");
    CHECK(s[1].key.rig_id == "rig-b");
    TrendOptions wide;
    wide.across_rigs = true;
    s = build_trends(v, wide);
    REQUIRE(s.size() == 1);
    CHECK(s[0].key.rig_id == "*");
    CHECK(s[0].runs == 2);
}

TEST_CASE("trend: a series keeps a bounded tail of points whatever the number of runs", "[trend]") {
    TrendOptions o;
    o.keep_points = 5;
    o.baseline_runs = 3;
    std::size_t streamed = 0;
    o.on_point = [&streamed](const TrendKey&, const std::string&, const TrendPoint&) { ++streamed; };
    TrendBuilder b(o);
    for (int i = 0; i < 10000; ++i) {
        b.add(TrendKey{"S", "rate", "1", "sim", "rig-a"}, "puncture_rate", "Hz",
              TrendPoint{"r" + std::to_string(i), "t", "c", "d", 100.0 + (i % 7), 90.0, 120.0, "PASS"});
    }
    const auto s = b.finish();
    CHECK(streamed == 10000);
    REQUIRE(s.size() == 1);
    CHECK(s[0].runs == 10000);
    CHECK(s[0].points.size() == 5);
    CHECK(s[0].points.back().run_id == "r9999");
    CHECK(s[0].min == 100.0);
    CHECK(s[0].max == 106.0);
    // Baseline: runs 9996..9998 -> values 100 + (9996 % 7 = 0, 1, 2) -> median 101.
    CHECK(*s[0].baseline == 101.0);
}
