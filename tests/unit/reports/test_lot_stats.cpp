#include <cmath>

#include "catch.hpp"
#include "rig/reports/lot_report.hpp"
#include "rig/reports/lot_stats.hpp"

using namespace rig;

namespace {
std::vector<LotValue> units(const std::vector<double>& x, double lo, double hi) {
    std::vector<LotValue> v;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const bool in = x[i] >= lo && x[i] <= hi;
        v.push_back(LotValue{"SN-" + std::to_string(i), "r" + std::to_string(i), "t", x[i], lo, hi, in ? "PASS" : "FAIL"});
    }
    return v;
}
}  // namespace

// Known answers computed with Python 3's statistics module (mean, stdev) and
// the formulas in lot_stats.hpp, printed with repr():
//   x = [9.8, 10.1, 10.0, 10.2, 9.9], LSL 9, USL 11
//   s = 0.15811388300841842, sigma_within = mean(|dx|) / 1.128 = 0.19946808510638228
//   Cp = Cpk = 1.671111111111117, Pp = Ppk = 2.1081851067789272,
//   Cpk lower 95 % (Bissell) = 1.6711 - 1.6448536 sqrt(1/45 + 1.6711^2/8) = 0.6688312542805657
TEST_CASE("lot statistics: a centred process, known answers", "[lot]") {
    const auto s = lot_statistics(units({9.8, 10.1, 10.0, 10.2, 9.9}, 9.0, 11.0));
    CHECK(s.units == 5);
    CHECK(s.valued == 5);
    CHECK(*s.mean == Approx(10.0).epsilon(1e-12));
    CHECK(*s.sd == Approx(0.15811388300841842).epsilon(1e-12));
    CHECK(*s.sigma_within == Approx(0.19946808510638228).epsilon(1e-12));
    CHECK(*s.cp == Approx(1.671111111111117).epsilon(1e-12));
    CHECK(*s.cpk == Approx(1.671111111111117).epsilon(1e-12));
    CHECK(*s.pp == Approx(2.1081851067789272).epsilon(1e-12));
    CHECK(*s.ppk == Approx(2.1081851067789272).epsilon(1e-12));
    CHECK(*s.cpk_lower95 == Approx(0.6688312542805657).epsilon(1e-9));
    CHECK(*s.min == 9.8);
    CHECK(*s.max == 10.2);
    CHECK(s.pass_rate == 1.0);
    REQUIRE(s.worst.has_value());
    CHECK((s.worst->dut == "SN-0" || s.worst->dut == "SN-3"));  // 9.8 and 10.2: both 0.8 half spans in
    CHECK(*s.worst_margin == Approx(0.8));
}

// x = [1.02, 0.98, 1.05, 1.01, 0.97, 1.04, 0.99, 1.03], LSL 0.85, USL 1.15 (same source):
//   mean 1.01125, s 0.02900123150094544, sigma_within 0.044326241134751816,
//   Cp 1.1279999999999986, Cpk 1.0433999999999983, Pp 1.7240647176782817,
//   Ppk 1.59475986385241, Cpk lower 95 % 0.5454356826161484
TEST_CASE("lot statistics: an off-centre process, known answers", "[lot]") {
    const auto s = lot_statistics(units({1.02, 0.98, 1.05, 1.01, 0.97, 1.04, 0.99, 1.03}, 0.85, 1.15));
    CHECK(*s.mean == Approx(1.01125).epsilon(1e-12));
    CHECK(*s.sd == Approx(0.02900123150094544).epsilon(1e-12));
    CHECK(*s.cp == Approx(1.1279999999999986).epsilon(1e-12));
    CHECK(*s.cpk == Approx(1.0433999999999983).epsilon(1e-12));
    CHECK(*s.pp == Approx(1.7240647176782817).epsilon(1e-12));
    CHECK(*s.ppk == Approx(1.59475986385241).epsilon(1e-12));
    CHECK(*s.cpk_lower95 == Approx(0.5454356826161484).epsilon(1e-9));
    CHECK(s.worst->dut == "SN-2");  // 1.05: (1.15 - 1.05) / 0.15 = 0.667 half spans; 0.97 is 0.8 above LSL
    CHECK(*s.worst_margin == Approx(2.0 / 3.0));
}

TEST_CASE("lot statistics: ERROR units count and do not pass, a unit outside is the worst, one limit gives Cpk only",
          "[lot]") {
    auto v = units({10.0, 10.1, 11.5}, 9.0, 11.0);
    v.push_back(LotValue{"SN-E", "rE", "t", std::nullopt, 9.0, 11.0, "ERROR"});
    auto s = lot_statistics(v);
    CHECK(s.units == 4);
    CHECK(s.valued == 3);
    CHECK(s.passed == 2);
    CHECK(s.pass_rate == 0.5);
    CHECK(s.worst->dut == "SN-2");
    CHECK(*s.worst_margin == Approx(-0.5));
    // One-sided: only USL 11 -> no Cp, Cpk = (11 - mean) / (3 sigma_within).
    std::vector<LotValue> one;
    for (double x : {10.0, 10.2, 10.1}) one.push_back(LotValue{"d", "r", "t", x, std::nullopt, 11.0, "PASS"});
    s = lot_statistics(one);
    CHECK_FALSE(s.cp.has_value());
    // moving ranges 0.2, 0.1 -> 0.15 / 1.128; mean 10.1 -> 0.9 / (3 * 0.15 / 1.128) = 2.256
    CHECK(*s.cpk == Approx(0.9 / (3.0 * 0.15 / 1.128)));
    // n < 3: no Bissell bound; n < 2: no SD.
    CHECK_FALSE(cpk_lower_bound_95(1.5, 2).has_value());
    CHECK_FALSE(lot_statistics(units({10.0}, 9.0, 11.0)).sd.has_value());
}

TEST_CASE("lot report: self-contained HTML with one histogram per measurement against its limits", "[lot]") {
    auto st = lot_statistics(units({9.8, 10.1, 10.0, 10.2, 9.9}, 9.0, 11.0));
    st.scenario_id = "DEPTH-01";
    st.measurement_id = "depth_1_0mm";
    st.unit = "mm";
    LotReportInput in;
    in.lot = "24-117";
    in.stats = {st};
    in.unit_rule = "rule <text>";
    const auto html = lot_report_html(in);
    CHECK(html.find("<svg") != std::string::npos);
    CHECK(html.find("LSL 9") != std::string::npos);
    CHECK(html.find("USL 11") != std::string::npos);
    CHECK(html.find("rule &lt;text&gt;") != std::string::npos);
    CHECK(html.find("http") == std::string::npos);  // no external assets (the SVG namespace aside)
}
