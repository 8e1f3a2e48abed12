// The HTML report rendered from records the runner writes at test time
// (tests/common/real_run.hpp): a nightly run (every plot kind), a stall run,
// a FAIL and an ERROR regression.
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "catch.hpp"
#include "record_fixture.hpp"
#include "rig/core/hash.hpp"
#include "rig/reports/html_report.hpp"
#include "rig/reports/json_schema.hpp"
#include "rig/reports/svg_plot.hpp"

using nlohmann::json;

namespace {
rig::HtmlReportInputs inputs(json record, std::vector<rig::ESignature> sigs = {}) {
    rig::HtmlReportInputs in;
    in.record_sha256 = rig::sha256_hex(rig::canonical_json(record));
    in.record = std::move(record);
    in.signatures = std::move(sigs);
    in.generated_utc = "2025-11-25T10:20:00.000Z";
    return in;
}

std::size_t count_of(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

// One run per scenario and test process (records are only read here).
const json& record_of(const char* scenario) {
    static std::map<std::string, json> runs;
    auto it = runs.find(scenario);
    if (it == runs.end()) {
        rig::test::TempDir tmp;
        it = runs.emplace(scenario, rig::test::real_record(tmp, scenario)).first;
    }
    return it->second;
}

// The axis range an SVG plot states ("lo hi").
std::pair<double, double> range_of(const std::string& svg, const char* attr) {
    const auto p = svg.find(std::string(attr) + "=\"");
    REQUIRE(p != std::string::npos);
    std::istringstream in(svg.substr(p + std::strlen(attr) + 2));
    double lo = 0, hi = 0;
    in >> lo >> hi;
    return {lo, hi};
}

// The marker labels of one plot: (x, y, text).
struct Label {
    double x, y;
    std::string text;
    bool end;
};
std::vector<Label> vlabels(const std::string& svg) {
    std::vector<Label> out;
    static const std::regex re(R"re(<text class="vlabel" x="([-0-9.]+)" y="([-0-9.]+)"( text-anchor="end")?>([^<]*)</text>)re");
    for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it)
        out.push_back({std::stod((*it)[1]), std::stod((*it)[2]), (*it)[4], (*it)[3].matched});
    return out;
}

// The text of the element with the given id, up to its closing tag.
std::string element(const std::string& html, const std::string& id, const std::string& close) {
    const auto start = html.find("id=\"" + id + "\"");
    if (start == std::string::npos) return {};
    const auto end = html.find(close, start);
    return html.substr(start, end == std::string::npos ? std::string::npos : end - start);
}
}  // namespace

TEST_CASE("every measurement appears with its outcome under each of its requirements", "[reports][html]") {
    for (const char* sc : {rig::test::scenario::nightly, rig::test::scenario::fail, rig::test::scenario::error}) {
        const json& rec = record_of(sc);
        const std::string html = rig::render_html_report(inputs(rec));
        INFO(sc);
        REQUIRE(!rec["measurements"].empty());
        std::map<std::string, int> outcomes;
        std::set<std::string> reqs;
        for (const auto& m : rec["measurements"]) {
            const std::string id = m["id"];
            const std::string outcome = m["outcome"];
            ++outcomes[outcome];
            INFO(id);
            const std::string row = "<tr class=\"measurement\" id=\"m-" + id + "\" data-outcome=\"" + outcome + "\">";
            CHECK(count_of(html, row) == std::max<std::size_t>(1, m["requirements"].size()));
            const std::string tr = element(html, "m-" + id, "</tr>");
            CHECK(tr.find(">" + outcome + "</td>") != std::string::npos);
            if (m["value"].is_null()) CHECK(tr.find("no valid value") != std::string::npos);
            for (const auto& q : m["requirements"]) reqs.insert(q.get<std::string>());
        }
        for (const auto& req : reqs) CHECK(html.find("<h3 class=\"req\">" + req + "</h3>") != std::string::npos);
        const std::string verdict = rec["verdict"];
        const std::string vcls = verdict == "PASS" ? "pass" : verdict == "FAIL" ? "fail" : "error";
        CHECK(html.find("<div class=\"verdict " + vcls + "\" id=\"verdict\">" + verdict) != std::string::npos);
        CHECK(html.find(std::to_string(outcomes["FAIL"]) + " FAIL") != std::string::npos);
        CHECK(html.find(std::to_string(outcomes["ERROR"]) + " ERROR") != std::string::npos);
    }
    CHECK(record_of(rig::test::scenario::fail)["verdict"] == "FAIL");
    CHECK(record_of(rig::test::scenario::error)["verdict"] == "ERROR");
}

TEST_CASE("the nightly report has a plot for each kind of step, with its data and markers", "[reports][html]") {
    const json& rec = record_of(rig::test::scenario::nightly);
    const std::string html = rig::render_html_report(inputs(rec));
    long step = -1;
    for (const auto& m : rec["measurements"])
        if (m["name"] == "rise_time") step = m["step"].get<long>();
    REQUIRE(step >= 0);
    const std::string step_id = "plot-step-" + std::to_string(step);
    for (const std::string& id : std::vector<std::string>{"plot-rate", "plot-depth", "plot-force", step_id,
                                                          "plot-stall-1", "plot-lateness"}) {
        INFO(id);
        const std::string fig = element(html, id, "</figure>");
        REQUIRE(!fig.empty());
        CHECK(fig.find("<svg class=\"plot\"") != std::string::npos);
        CHECK((fig.find("<polyline class=\"data\"") != std::string::npos ||
               fig.find("<path class=\"dots") != std::string::npos || fig.find("class=\"barfill\"") != std::string::npos));
    }
    // Step response: the 10 % marker is drawn even when the record has no
    // t10_s (it follows from t90 and the rise time), and it lies inside the plot.
    const std::string stepfig = element(html, step_id, "</figure>");
    for (const char* mark : {">10 %</text>", ">90 %</text>", ">settled</text>", ">setpoint change</text>"})
        CHECK(stepfig.find(mark) != std::string::npos);
    const std::string stall = element(html, "plot-stall-1", "</figure>");
    for (const char* mark : {">brake on</text>", ">onset</text>", ">cut-off</text>", ">brake off</text>",
                             "<polyline class=\"current\""})
        CHECK(stall.find(mark) != std::string::npos);
    const std::string rate = element(html, "plot-rate", "</figure>");
    CHECK(rate.find("class=\"setpoint\"") != std::string::npos);
    CHECK(rate.find("<rect class=\"tol\"") != std::string::npos);
    CHECK(rate.find(">in ±2 % band</text>") != std::string::npos);  // start-up time marker (ms → s)
}

TEST_CASE("axis ranges cover the pen's strokes and limits, not a braked needle", "[reports][html]") {
    const json& rec = record_of(rig::test::scenario::nightly);
    const std::string html = rig::render_html_report(inputs(rec));
    double lo_limit = 1e9, hi_limit = -1e9;
    for (const auto& m : rec["measurements"])
        if (m["name"] == "protrusion_depth") {
            lo_limit = std::min(lo_limit, m["low"].get<double>());
            hi_limit = std::max(hi_limit, m["high"].get<double>());
        }
    REQUIRE(hi_limit > lo_limit);
    const std::string depth = element(html, "plot-depth", "</figure>");
    const auto [lo, hi] = range_of(depth, "data-y-range");
    // The stall's "strokes" (needle held by the brake) lie far below 0 mm;
    // they are drawn as edge markers and do not stretch the axis.
    CHECK(lo > lo_limit - 0.5);
    CHECK(hi < hi_limit + 0.5);
    CHECK(lo < lo_limit);
    CHECK(hi > hi_limit);
    CHECK(depth.find("<path class=\"outside\"") != std::string::npos);
    CHECK(depth.find(">outside the axis range</text>") != std::string::npos);
    const auto [tlo, thi] = range_of(element(html, "plot-rate", "</figure>"), "data-x-range");
    CHECK(tlo == 0.0);
    double t_end = 0;
    for (const auto& s : rec["steps"]) t_end = std::max(t_end, s["end_s"].get<double>());
    CHECK(thi == Approx(t_end).epsilon(0.01));
}

TEST_CASE("plots take their measurements by the kind's plot in the record, not by name", "[reports][html]") {
    // A kind the report has never heard of, drawn in the per-stroke depth
    // plot: the record's `kinds` table says so, and nothing else is needed.
    json rec = record_of(rig::test::scenario::nightly);
    json info = rec["kinds"]["protrusion_depth"];
    info["quantities"] = {{"needle_wobble", {{"unit", "um"}, {"description", "wobble"}}}};
    rec["kinds"].erase("protrusion_depth");
    rec["kinds"]["needle_wobble"] = info;
    std::size_t n = 0;
    for (auto& m : rec["measurements"])
        if (m["kind"] == "protrusion_depth") {
            m["kind"] = "needle_wobble";
            m["name"] = "needle_wobble";
            ++n;
        }
    REQUIRE(n > 0);
    const std::string depth = element(rig::render_html_report(inputs(rec)), "plot-depth", "</figure>");
    CHECK(depth.find("<title>Needle wobble per stroke</title>") != std::string::npos);
    CHECK(depth.find("needle wobble (um)") != std::string::npos);
    CHECK(depth.find("the limits of each needle_wobble measurement") != std::string::npos);
    const auto bands = [](const std::string& svg) {
        return count_of(svg, "<rect class=\"tol\" ") + count_of(svg, "<rect class=\"tolfail\" ");
    };
    CHECK(bands(depth) == n);
    // A measurement named like a plotted one, of a kind the record draws in no
    // plot, shades nothing.
    json renamed = record_of(rig::test::scenario::nightly);
    renamed["kinds"]["protrusion_depth"]["plot"] = "";
    const std::string none = element(rig::render_html_report(inputs(renamed)), "plot-depth", "</figure>");
    CHECK(bands(none) == 0);
    CHECK(none.find("<title>Protrusion depth per stroke</title>") != std::string::npos);
}

TEST_CASE("marker labels never overlap and legends sit outside the plot area", "[reports][html]") {
    for (const char* sc : {rig::test::scenario::nightly, rig::test::scenario::stall, rig::test::scenario::fail}) {
        const std::string html = rig::render_html_report(inputs(record_of(sc)));
        std::size_t plots = 0;
        for (auto p = html.find("<svg class=\"plot\""); p != std::string::npos; p = html.find("<svg class=\"plot\"", p + 1)) {
            const std::string svg = html.substr(p, html.find("</svg>", p) - p);
            ++plots;
            INFO(sc << ": " << svg.substr(0, 200));
            const auto labels = vlabels(svg);
            for (std::size_t i = 0; i < labels.size(); ++i)
                for (std::size_t j = i + 1; j < labels.size(); ++j) {
                    const auto& a = labels[i];
                    const auto& b = labels[j];
                    if (a.y != b.y) continue;
                    const double aw = rig::svg::label_width_px(a.text), bw = rig::svg::label_width_px(b.text);
                    const double a0 = a.end ? a.x - aw : a.x, b0 = b.end ? b.x - bw : b.x;
                    INFO(a.text << " / " << b.text);
                    CHECK((a0 + aw <= b0 || b0 + bw <= a0));
                }
            // Legend entries are below the frame (the frame's bottom edge).
            static const std::regex frame(R"re(<rect class="frame" x="[-0-9.]+" y="([-0-9.]+)" width="[-0-9.]+" height="([-0-9.]+)")re");
            std::smatch fm;
            REQUIRE(std::regex_search(svg, fm, frame));
            const double bottom = std::stod(fm[1]) + std::stod(fm[2]);
            static const std::regex legend(R"re(<text class="legend" x="[-0-9.]+" y="([-0-9.]+)")re");
            for (auto it = std::sregex_iterator(svg.begin(), svg.end(), legend); it != std::sregex_iterator(); ++it)
                CHECK(std::stod((*it)[1]) > bottom + 20);
        }
        CHECK(plots >= 4);  // rate, depth, force, lateness; step and stall plots where the scenario has them
    }
}

TEST_CASE("measurement ids and limit sources wrap between their parts only", "[reports][html]") {
    const std::string html = rig::render_html_report(inputs(record_of(rig::test::scenario::nightly)));
    CHECK(html.find("<td class=\"mid\">step_<wbr>up.<wbr>rise_<wbr>time</td>") != std::string::npos);
    CHECK(html.find("spec:<wbr>step_<wbr>response.<wbr>max_<wbr>rise_<wbr>time") != std::string::npos);
    CHECK(rig::svg::breakable("a<b>.c") == "a&lt;b&gt;.<wbr>c");
}

TEST_CASE("the report references nothing outside itself", "[reports][html]") {
    json rec = record_of(rig::test::scenario::nightly);
    const std::string html = rig::render_html_report(inputs(rec));
    for (const char* bad : {"http:", "https:", "@import", "<script", "<link", "<img", "<iframe", "<object", "<embed", "ftp:",
                            "file:", "//cdn"})
        CHECK(html.find(bad) == std::string::npos);
    CHECK_FALSE(std::regex_search(html, std::regex(R"(\ssrc\s*=)", std::regex::icase)));
    CHECK_FALSE(std::regex_search(html, std::regex(R"(\shref\s*=)", std::regex::icase)));
    // url( is allowed only for data: URIs.
    CHECK_FALSE(std::regex_search(html, std::regex(R"(url\(\s*['"]?(?!data:))", std::regex::icase)));
    CHECK(html.find("default-src 'none'") != std::string::npos);
    CHECK(html.find("@media print") != std::string::npos);
}

TEST_CASE("the report escapes text from the record", "[reports][html]") {
    json rec = record_of(rig::test::scenario::smoke);
    rec["dut"]["serial"] = "<script>alert(1)</script>";
    rec["operator"]["name"] = "O'Brien & \"Sons\"";
    const std::string html = rig::render_html_report(inputs(rec));
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("O&#39;Brien &amp; &quot;Sons&quot;") != std::string::npos);
}

TEST_CASE("the header carries identity, calibration status and the statements of scope", "[reports][html]") {
    const json& rec = record_of(rig::test::scenario::smoke);
    const auto in = inputs(rec);
    const std::string html = rig::render_html_report(in);
    for (const std::string& s : {rec["run_id"].get<std::string>(), std::string("SN-TEST-1"), std::string("LOT-T1"),
                                std::string("tester"), rec["started_utc"].get<std::string>(),
                                rec["scenario"]["sha256"].get<std::string>(), rec["spec"]["sha256"].get<std::string>(),
                                rec["fixture"]["sha256"].get<std::string>(), rec["fixture"]["name"].get<std::string>(),
                                rec["software"]["version"].get<std::string>(), in.record_sha256})
        CHECK(html.find(s) != std::string::npos);
    REQUIRE(!rec["calibration"].empty());
    for (const auto& c : rec["calibration"]) {
        const std::string status = c["status"];
        CHECK(html.find(c["id"].get<std::string>() + ": <b class=\"" + (status == "valid" ? "pass" : "fail") + "\">" + status +
                        "</b>") != std::string::npos);
    }
    CHECK(html.find("results relate only to the item tested") != std::string::npos);
    CHECK(html.find("It does not cover</b>: sterility") != std::string::npos);
    CHECK(html.find("fluid ingress") != std::string::npos);
    CHECK(html.find("Simulated fixture") != std::string::npos);
}

TEST_CASE("a report is UNREVIEWED until signed, then shows each signature", "[reports][html]") {
    const json& rec = record_of(rig::test::scenario::smoke);
    const std::string unsigned_html = rig::render_html_report(inputs(rec));
    CHECK(unsigned_html.find("id=\"unreviewed\"") != std::string::npos);

    auto in = inputs(rec);
    rig::ESignature s;
    s.seq = 1;
    s.name = "Jane Roe";
    s.meaning = "approval";
    s.utc = "2025-11-26T08:00:00.000Z";
    s.record_sha256 = in.record_sha256;
    s.key_id = "0123456789abcdef";
    in.signatures.push_back(s);
    s.seq = 2;
    s.name = "Old Signer";
    s.record_sha256 = std::string(64, 'f');
    in.signatures.push_back(s);
    const std::string html = rig::render_html_report(in);
    CHECK(html.find("id=\"unreviewed\"") == std::string::npos);
    const std::string first = element(html, "signed", "</table>");
    CHECK(first.find("<b>Jane Roe</b></td><td>2025-11-26T08:00:00.000Z</td><td>approval</td>") != std::string::npos);
    CHECK(count_of(html, "(does not match this record)") == 1);
}

TEST_CASE("write_html_report writes report.html from the run folder", "[reports][html]") {
    rig::test::TempDir dir;
    CHECK_THROWS(rig::write_html_report(dir.path()));
    rig::write_file_atomic(dir / "record.json", "{not json");
    CHECK_THROWS_WITH(rig::write_html_report(dir.path()), Catch::Contains("record.json"));
    rig::write_file_atomic(dir / "record.json", record_of(rig::test::scenario::smoke).dump(1));
    const auto out = rig::write_html_report(dir.path());
    CHECK(out == dir / "report.html");
    const std::string html = rig::read_file(out);
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("</html>") != std::string::npos);
}

TEST_CASE("a minimal record without optional parts still renders", "[reports][html]") {
    json rec = record_of(rig::test::scenario::smoke);
    rec.erase("strokes");
    rec["measurements"] = json::array();
    rec["events"] = json::array();
    rec["timing"]["histogram"] = {{"upper_us", json::array()}, {"counts", json::array()}};
    const std::string html = rig::render_html_report(inputs(rec));
    CHECK(html.find("No stroke series in the record") != std::string::npos);
    CHECK(html.find("No step-response measurements") != std::string::npos);
    CHECK(html.find("No stall events") != std::string::npos);
}

TEST_CASE("the report lists every instrument self-check under its instrument, failed ones marked", "[reports][html]") {
    json rec = record_of(rig::test::scenario::smoke);
    // The real record's checks, as the runner wrote them.
    std::set<std::string> instruments;
    std::size_t checks = 0;
    for (const auto& m : rec["measurements"])
        if (m.contains("stats") && m["stats"].contains("checks"))
            for (const auto& c : m["stats"]["checks"]) {
                instruments.insert(c.value("instrument", ""));
                ++checks;
            }
    REQUIRE(checks > 0);
    REQUIRE(instruments.count("load_cell") == 1);
    std::string html = rig::render_html_report(inputs(rec));
    const std::string sec = element(html, "instrument-checks", "<h2");
    CHECK_THAT(sec, Catch::Contains("Every check passed."));
    for (const auto& i : instruments) CHECK_THAT(sec, Catch::Contains("<h3>" + i + "</h3>"));
    CHECK(count_of(sec, "<td class=\"outcome pass\">ok</td>") == checks);
    // A failed check (as a load-cell zero off its calibration writes it) is
    // shown as FAILED with its reason, and counted in the summary line.
    [&] {
        for (auto& m : rec["measurements"])
            if (m.contains("stats") && m["stats"].contains("checks"))
                for (auto& c : m["stats"]["checks"])
                    if (c.value("instrument", "") == "load_cell") {
                        c["outcome"] = "failed";
                        c["reason"] = "load cell: tare 250 mN, zero not at its calibration";
                        return;
                    }
    }();
    html = rig::render_html_report(inputs(rec));
    const std::string bad = element(html, "instrument-checks", "<h2");
    CHECK_THAT(bad, Catch::Contains("1 check(s) failed"));
    CHECK_THAT(bad, Catch::Contains("<td class=\"outcome error\">FAILED</td>"));
    CHECK_THAT(bad, Catch::Contains("zero not at its calibration"));
}
