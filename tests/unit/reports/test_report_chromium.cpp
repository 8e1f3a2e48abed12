// The report in a real browser (Debian package `chromium`), rendered from
// records the runner writes at test time: it loads without a console message,
// renders its plots, lays out without horizontal overflow at print width, and
// screenshots to a non-trivial image. SKIPPED (ctest) when chromium is absent.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "catch.hpp"
#include "record_fixture.hpp"
#include "rig/reports/html_report.hpp"
#include "skip.hpp"

namespace fs = std::filesystem;

namespace {
std::string find_chromium() {
    if (const char* e = std::getenv("PENRIG_CHROMIUM"); e != nullptr && *e != '\0') return e;
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "/usr/bin");
    for (std::string d; std::getline(dirs, d, ':');)
        for (const char* name : {"chromium", "chromium-browser"})
            if (fs::exists(fs::path(d) / name)) return (fs::path(d) / name).string();
    return {};
}

struct Run {
    int status = -1;
    std::string out, err;
};

// One headless chromium invocation, isolated in its own profile folder.
Run chromium(const std::string& exe, const rig::test::TempDir& tmp, const std::string& args, const fs::path& page) {
    const auto out = tmp / "chromium.out", err = tmp / "chromium.err";
    const std::string cmd = "timeout 120 '" + exe +
                            "' --headless --no-sandbox --disable-gpu --disable-background-networking "
                            "--disable-component-update --disable-sync --no-first-run --disable-dev-shm-usage "
                            "--enable-logging=stderr --v=0 --user-data-dir='" +
                            (tmp / "profile").string() + "' " + args + " 'file://" + page.string() + "' > '" +
                            out.string() + "' 2> '" + err.string() + "'";
    Run r;
    r.status = std::system(cmd.c_str());
    r.out = rig::read_file(out);
    r.err = rig::read_file(err);
    return r;
}

// Messages the page itself produced (console, CSP refusals, load failures);
// chromium's own start-up noise (dbus, GPU) is not about the page.
std::string page_messages(const std::string& log) {
    std::istringstream in(log);
    std::string found;
    for (std::string line; std::getline(in, line);)
        if (line.find("CONSOLE") != std::string::npos || line.find("Refused to") != std::string::npos ||
            line.find("ERR_") != std::string::npos || line.find("Uncaught") != std::string::npos)
            found += line + "\n";
    return found;
}

// Layout as the browser computed it, measured by a script appended to a copy
// of the page (the report itself runs no script: its policy forbids it).
// The script writes its findings as JSON into <pre id="layout">.
constexpr const char* layout_probe = R"JS(<script>
(function () {
  const W = document.documentElement.clientWidth;
  const res = {width: W, scroll_width: document.documentElement.scrollWidth, overflow: [], id_lines: 0,
               id_cells: 0, label_overlaps: [], legend_over_data: [], plots: 0};
  const over = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > W + 0.5; };
  const section = el => { let h = null; for (const x of document.querySelectorAll('h2')) if (x.compareDocumentPosition(el) & 4) h = x; return h ? h.textContent : 'header'; };
  for (const el of document.body.querySelectorAll('*')) {
    // Only the outermost element that overflows (its children follow it).
    if (over(el) && !(el.parentElement && over(el.parentElement)) && res.overflow.length < 20)
      res.overflow.push(el.tagName + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className ? '.' + el.className : '') +
                        ' in "' + section(el) + '" right=' + Math.round(el.getBoundingClientRect().right));
  }
  for (const td of document.querySelectorAll('td.mid')) {
    const range = document.createRange();
    range.selectNodeContents(td);
    const tops = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
    res.id_cells++;
    res.id_lines = Math.max(res.id_lines, tops.size);
  }
  const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  for (const svg of document.querySelectorAll('svg.plot')) {
    res.plots++;
    const labels = Array.from(svg.querySelectorAll('text.vlabel')).map(t => [t.textContent, t.getBoundingClientRect()]);
    for (let i = 0; i < labels.length; i++)
      for (let j = i + 1; j < labels.length; j++)
        if (hit(labels[i][1], labels[j][1])) res.label_overlaps.push(svg.getAttribute('aria-label') + ': ' + labels[i][0] + ' / ' + labels[j][0]);
    const frame = svg.querySelector('rect.frame').getBoundingClientRect();
    for (const t of svg.querySelectorAll('text.legend'))
      if (hit(t.getBoundingClientRect(), frame)) res.legend_over_data.push(svg.getAttribute('aria-label') + ': ' + t.textContent);
  }
  const pre = document.createElement('pre');
  pre.id = 'layout';
  pre.textContent = JSON.stringify(res);
  document.body.appendChild(pre);
})();
</script>)JS";

nlohmann::json measure_layout(const std::string& exe, const rig::test::TempDir& tmp, const fs::path& report, int width_px) {
    std::string page = rig::read_file(report);
    const auto csp = page.find("<meta http-equiv=\"Content-Security-Policy\"");
    REQUIRE(csp != std::string::npos);
    page.erase(csp, page.find('>', csp) + 1 - csp);
    page.replace(page.rfind("</body>"), 7, std::string(layout_probe) + "</body>");
    const auto probe = tmp / "probe.html";
    rig::write_file_atomic(probe, page);
    const Run dom = chromium(exe, tmp, "--dump-dom --window-size=" + std::to_string(width_px) + ",1200", probe);
    REQUIRE(dom.status == 0);
    const auto start = dom.out.find("<pre id=\"layout\">");
    INFO(dom.err);
    REQUIRE(start != std::string::npos);
    const auto body = start + std::string("<pre id=\"layout\">").size();
    std::string text = dom.out.substr(body, dom.out.find("</pre>", body) - body);
    for (auto p = text.find("&quot;"); p != std::string::npos; p = text.find("&quot;", p)) text.replace(p, 6, "\"");
    for (auto p = text.find("&lt;"); p != std::string::npos; p = text.find("&lt;", p)) text.replace(p, 4, "<");
    for (auto p = text.find("&gt;"); p != std::string::npos; p = text.find("&gt;", p)) text.replace(p, 4, ">");
    for (auto p = text.find("&amp;"); p != std::string::npos; p = text.find("&amp;", p + 1)) text.replace(p, 5, "&");
    return nlohmann::json::parse(text);
}

bool png_header(const std::string& png, unsigned& w, unsigned& h) {
    if (png.size() < 24 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || png.compare(12, 4, "IHDR") != 0) return false;
    auto be32 = [&](std::size_t o) {
        return (static_cast<unsigned>(static_cast<unsigned char>(png[o])) << 24) |
               (static_cast<unsigned>(static_cast<unsigned char>(png[o + 1])) << 16) |
               (static_cast<unsigned>(static_cast<unsigned char>(png[o + 2])) << 8) |
               static_cast<unsigned>(static_cast<unsigned char>(png[o + 3]));
    };
    w = be32(16);
    h = be32(20);
    return true;
}
}  // namespace

TEST_CASE("the report loads in headless chromium without console messages and renders its plots", "[reports][chromium]") {
    const std::string exe = find_chromium();
    if (exe.empty()) PENRIG_SKIP("chromium not installed (Debian package: chromium)");
    rig::test::TempDir tmp;
    const auto page = rig::test::real_run(tmp, rig::test::scenario::nightly).dir / "report.html";

    const Run dom = chromium(exe, tmp, "--dump-dom", page);
    REQUIRE(dom.status == 0);
    INFO(page_messages(dom.err));
    CHECK(page_messages(dom.err).empty());
    // The DOM after parsing: every plot is an SVG element with drawn content.
    CHECK(dom.out.find("id=\"plot-rate\"") != std::string::npos);
    std::size_t svgs = 0;
    for (auto p = dom.out.find("<svg class=\"plot\""); p != std::string::npos; p = dom.out.find("<svg class=\"plot\"", p + 1)) ++svgs;
    CHECK(svgs >= 7);  // rate, depth, force, step, stall needle + current, lateness
    CHECK(dom.out.find("<polyline class=\"data\"") != std::string::npos);

    // The detector works: a page that references something outside itself is
    // refused by the report's own policy and the refusal is logged.
    std::string bad = rig::read_file(page);
    bad.replace(bad.find("</body>"), 7, "<img src=\"https://example.invalid/x.png\"></body>");
    rig::write_file_atomic(tmp / "bad.html", bad);
    const Run refused = chromium(exe, tmp, "--dump-dom", tmp / "bad.html");
    CHECK_FALSE(page_messages(refused.err).empty());
}

TEST_CASE("the report screenshots to a non-trivial image", "[reports][chromium]") {
    const std::string exe = find_chromium();
    if (exe.empty()) PENRIG_SKIP("chromium not installed (Debian package: chromium)");
    rig::test::TempDir tmp;
    const auto page = rig::test::real_run(tmp, rig::test::scenario::nightly).dir / "report.html";
    rig::write_file_atomic(tmp / "blank.html", "<!DOCTYPE html><html><body></body></html>");

    const auto shot = tmp / "report.png", blank_shot = tmp / "blank.png";
    REQUIRE(chromium(exe, tmp, "--window-size=1200,2000 --screenshot='" + shot.string() + "'", page).status == 0);
    REQUIRE(chromium(exe, tmp, "--window-size=1200,2000 --screenshot='" + blank_shot.string() + "'", tmp / "blank.html").status == 0);
    REQUIRE(fs::exists(shot));
    const std::string png = rig::read_file(shot), blank = rig::read_file(blank_shot);
    unsigned w = 0, h = 0;
    REQUIRE(png_header(png, w, h));
    CHECK(w == 1200);
    CHECK(h == 2000);
    // A blank page compresses to almost nothing; text, tables and plots do not.
    CHECK(png.size() > 20 * blank.size());
    CHECK(png.size() > 100000);
    if (const char* keep = std::getenv("PENRIG_REPORT_SCREENSHOT"); keep != nullptr)
        fs::copy_file(shot, keep, fs::copy_options::overwrite_existing);
}

TEST_CASE("the report lays out at print width: no overflow, ids readable, labels and legends clear of each other",
          "[reports][chromium][layout]") {
    const std::string exe = find_chromium();
    if (exe.empty()) PENRIG_SKIP("chromium not installed (Debian package: chromium)");
    // A4 portrait with the report's print margins is about 700 CSS px wide.
    for (const char* sc : {rig::test::scenario::nightly, rig::test::scenario::stall, rig::test::scenario::fail}) {
        rig::test::TempDir tmp;
        const auto run = rig::test::real_run(tmp, sc);
        const auto layout = measure_layout(exe, tmp, run.dir / "report.html", 720);
        INFO(sc << "\n" << layout.dump(1));
        CHECK(layout["overflow"].empty());
        CHECK(layout["scroll_width"].get<int>() <= layout["width"].get<int>());
        // One Id cell per measurement and requirement it serves; an id wraps at
        // most once per part (letter by letter would be a line per character).
        int cells = 0, parts = 1;
        for (const auto& m : run.record["measurements"]) {
            cells += std::max(1, static_cast<int>(m["requirements"].size()));
            const std::string id = m["id"];
            parts = std::max(parts, 1 + static_cast<int>(std::count_if(id.begin(), id.end(), [](char c) {
                                        return c == '.' || c == '_' || c == '@' || c == ':' || c == '/';
                                    })));
        }
        CHECK(layout["id_cells"].get<int>() == cells);
        CHECK(layout["id_lines"].get<int>() <= parts);
        CHECK(layout["label_overlaps"].empty());
        CHECK(layout["legend_over_data"].empty());
        CHECK(layout["plots"].get<int>() >= 4);
    }
}
