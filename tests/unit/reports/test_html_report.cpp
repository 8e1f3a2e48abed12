#include <regex>
#include <set>

#include "catch.hpp"
#include "record_fixture.hpp"
#include "rig/core/hash.hpp"
#include "rig/reports/html_report.hpp"
#include "rig/reports/json_schema.hpp"

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

// The text of the element with the given id, up to its closing tag.
std::string element(const std::string& html, const std::string& id, const std::string& close) {
    const auto start = html.find("id=\"" + id + "\"");
    if (start == std::string::npos) return {};
    const auto end = html.find(close, start);
    return html.substr(start, end == std::string::npos ? std::string::npos : end - start);
}
}  // namespace

TEST_CASE("every measurement appears with its outcome under each of its requirements", "[reports][html]") {
    const json rec = rig::test::example_record();
    const std::string html = rig::render_html_report(inputs(rec));
    REQUIRE(rec["measurements"].size() >= 12);
    std::set<std::string> kinds;
    for (const auto& m : rec["measurements"]) {
        const std::string id = m["id"];
        const std::string outcome = m["outcome"];
        kinds.insert(m["name"].get<std::string>());
        INFO(id);
        const std::string row = "<tr class=\"measurement\" id=\"m-" + id + "\" data-outcome=\"" + outcome + "\">";
        CHECK(count_of(html, row) == m["requirements"].size());
        const std::string tr = element(html, "m-" + id, "</tr>");
        CHECK(tr.find(">" + outcome + "</td>") != std::string::npos);
        if (m["value"].is_null()) CHECK(tr.find("no valid value") != std::string::npos);
    }
    for (const char* k : {"puncture_rate", "protrusion_depth", "strike_force", "startup_time", "rise_time", "overshoot",
                          "settling_time", "speed_regulation", "stall_latency", "loop_timing"})
        CHECK(kinds.count(k) == 1);
    for (const char* req : {"REQ-PERF-001", "REQ-PERF-002", "REQ-SAFE-010", "21CFR878.4430(b)(2)(i)"})
        CHECK(html.find("<h3 class=\"req\">" + std::string(req) + "</h3>") != std::string::npos);
    CHECK(html.find("<div class=\"verdict error\" id=\"verdict\">ERROR") != std::string::npos);
    CHECK(html.find("2 FAIL") != std::string::npos);
    CHECK(html.find("1 ERROR") != std::string::npos);
}

TEST_CASE("the report has a plot for each kind of step, with its data", "[reports][html]") {
    const std::string html = rig::render_html_report(inputs(rig::test::example_record()));
    for (const char* id : {"plot-rate", "plot-depth", "plot-force", "plot-step-4", "plot-stall-1", "plot-lateness"}) {
        INFO(id);
        const std::string fig = element(html, id, "</figure>");
        REQUIRE(!fig.empty());
        CHECK(fig.find("<svg class=\"plot\"") != std::string::npos);
        CHECK((fig.find("<polyline class=\"data\"") != std::string::npos ||
               fig.find("<path class=\"dots") != std::string::npos || fig.find("class=\"barfill\"") != std::string::npos));
    }
    const std::string step = element(html, "plot-step-4", "</figure>");
    CHECK(step.find(">10 %</text>") != std::string::npos);
    CHECK(step.find(">90 %</text>") != std::string::npos);
    CHECK(step.find(">settled</text>") != std::string::npos);
    const std::string stall = element(html, "plot-stall-1", "</figure>");
    for (const char* mark : {">brake on</text>", ">onset</text>", ">cut-off</text>", ">brake off</text>",
                             "<polyline class=\"current\""})
        CHECK(stall.find(mark) != std::string::npos);
    const std::string rate = element(html, "plot-rate", "</figure>");
    CHECK(rate.find("class=\"setpoint\"") != std::string::npos);
    CHECK(rate.find("<rect class=\"tol\"") != std::string::npos);
    CHECK(element(html, "plot-lateness", "</figure>").find("class=\"barlate\"") != std::string::npos);
}

TEST_CASE("the report references nothing outside itself", "[reports][html]") {
    json rec = rig::test::example_record();
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
    json rec = rig::test::example_record();
    rec["dut"]["serial"] = "<script>alert(1)</script>";
    rec["operator"]["name"] = "O'Brien & \"Sons\"";
    const std::string html = rig::render_html_report(inputs(rec));
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("O&#39;Brien &amp; &quot;Sons&quot;") != std::string::npos);
}

TEST_CASE("the header carries identity, calibration status and the statements of scope", "[reports][html]") {
    const json rec = rig::test::example_record();
    const auto in = inputs(rec);
    const std::string html = rig::render_html_report(in);
    for (const std::string& s : {std::string("20251125T101500Z-NP200-A1234"), std::string("NP200-A1234"), std::string("L2025-47"),
                                std::string("NeedlePro 200"), std::string("NP-200-spec"), std::string("sim-01"),
                                std::string("A. Example"), std::string("2025-11-25T10:15:00.000Z"),
                                rec["scenario"]["sha256"].get<std::string>(), rec["software"]["commit"].get<std::string>(),
                                in.record_sha256})
        CHECK(html.find(s) != std::string::npos);
    CHECK(html.find("ENC-0007: <b class=\"fail\">expired</b>") != std::string::npos);
    CHECK(html.find("LC-0042: <b class=\"pass\">valid</b>") != std::string::npos);
    CHECK(html.find("results relate only to the item tested") != std::string::npos);
    CHECK(html.find("It does not cover</b>: sterility") != std::string::npos);
    CHECK(html.find("fluid ingress") != std::string::npos);
    CHECK(html.find("Simulated fixture") != std::string::npos);
}

TEST_CASE("a report is UNREVIEWED until signed, then shows each signature", "[reports][html]") {
    const json rec = rig::test::example_record();
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
    rig::write_file_atomic(dir / "record.json", rig::test::example_record().dump(1));
    const auto out = rig::write_html_report(dir.path());
    CHECK(out == dir / "report.html");
    const std::string html = rig::read_file(out);
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("</html>") != std::string::npos);
}

TEST_CASE("a minimal record without optional parts still renders", "[reports][html]") {
    json rec = rig::test::example_record();
    rec.erase("strokes");
    rec["measurements"] = json::array();
    rec["events"] = json::array();
    rec["timing"]["histogram"] = {{"upper_us", json::array()}, {"counts", json::array()}};
    const std::string html = rig::render_html_report(inputs(rec));
    CHECK(html.find("No stroke series in the record") != std::string::npos);
    CHECK(html.find("No step-response measurements") != std::string::npos);
    CHECK(html.find("No stall events") != std::string::npos);
}
