// Known answers for the rig comparison rule (rig/reports/rig_compare.hpp).
#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "rig/reports/rig_compare.hpp"

using namespace rig;

namespace {
RigPoint pt(const std::string& rig, double v, const std::string& t, const char* verdict = "PASS", bool complete = true) {
    return RigPoint{rig, "depth", "protrusion_depth", "mm", rig + t, t, verdict, complete, v, 1.35, 1.65};
}
const RigBias& rig_of(const MeasurementComparison& m, const std::string& id) {
    for (const auto& r : m.rigs) {
        if (r.rig_id == id) return r;
    }
    FAIL("no rig " << id);
    return m.rigs.front();
}
}  // namespace

TEST_CASE("rig comparison: median of each rig's last N, bias against the median of rigs, drift as span fraction",
          "[compare]") {
    RigComparison c(RigCompareOptions{3, 0.1, ""});
    // rig-a: 5 runs, only the last 3 (1.50, 1.52, 1.51) count: median 1.51.
    const std::vector<std::pair<double, std::string>> a{{1.90, "01"}, {1.80, "02"}, {1.50, "03"}, {1.52, "04"}, {1.51, "05"}};
    for (const auto& [v, t] : a) c.add(pt("rig-a", v, t));
    c.add(pt("rig-b", 1.49, "01"));
    c.add(pt("rig-b", 1.47, "02"));  // median 1.48
    c.add(pt("rig-c", 1.42, "01"));  // median 1.42
    c.add(pt("rig-c", 0.10, "03", "ERROR"));           // not a valid measurement
    c.add(pt("rig-c", 0.10, "04", "PASS", false));     // did not close
    auto bad = pt("rig-c", 0, "05");
    bad.value.reset();
    c.add(bad);                                         // no value
    const auto r = c.result();
    CHECK(r.ignored_points == 3);
    REQUIRE(r.measurements.size() == 1);
    const auto& m = r.measurements[0];
    CHECK(m.reference == Approx(1.48));  // median of 1.51, 1.48, 1.42
    CHECK(m.reference_kind == "median of 3 rig(s)");
    CHECK(rig_of(m, "rig-a").value == Approx(1.51));
    CHECK(rig_of(m, "rig-a").n == 3);
    CHECK(rig_of(m, "rig-a").bias == Approx(0.03));
    CHECK(*rig_of(m, "rig-a").bias_fraction == Approx(0.1));  // 0.03 of the 0.3 mm span
    CHECK_FALSE(rig_of(m, "rig-b").drift);
    CHECK(rig_of(m, "rig-c").bias == Approx(-0.06));
    CHECK(*rig_of(m, "rig-c").bias_fraction == Approx(-0.2));
    CHECK(rig_of(m, "rig-c").drift);
    CHECK(rig_of(m, "rig-c").latest_run_id == "rig-c01");
    CHECK(r.any_drift());
}

TEST_CASE("rig comparison: a stated reference rig, an even count, no span, bad options", "[compare]") {
    RigComparison c(RigCompareOptions{5, 0.1, "rig-b"});
    c.add(pt("rig-a", 1.50, "01"));
    c.add(pt("rig-a", 1.54, "02"));  // even count: median 1.52
    c.add(pt("rig-b", 1.47, "01"));
    auto one_sided = pt("rig-a", 5.0, "01");
    one_sided.measurement_id = "force";
    one_sided.high.reset();
    c.add(one_sided);
    auto f2 = one_sided;
    f2.rig_id = "rig-b";
    f2.value = 1.0;
    c.add(f2);
    const auto r = c.result();
    REQUIRE(r.measurements.size() == 2);
    const auto& d = r.measurements[0];
    CHECK(d.reference_kind == "rig rig-b");
    CHECK(rig_of(d, "rig-a").value == Approx(1.52));
    CHECK(rig_of(d, "rig-a").bias == Approx(0.05));
    CHECK(rig_of(d, "rig-a").drift);
    const auto& f = r.measurements[1];
    CHECK(f.measurement_id == "force");
    CHECK_FALSE(rig_of(f, "rig-a").bias_fraction.has_value());  // no span: never drifts
    CHECK_FALSE(rig_of(f, "rig-a").drift);

    RigComparison unknown(RigCompareOptions{5, 0.1, "rig-z"});
    unknown.add(pt("rig-a", 1.5, "01"));
    CHECK_THROWS_AS(unknown.result(), std::invalid_argument);
    CHECK_THROWS_AS(RigComparison(RigCompareOptions{0, 0.1, ""}), std::invalid_argument);
    CHECK_THROWS_AS(RigComparison(RigCompareOptions{5, 0.0, ""}), std::invalid_argument);
}
