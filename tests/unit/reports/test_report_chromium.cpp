// The report in a real browser (Debian package `chromium`): it loads without a
// console message, renders its plots, and screenshots to a non-trivial image.
// Skipped with a message when chromium is not installed.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "catch.hpp"
#include "record_fixture.hpp"
#include "rig/reports/html_report.hpp"

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
    if (exe.empty()) {
        WARN("chromium not installed (Debian package: chromium): browser tests skipped");
        return;
    }
    rig::test::TempDir tmp;
    rig::write_file_atomic(tmp / "record.json", rig::test::example_record().dump());
    const auto page = rig::write_html_report(tmp.path());

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
    if (exe.empty()) {
        WARN("chromium not installed (Debian package: chromium): screenshot test skipped");
        return;
    }
    rig::test::TempDir tmp;
    rig::write_file_atomic(tmp / "record.json", rig::test::example_record().dump());
    const auto page = rig::write_html_report(tmp.path());
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
