#include "rig/reports/html_report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "rig/core/atomic_file.hpp"
#include "rig/core/hash.hpp"
#include "rig/reports/json_schema.hpp"
#include "rig/reports/utc_time.hpp"
#include "rig/reports/svg_plot.hpp"

namespace rig {
namespace fs = std::filesystem;
using nlohmann::json;
using svg::escape;
using svg::num;

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

// Tolerant accessors: the report renders whatever a valid record holds and
// says "not recorded" for the rest, rather than failing on an optional field.
std::string str(const json& j, const char* key, const std::string& def = "") {
    if (!j.is_object()) return def;
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : def;
}
double dbl(const json& j, const char* key) {
    if (!j.is_object()) return nan_v;
    auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : nan_v;
}
const json& sub(const json& j, const char* key) {
    static const json empty = json::object();
    if (!j.is_object()) return empty;
    auto it = j.find(key);
    return it != j.end() ? *it : empty;
}
std::vector<double> series(const json& obj, const char* key) {
    std::vector<double> out;
    const json& a = sub(obj, key);
    if (!a.is_array()) return out;
    out.reserve(a.size());
    for (const auto& v : a) out.push_back(v.is_number() ? v.get<double>() : nan_v);
    return out;
}
// A duration measurement's value in seconds (NaN when it has no value or is
// not a duration): the record states each value in its own unit.
double value_s(const json& m) {
    const json& v = m.is_object() && m.contains("value") ? m["value"] : json();
    if (!v.is_number()) return nan_v;
    const std::string unit = m.value("unit", "");
    const double scale = unit == "s" ? 1.0 : unit == "ms" ? 1e-3 : unit == "us" || unit == "µs" ? 1e-6 : nan_v;
    return v.get<double>() * scale;
}
// "protrusion_depth" -> "protrusion depth"
std::string spaced(std::string name) {
    std::replace(name.begin(), name.end(), '_', ' ');
    return name;
}
std::string esc_or(const std::string& s, const char* def = "not recorded") {
    return s.empty() ? std::string("<span class=\"nr\">") + def + "</span>" : escape(s);
}

std::string outcome_cell(const std::string& outcome) {
    std::string cls = outcome == "PASS" ? "pass" : outcome == "FAIL" ? "fail" : outcome == "ERROR" ? "error" : "other";
    return "<td class=\"outcome " + cls + "\">" + escape(outcome) + "</td>";
}

std::string limits_text(const json& m) {
    const double lo = dbl(m, "low"), hi = dbl(m, "high");
    if (std::isfinite(lo) && std::isfinite(hi)) return num(lo, 5) + " … " + num(hi, 5);
    if (std::isfinite(lo)) return "≥ " + num(lo, 5);
    if (std::isfinite(hi)) return "≤ " + num(hi, 5);
    return "<span class=\"nr\">none</span>";
}

struct Series {
    std::vector<double> t, depth, force, rate;
};

class Report {
public:
    explicit Report(const HtmlReportInputs& in) : in_(in), r_(in.record) {
        const json& st = sub(r_, "strokes");
        s_.t = series(st, "t_s");
        s_.depth = series(st, "depth_mm");
        s_.force = series(st, "force_n");
        s_.rate = series(st, "rate_hz");
        // Plots select measurements by their kind's plot in the record's
        // `kinds` table (the registry's word), never by name: a new kind
        // with an existing plot is drawn without a change here.
        for (const auto& m : sub(r_, "measurements")) {
            by_plot_[str(sub(sub(r_, "kinds"), str(m, "kind").c_str()), "plot")].push_back(&m);
        }
        t_end_ = 0.0;
        for (const auto& s : sub(r_, "steps")) t_end_ = std::max(t_end_, dbl(s, "end_s"));
        for (double t : s_.t)
            if (std::isfinite(t)) t_end_ = std::max(t_end_, t);
        if (!(t_end_ > 0.0)) t_end_ = 1.0;
    }

    std::string render() {
        const std::string run_id = str(r_, "run_id", "unknown");
        o_ += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
        // The browser itself enforces self-containment: nothing may be fetched.
        o_ += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
              "img-src data:\">";
        o_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
        o_ += "<title>Test report " + escape(run_id) + "</title><style>" + std::string(svg::report_css()) + "</style></head><body>";
        header();
        review_status();
        calibration();
        references();
        measurements();
        uncertainty_budgets();
        instrument_checks();
        plots();
        timing();
        steps_and_events();
        scope();
        inputs();
        footer();
        o_ += "</body></html>\n";
        return std::move(o_);
    }

private:
    void header() {
        const std::string verdict = str(r_, "verdict", "INCOMPLETE");
        const std::string vcls = verdict == "PASS" ? "pass" : verdict == "FAIL" ? "fail" : "error";
        const json& sw = sub(r_, "software");
        const json& dut = sub(r_, "dut");
        const json& op = sub(r_, "operator");
        const json& sc = sub(r_, "scenario");
        const json& sp = sub(r_, "spec");
        const json& fx = sub(r_, "fixture");
        o_ += "<section class=\"header\"><div><h1>Test report — motorised microneedling pen</h1>";
        o_ += "<div>penrig hardware-in-the-loop test rig · report id <b class=\"mono\">" + escape(str(r_, "run_id")) +
              "</b></div>";
        o_ += "<table class=\"id\"><tbody>";
        row("Device under test", "serial <b>" + esc_or(str(dut, "serial")) + "</b>, lot <b>" + esc_or(str(dut, "lot")) + "</b>");
        row("Pen model / specification",
            esc_or(str(sp, "model")) + " · spec " + esc_or(str(sp, "id", str(sp, "title"))) + " version " +
                esc_or(str(sp, "version")) + "<br><span class=\"mono\">sha256 " + escape(str(sp, "sha256")) + "</span>");
        row("Scenario", esc_or(str(sc, "id", str(sc, "path"))) + " version " + esc_or(str(sc, "version")) +
                            (str(sc, "title").empty() ? "" : " — " + escape(str(sc, "title"))) +
                            "<br><span class=\"mono\">sha256 " + escape(str(sc, "sha256")) + "</span>");
        row("Rig / fixture", esc_or(str(fx, "name")) + " (" + esc_or(str(fx, "backend")) + " backend), fixture file " +
                                 esc_or(str(fx, "path")) + "<br><span class=\"mono\">sha256 " + escape(str(fx, "sha256")) +
                                 "</span>");
        row("Software", escape(str(sw, "name", "penrig")) + " " + esc_or(str(sw, "version")) +
                            ", commit <span class=\"mono\">" + esc_or(str(sw, "commit")) + "</span>");
        row("Host", esc_or(str(r_, "host")));
        row("Operator", esc_or(str(op, "name")) + " <span class=\"nr\">(" + escape(str(op, "source")) + ")</span>");
        row("Date/time (UTC)", "started " + esc_or(str(r_, "started_utc")) + ", ended " + esc_or(str(r_, "ended_utc")));
        std::string tags;
        if (sub(r_, "tags").is_array())
            for (const auto& t : sub(r_, "tags"))
                if (t.is_string()) tags += (tags.empty() ? "" : ", ") + escape(t.get<std::string>());
        row("Tags / seed", (tags.empty() ? std::string("<span class=\"nr\">none</span>") : tags) + " · seed " +
                               (sub(r_, "seed").is_number() ? sub(r_, "seed").dump() : std::string("—")));
        std::string cal;
        for (const auto& c : sub(r_, "calibration")) {
            const std::string status = str(c, "status");
            cal += escape(str(c, "instrument")) + " " + escape(str(c, "id")) + ": <b class=\"" +
                   (status == "valid" ? "pass" : "fail") + "\">" + escape(status) + "</b> (due " + escape(str(c, "due")) +
                   ")<br>";
        }
        row("Calibration status", cal.empty() ? "<span class=\"nr\">no calibration records</span>" : cal);
        row("Record SHA-256", "<span class=\"mono\">" + escape(in_.record_sha256) + "</span>");
        o_ += "</tbody></table></div>";
        o_ += "<div class=\"verdict " + vcls + "\" id=\"verdict\">" + escape(verdict) + "<small>overall verdict</small></div>";
        o_ += "</section>";
        if (!str(r_, "verdict_reason").empty())
            o_ += "<p><b>Verdict reason:</b> " + escape(str(r_, "verdict_reason")) + "</p>";
        if (sub(r_, "complete").is_boolean() && !sub(r_, "complete").get<bool>())
            o_ += "<div class=\"banner\">INCOMPLETE RECORD — the run did not finish; no result in it is a PASS</div>";
    }

    void row(const std::string& k, const std::string& v_html) {
        o_ += "<tr><td>" + escape(k) + "</td><td>" + v_html + "</td></tr>";
    }

    void review_status() {
        o_ += "<h2>Review and signatures</h2>";
        if (in_.signatures.empty()) {
            o_ += "<div class=\"banner\" id=\"unreviewed\">UNREVIEWED — this record carries no electronic signature</div>";
            return;
        }
        o_ += "<div class=\"signed\" id=\"signed\">Signed electronically (" + std::to_string(in_.signatures.size()) +
              " signature" + (in_.signatures.size() == 1 ? "" : "s") + ")</div>";
        o_ += "<table><thead><tr><th>#</th><th>Printed name</th><th>Date/time (UTC)</th><th>Meaning</th>"
              "<th>Bound to record SHA-256</th><th>Key</th></tr></thead><tbody>";
        for (const auto& s : in_.signatures) {
            const bool bound = s.record_sha256 == in_.record_sha256;
            o_ += "<tr class=\"signature\"><td>" + std::to_string(s.seq) + "</td><td><b>" + escape(s.name) + "</b></td><td>" +
                  escape(s.utc) + "</td><td>" + escape(s.meaning) + "</td><td class=\"mono\">" + escape(s.record_sha256) +
                  (bound ? "" : " <b class=\"fail\">(does not match this record)</b>") + "</td><td class=\"mono\">" +
                  escape(s.key_id) + "</td></tr>";
        }
        o_ += "</tbody></table>";
    }

    void calibration() {
        o_ += "<h2>Measuring equipment and calibration</h2>";
        if (sub(r_, "calibration").empty()) {
            o_ += "<p class=\"nr\">No calibration records were in force.</p>";
            return;
        }
        o_ += "<table><thead><tr><th>Instrument</th><th>Asset id</th><th>Scale</th><th>Offset</th><th>Calibrated</th>"
              "<th>Due</th><th>Reference standard</th><th>Result</th><th>By</th><th>Status</th></tr></thead><tbody>";
        for (const auto& c : sub(r_, "calibration")) {
            const std::string unit = str(c, "unit");
            const std::string status = str(c, "status");
            o_ += "<tr><td>" + escape(str(c, "instrument")) + "</td><td>" + escape(str(c, "id")) + "</td><td class=\"num\">" +
                  num(dbl(c, "scale"), 6) + " " + escape(unit) + "/count</td><td class=\"num\">" + num(dbl(c, "offset"), 6) +
                  " " + escape(unit) + "</td><td>" + escape(str(c, "date")) + "</td><td>" + escape(str(c, "due")) +
                  "</td><td>" + esc_or(str(c, "reference")) + "</td><td>" + esc_or(str(c, "result")) + "</td><td>" +
                  esc_or(str(c, "performed_by")) + "</td>" + "<td class=\"outcome " + (status == "valid" ? "pass" : "fail") +
                  "\">" + escape(status) + "</td></tr>";
        }
        o_ += "</tbody></table>";
    }

    /// Where the run found the cartridge face in encoder counts: the zero
    /// every protrusion depth of the run is measured from.
    void references() {
        const json& refs = sub(r_, "references");
        o_ += "<h2>Cartridge-face reference (depth zero)</h2>";
        if (!refs.is_array() || refs.empty()) {
            o_ += "<p class=\"nr\">No reference step in this run: protrusion depth has no cartridge-face reference "
                  "(ERROR).</p>";
            return;
        }
        o_ += "<table class=\"refs\"><thead><tr><th>Reference</th><th>Method</th><th>Instrument</th><th>At (s)</th>"
              "<th>Face (mm)</th><th>Face (counts)</th><th>U, k = 2 (µm)</th><th>Evidence</th><th>Next reference "
              "(µm)</th><th>Truth / error (µm)</th><th>Status</th></tr></thead><tbody>";
        for (const auto& f : refs) {
            const bool valid = f.value("valid", false);
            auto um = [&](const char* key) {
                const double v = dbl(f, key);
                return std::isfinite(v) ? num(v * 1e3, 3) : std::string();
            };
            std::string evidence;
            if (std::isfinite(dbl(f, "contact_stiffness_n_per_mm"))) {
                evidence += "contact " + num(dbl(f, "contact_stiffness_n_per_mm"), 4) + " N/mm over " +
                            num(dbl(f, "points"), 6) + " samples; ";
            }
            if (std::isfinite(dbl(f, "rest_return_mm"))) evidence += "rest return " + um("rest_return_mm") + " µm";
            std::string truth;
            if (std::isfinite(dbl(f, "truth_mm"))) truth = num(dbl(f, "truth_mm"), 6) + " mm / " + um("error_mm");
            o_ += "<tr><td>" + escape(str(f, "id")) + "</td><td>" + escape(str(f, "method")) + "</td><td>" +
                  escape(str(f, "instrument")) + " " + escape(str(f, "calibration_id")) + "</td><td class=\"num\">" +
                  num(dbl(f, "t_s"), 5) + "</td><td class=\"num\">" +
                  (std::isfinite(dbl(f, "value_mm")) ? num(dbl(f, "value_mm"), 6) : std::string()) +
                  "</td><td class=\"num\">" +
                  (std::isfinite(dbl(f, "value_counts")) ? num(dbl(f, "value_counts"), 7) : std::string()) +
                  "</td><td class=\"num\">" + um("uncertainty_mm") + "</td><td>" + escape(evidence) +
                  "</td><td class=\"num\">" + um("drift_to_next_mm") + "</td><td class=\"num\">" + escape(truth) +
                  "</td><td class=\"outcome " + (valid ? "pass" : "error") + "\">" +
                  (valid ? std::string("valid") : "not valid: " + escape(str(f, "reason"))) + "</td></tr>";
        }
        o_ += "</tbody></table>";
    }

    // The instruments' self-checks (stats.checks of each measurement), grouped
    // by instrument: what was checked on which measurement's data, the value
    // against its limit, and the outcome; a failed check is what made that
    // measurement ERROR.
    void instrument_checks() {
        struct Row {
            std::string measurement, check, unit, outcome, reason;
            double value, limit;
        };
        std::map<std::string, std::vector<Row>> by_instrument;
        std::size_t failed = 0;
        for (const auto& m : sub(r_, "measurements")) {
            const json& checks = sub(sub(m, "stats"), "checks");
            if (!checks.is_array()) continue;
            for (const auto& c : checks) {
                Row row{str(m, "id"), str(c, "check"), str(c, "unit"), str(c, "outcome"), str(c, "reason"),
                        dbl(c, "value"), dbl(c, "limit")};
                if (row.outcome != "ok") ++failed;
                by_instrument[str(c, "instrument", "unknown")].push_back(std::move(row));
            }
        }
        o_ += "<h2 id=\"instrument-checks\">Instrument self-checks</h2>";
        if (by_instrument.empty()) {
            o_ += "<p class=\"nr\">No instrument self-check in this record.</p>";
            return;
        }
        o_ += failed == 0 ? "<p>Every check passed.</p>"
                          : "<p class=\"fail\"><strong>" + std::to_string(failed) +
                                " check(s) failed</strong>: the measurements named below are ERROR.</p>";
        for (const auto& [instrument, rows] : by_instrument) {
            o_ += "<h3>" + escape(instrument) + "</h3><table class=\"measurements checks\"><thead><tr><th>measurement</th>"
                  "<th>check</th><th>value</th><th>limit</th><th>outcome</th></tr></thead><tbody>";
            for (const auto& r : rows) {
                const bool ok = r.outcome == "ok";
                o_ += "<tr><td>" + svg::breakable(r.measurement) + "</td><td>" + escape(r.check) +
                      (ok || r.reason.empty() ? std::string() : "<br><span class=\"nr\">" + escape(r.reason) + "</span>") +
                      "</td><td class=\"num\">" + (std::isfinite(r.value) ? num(r.value) + " " + escape(r.unit) : "-") +
                      "</td><td class=\"num\">" + (std::isfinite(r.limit) ? num(r.limit) + " " + escape(r.unit) : "-") +
                      "</td><td class=\"outcome " + (ok ? "pass" : "error") + "\">" + (ok ? "ok" : "FAILED") + "</td></tr>";
            }
            o_ += "</tbody></table>";
        }
    }

    // U beside a value (and the decision rule's mark when it is within U of a
    // limit); a value without U (ERROR has none) shows nothing here.
    static std::string uncertainty_cell(const json& m) {
        const json& u = sub(m, "uncertainty");
        std::string out;
        if (u.is_object() && sub(u, "U").is_number()) {
            out += "<br><span class=\"unc\">± " + num(dbl(u, "U"), 3) + " (U, k = " + num(dbl(u, "k"), 2) + ")</span>";
        }
        const json& d = sub(m, "decision");
        if (sub(d, "conditional").is_boolean() && sub(d, "conditional").get<bool>()) {
            out += "<br><span class=\"nr\">conditional: within U of a limit (" + escape(str(d, "rule")) + " rule)</span>";
        }
        return out;
    }

    // Each value's uncertainty budget (GUM): its inputs with their figures,
    // distributions, sensitivities and contributions, then u_c and U.
    void uncertainty_budgets() {
        const json& ms = sub(r_, "measurements");
        o_ += "<h2 id=\"uncertainty\">Uncertainty budgets</h2>";
        std::string rule;
        for (const auto& m : ms) {
            if (rule.empty()) rule = str(sub(m, "decision"), "rule");
        }
        o_ += "<p>Per JCGM 100 (GUM): u<sub>c</sub> = √Σ (c<sub>i</sub> u<sub>i</sub>)², U = k u<sub>c</sub>. "
              "Decision rule: <b>" + escape(rule.empty() ? std::string("simple") : rule) +
              "</b> (simple: the value alone is judged; guarded: a value within U of a limit is conditional and "
              "judged FAIL). ERROR measurements have no value and no U.</p>";
        bool any = false;
        for (const auto& m : ms) {
            const json& u = sub(m, "uncertainty");
            if (!u.is_object()) continue;
            any = true;
            const std::string unit = str(m, "unit");
            o_ += "<h3>" + svg::breakable(str(m, "id")) + " <span class=\"nr\">" + escape(str(m, "name")) + " = " +
                  num(dbl(m, "value"), 6) + " ± " + num(dbl(u, "U"), 3) + " " + escape(unit) + "</span></h3>";
            o_ += "<table class=\"measurements budget\"><thead><tr><th>input</th><th>type</th><th>distribution</th>"
                  "<th>figure</th><th>divisor</th><th>u</th><th>sensitivity</th><th>contribution (" + escape(unit) +
                  ")</th><th>basis</th></tr></thead><tbody>";
            for (const auto& c : sub(u, "components")) {
                const std::string cu = str(c, "unit");
                o_ += "<tr><td>" + escape(str(c, "name")) + "</td><td>" + escape(str(c, "type")) + "</td><td>" +
                      escape(str(c, "distribution")) + "</td><td class=\"num\">" + num(dbl(c, "value"), 4) + " " +
                      escape(cu) + "</td><td class=\"num\">" + num(dbl(c, "divisor"), 4) + "</td><td class=\"num\">" +
                      num(dbl(c, "u"), 4) + " " + escape(cu) + "</td><td class=\"num\">" + num(dbl(c, "sensitivity"), 4) +
                      "</td><td class=\"num\">" + num(dbl(c, "contribution"), 4) + "</td><td>" +
                      escape(str(c, "basis")) + "</td></tr>";
            }
            o_ += "<tr><td colspan=\"7\"><b>combined standard uncertainty u<sub>c</sub></b></td><td class=\"num\"><b>" +
                  num(dbl(u, "u_c"), 4) + "</b></td><td></td></tr>";
            o_ += "<tr><td colspan=\"7\"><b>expanded uncertainty U (k = " + num(dbl(u, "k"), 2) +
                  ")</b></td><td class=\"num\"><b>" + num(dbl(u, "U"), 4) + "</b></td><td></td></tr>";
            o_ += "</tbody></table>";
        }
        if (!any) o_ += "<p class=\"nr\">No measurement in this record has a value with an uncertainty.</p>";
    }

    void measurements() {
        const json& ms = sub(r_, "measurements");
        std::size_t pass = 0, fail = 0, error = 0;
        std::map<std::string, std::vector<const json*>> groups;
        for (const auto& m : ms) {
            const std::string oc = str(m, "outcome");
            pass += oc == "PASS";
            fail += oc == "FAIL";
            error += oc == "ERROR";
            const json& reqs = sub(m, "requirements");
            bool any = false;
            if (reqs.is_array())
                for (const auto& q : reqs)
                    if (q.is_string()) {
                        groups[q.get<std::string>()].push_back(&m);
                        any = true;
                    }
            if (!any) groups["(no requirement reference)"].push_back(&m);
        }
        o_ += "<h2>Results by requirement</h2>";
        o_ += "<p>" + std::to_string(ms.size()) + " measurements: <b class=\"pass\">" + std::to_string(pass) +
              " PASS</b>, <b class=\"fail\">" + std::to_string(fail) + " FAIL</b>, <b class=\"error\">" +
              std::to_string(error) +
              " ERROR</b>. FAIL: the pen is outside its specification. ERROR: the rig could not measure validly "
              "(no value is reported as a result). A measurement that serves several requirements is listed under each.</p>";
        for (const auto& [req, list] : groups) {
            o_ += "<h3 class=\"req\">" + escape(req) + "</h3>";
            o_ += "<table class=\"measurements\"><thead><tr><th>Id</th><th>Quantity</th><th>Step</th><th>Window (s)</th>"
                  "<th>Value</th><th>Unit</th><th>Limits</th><th>Limits source</th><th>Outcome</th>";
            const bool sim = std::any_of(list.begin(), list.end(), [](const json* m) { return m->contains("truth"); });
            if (sim) o_ += "<th>Sim truth / error</th>";
            o_ += "</tr></thead><tbody>";
            for (const json* mp : list) {
                const json& m = *mp;
                const json& w = sub(m, "window");
                const json& v = sub(m, "value");
                std::string label = str(m, "label");
                std::string qty = svg::breakable(str(m, "name")) + (label.empty() ? "" : "<br><span class=\"nr\">" + escape(label) + "</span>");
                if (!str(m, "message").empty()) qty += "<br><i>" + escape(str(m, "message")) + "</i>";
                std::string window = num(dbl(w, "start_s"), 5) + " … " + num(dbl(w, "end_s"), 5);
                if (sub(w, "strokes").is_number()) window += "<br>" + sub(w, "strokes").dump() + " strokes";
                o_ += "<tr class=\"measurement\" id=\"m-" + escape(str(m, "id")) + "\" data-outcome=\"" +
                      escape(str(m, "outcome")) + "\"><td class=\"mid\">" + svg::breakable(str(m, "id")) + "</td><td>" + qty +
                      "</td><td class=\"num\">" + (sub(m, "step").is_number() ? sub(m, "step").dump() : "") +
                      (sub(m, "line").is_number() ? "<br><span class=\"nr\">line " + sub(m, "line").dump() + "</span>" : "") +
                      "</td><td class=\"num\">" + window + "</td><td class=\"num\"><b>" +
                      (v.is_number() ? num(v.get<double>(), 6) : std::string("<span class=\"nr\">no valid value</span>")) +
                      "</b>" + uncertainty_cell(m) + "</td><td>" + escape(str(m, "unit")) + "</td><td class=\"num\">" + limits_text(m) + "</td><td>" +
                      svg::breakable(str(m, "limits_source")) + "</td>" + outcome_cell(str(m, "outcome"));
                if (sim)
                    o_ += "<td class=\"num\">" + (m.contains("truth") ? num(dbl(m, "truth"), 6) + " / " + num(dbl(m, "error"), 3) : "") +
                          "</td>";
                o_ += "</tr>";
            }
            o_ += "</tbody></table>";
        }
    }

    // ---- plots -------------------------------------------------------------

    // The measurements whose kind the report draws in `plot` (MeasureKind::plot).
    std::vector<const json*> of_plot(const std::string& plot) const {
        auto it = by_plot_.find(plot);
        return it == by_plot_.end() ? std::vector<const json*>{} : it->second;
    }

    // What a per-stroke plot shows, from the first kind the record draws in
    // `plot` (its name, its quantity's unit); without one, from the stroke
    // series itself.
    struct Quantity {
        std::string kind, label, unit;
    };
    // One of the record's per-stroke series (strokes.<id>_<unit>): the
    // quantity it holds, named as a kind would be.
    struct StrokeSeries {
        std::string id, name, unit;
    };
    Quantity quantity_of(const std::string& plot, const StrokeSeries& series) const {
        for (const auto& [kind, info] : sub(r_, "kinds").items()) {
            if (str(info, "plot") != plot) continue;
            const json& qs = sub(info, "quantities");
            const json& q = qs.contains(kind) ? qs[kind] : qs.empty() ? json::object() : qs.front();
            return {kind, spaced(kind), str(q, "unit", series.unit)};
        }
        return {series.name, spaced(series.name), series.unit};
    }

    std::vector<std::pair<double, double>> stall_zones() const {
        std::vector<std::pair<double, double>> z;
        double on = nan_v;
        for (const auto& e : sub(r_, "events")) {
            const std::string k = str(e, "kind");
            if (k == "brake_engaged") on = dbl(e, "t_s");
            if (k == "brake_released" && std::isfinite(on)) {
                z.emplace_back(on, dbl(e, "t_s"));
                on = nan_v;
            }
        }
        if (std::isfinite(on)) z.emplace_back(on, t_end_);
        return z;
    }

    // Whether the pen was powered at t (from the power_on / power_off events).
    bool powered_at(double t) const {
        bool on = false;
        for (const auto& e : sub(r_, "events")) {
            const double te = dbl(e, "t_s");
            if (te > t) break;
            const std::string k = str(e, "kind");
            if (k == "power_on") on = true;
            if (k == "power_off") on = false;
        }
        return on;
    }

    // Setpoint as a step function from the rate_setpoint events (0 before the first).
    void setpoint_series(std::vector<double>& t, std::vector<double>& v, double t_from, double t_to) const {
        double cur = 0.0;
        t.push_back(t_from);
        v.push_back(0.0);
        for (const auto& e : sub(r_, "events")) {
            const std::string k = str(e, "kind");
            const double te = dbl(e, "t_s");
            double val = nan_v;
            if (k == "rate_setpoint") val = dbl(e, "value");
            if (k == "power_off") val = 0.0;
            if (!std::isfinite(val) || !std::isfinite(te)) continue;
            if (te <= t_from) {
                cur = val;
                v.front() = cur;
                continue;
            }
            if (te > t_to) break;
            t.push_back(te);
            v.push_back(val);
            cur = val;
        }
        t.push_back(t_to);
        v.push_back(cur);
    }

    void figure(const std::string& id, const std::string& svg, const std::string& caption) {
        o_ += "<figure class=\"plot-figure\" id=\"" + escape(id) + "\">" + svg + "<figcaption>" + caption + "</figcaption></figure>";
    }

    void plots() {
        o_ += "<h2>Plots</h2>";
        rate_plot();
        per_stroke_plot("per_stroke_depth", {"depth", "protrusion_depth", "mm"}, s_.depth, "dots");
        per_stroke_plot("per_stroke_force", {"force", "strike_force", "N"}, s_.force, "dots2");
        step_response_plots();
        stall_plots();
        histogram_plot();
    }

    void rate_plot() {
        if (s_.t.empty()) {
            o_ += "<p class=\"nr\">No stroke series in the record: no rate plot.</p>";
            return;
        }
        std::vector<double> st, sv;
        setpoint_series(st, sv, 0.0, t_end_);
        std::vector<double> ys = s_.rate;
        ys.insert(ys.end(), sv.begin(), sv.end());
        for (const json* m : of_plot("rate_band")) {
            ys.push_back(dbl(*m, "low"));
            ys.push_back(dbl(*m, "high"));
        }
        svg::Plot p("Puncture rate against time", {0.0, t_end_, "time (s)"}, svg::auto_axis(ys, "puncture rate (Hz)"));
        for (auto [a, b] : stall_zones()) p.band(a, b, -1e12, 1e12, "stallzone");
        for (const json* m : of_plot("rate_band")) {
            const json& w = sub(*m, "window");
            p.band(dbl(w, "start_s"), dbl(w, "end_s"), dbl(*m, "low"), dbl(*m, "high"),
                   str(*m, "outcome") == "PASS" ? "tol" : "tolfail");
        }
        p.polyline(st, sv, "setpoint", true);
        p.polyline(s_.t, s_.rate, "data");
        for (const auto& e : sub(r_, "events"))
            if (str(e, "kind") == "power_on") p.vline(dbl(e, "t_s"), "ev", "power on");
        for (const json* m : of_plot("startup")) {
            double t_on = nan_v;
            for (const auto& e : sub(r_, "events"))
                if (str(e, "kind") == "power_on" && !std::isfinite(t_on)) t_on = dbl(e, "t_s");
            p.vline(t_on + value_s(*m), "mark2", "in ±2 % band");
        }
        p.legend({{"data", "measured rate (per stroke)"}, {"setpoint", "setpoint"}, {"tol", "tolerance band (PASS)"},
                  {"tolfail", "tolerance band (not PASS)"}, {"stallzone", "brake engaged"}});
        figure("plot-rate", p.svg(),
               "Rate of each stroke interval (1 / time between successive bottom dead centres) against time, the "
               "commanded setpoint, and the tolerance band of every puncture-rate measurement over its window.");
    }

    void per_stroke_plot(const std::string& plot, const StrokeSeries& series, const std::vector<double>& values,
                         const std::string& dots) {
        const std::string& id = series.id;
        const Quantity q = quantity_of(plot, series);
        const std::string ylabel = q.label + " (" + q.unit + ")";
        std::string title = q.label + " per stroke";
        title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
        if (values.empty()) {
            o_ += "<p class=\"nr\">No per-stroke " + escape(id) + " series in the record.</p>";
            return;
        }
        std::vector<double> idx(values.size());
        for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<double>(i + 1);
        // The axis covers the strokes the pen made freely and the limits: a
        // "stroke" while the brake holds the needle is not a depth or force of
        // the pen, and one such value would stretch the axis (to -2 mm) and
        // flatten every real stroke. Values beyond the axis get edge markers.
        // The first stroke after a release began while the brake held the
        // needle (a stroke runs trough to trough, stamped at its BDC): it is
        // part of the stall too.
        const auto ms = of_plot(plot);
        const auto in_windows = [&](double t) {
            bool any = false;
            for (const json* m : ms) {
                const json& w = sub(*m, "window");
                const double a = dbl(w, "start_s"), b = dbl(w, "end_s");
                if (!std::isfinite(a) || !std::isfinite(b)) continue;
                any = true;
                if (t >= a && t <= b) return true;
            }
            return !any;
        };
        const auto zones = stall_zones();
        std::vector<bool> first_after(zones.size(), true);
        std::vector<double> ys;
        for (std::size_t i = 0; i < values.size(); ++i) {
            const double t = i < s_.t.size() ? s_.t[i] : nan_v;
            bool braked = false;
            for (std::size_t z = 0; z < zones.size(); ++z) {
                if (t >= zones[z].first && t <= zones[z].second) braked = true;
                if (t > zones[z].second && first_after[z]) {
                    first_after[z] = false;
                    braked = true;
                }
            }
            // Spin-down after power-off (the rotor coasting while the dial
            // moves back for a closing reference) is not the pen running
            // either; where the kind's measurements have windows, the axis
            // covers the strokes they measured.
            if (!braked && powered_at(t) && in_windows(t)) ys.push_back(values[i]);
        }
        for (const json* m : ms) {
            ys.push_back(dbl(*m, "low"));
            ys.push_back(dbl(*m, "high"));
        }
        svg::Plot p(title, {0.0, static_cast<double>(values.size() + 1), "stroke number"}, svg::auto_axis(ys, ylabel));
        // A measurement's window is in time; shade its limits over the strokes inside it.
        for (const json* m : ms) {
            const json& w = sub(*m, "window");
            double first = nan_v, last = nan_v;
            for (std::size_t i = 0; i < s_.t.size(); ++i)
                if (s_.t[i] >= dbl(w, "start_s") && s_.t[i] <= dbl(w, "end_s")) {
                    if (!std::isfinite(first)) first = static_cast<double>(i + 1);
                    last = static_cast<double>(i + 1);
                }
            const double lo = std::isfinite(dbl(*m, "low")) ? dbl(*m, "low") : -1e12;
            const double hi = std::isfinite(dbl(*m, "high")) ? dbl(*m, "high") : 1e12;
            if (std::isfinite(first)) p.band(first - 0.5, last + 0.5, lo, hi, str(*m, "outcome") == "PASS" ? "tol" : "tolfail");
        }
        p.points(idx, values, dots);
        p.legend({{dots, "each stroke"}, {"tol", "limits (PASS)"}, {"tolfail", "limits (not PASS)"}});
        figure("plot-" + id, p.svg(), escape(title) + "; shaded: the limits of each " + escape(q.kind) +
                                          " measurement over the strokes of its window. Gaps: strokes without a valid value.");
    }

    void step_response_plots() {
        // One plot per scenario step that has step-response measurements.
        std::map<long long, std::vector<const json*>> by_step;
        for (const json* m : of_plot("step_response")) by_step[step_of(*m)].push_back(m);
        if (by_step.empty()) {
            o_ += "<p class=\"nr\">No step-response measurements in this run.</p>";
            return;
        }
        for (const auto& [step, ms] : by_step) {
            json stats = json::object();
            double w0 = std::numeric_limits<double>::infinity(), w1 = -w0;
            std::string summary;
            for (const json* m : ms) {
                const json& w = sub(*m, "window");
                w0 = std::min(w0, dbl(w, "start_s"));
                w1 = std::max(w1, dbl(w, "end_s"));
                if (sub(*m, "stats").is_object()) stats.update(sub(*m, "stats"));
                summary += (summary.empty() ? "" : ", ") + str(*m, "name") + " " +
                           (sub(*m, "value").is_number() ? num(dbl(*m, "value"), 4) + " " + str(*m, "unit") : "—") +
                           " (" + str(*m, "outcome") + ")";
            }
            const double t0 = std::isfinite(dbl(stats, "t0_s")) ? dbl(stats, "t0_s") : w0;
            const double span = std::max(w1 - t0, 1e-3);
            const double x0 = t0 - 0.15 * span;
            std::vector<double> st, sv;
            setpoint_series(st, sv, x0, w1);
            const double final_hz = std::isfinite(dbl(stats, "final_hz")) ? dbl(stats, "final_hz") : sv.back();
            std::vector<double> tt, rr;
            for (std::size_t i = 0; i < s_.t.size() && i < s_.rate.size(); ++i)
                if (s_.t[i] >= x0 && s_.t[i] <= w1) {
                    tt.push_back(s_.t[i]);
                    rr.push_back(s_.rate[i]);
                }
            std::vector<double> ys = rr;
            ys.insert(ys.end(), sv.begin(), sv.end());
            ys.push_back(final_hz * 1.03);
            svg::Plot p("Step response, step " + std::to_string(step), {x0, w1, "time (s)"}, svg::auto_axis(ys, "puncture rate (Hz)"));
            p.band(x0, w1, final_hz * 0.98, final_hz * 1.02, "tol");
            p.polyline(st, sv, "setpoint", true);
            p.polyline(tt, rr, "data");
            p.vline(t0, "ev", "setpoint change");
            // Rise time is t90 - t10 by definition: when a record holds t90
            // and the rise time but no t10, the 10 % crossing follows from them.
            double t10 = dbl(stats, "t10_s");
            if (!std::isfinite(t10))
                for (const json* m : ms)
                    if (str(*m, "name") == "rise_time") t10 = dbl(stats, "t90_s") - value_s(*m);
            p.vline(t10, "mark", "10 %");
            p.vline(dbl(stats, "t90_s"), "mark", "90 %");
            double settled = dbl(stats, "settled_s");
            if (!std::isfinite(settled))
                for (const json* m : ms)
                    if (str(*m, "name") == "settling_time") settled = t0 + value_s(*m);
            p.vline(settled, "mark2", "settled");
            p.hline(dbl(stats, "peak_hz"), "limit", "peak");
            p.legend({{"data", "measured rate"}, {"setpoint", "setpoint"}, {"tol", "±2 % settling band"}});
            figure("plot-step-" + std::to_string(step), p.svg(),
                   "Rise time 10–90 %, overshoot and settling time (±2 % band) as MATLAB stepinfo defines them: " +
                       escape(summary) + ".");
        }
    }

    static long long step_of(const json& m) { return sub(m, "step").is_number() ? sub(m, "step").get<long long>() : -1; }

    void stall_plots() {
        // One plot per stall: the first measurement of each stall step (the
        // latency; the retry's measurements follow it in the record).
        std::vector<const json*> ms;
        std::set<std::pair<std::string, long long>> seen;
        for (const json* m : of_plot("stall_trace"))
            if (seen.insert({str(*m, "kind"), step_of(*m)}).second) ms.push_back(m);
        if (ms.empty()) {
            o_ += "<p class=\"nr\">No stall events in this run.</p>";
            return;
        }
        int n = 0;
        for (const json* m : ms) {
            ++n;
            const json& w = sub(*m, "window");
            const json& stats = sub(*m, "stats");
            const json& trace = sub(stats, "trace");
            const double a = dbl(w, "start_s"), b = dbl(w, "end_s");
            const std::string title = "Stall " + std::to_string(n) + " (step " + sub(*m, "step").dump() + ")";
            auto mark_events = [&](svg::Plot& p) {
                for (const auto& e : sub(r_, "events")) {
                    const std::string k = str(e, "kind");
                    if (k == "brake_engaged") p.vline(dbl(e, "t_s"), "ev", "brake on");
                    if (k == "brake_released") p.vline(dbl(e, "t_s"), "ev", "brake off");
                }
                p.vline(dbl(stats, "onset_s"), "mark", "onset");
                p.vline(dbl(stats, "cutoff_s"), "mark2", "cut-off");
            };
            // Needle motion: the position trace if recorded, else the stroke depths.
            std::vector<double> pt = series(trace, "t_s"), pos = series(trace, "position_mm"), cur = series(trace, "current_a");
            svg::Plot needle(title + ": needle motion", {a, b, "time (s)"},
                             svg::auto_axis(pos.empty() ? s_.depth : pos, "needle position (mm)"), 760, 170);
            if (!pos.empty()) needle.polyline(pt, pos, "data");
            else needle.points(s_.t, s_.depth, "dots");
            mark_events(needle);
            std::string svgs = needle.svg();
            if (!cur.empty()) {
                std::vector<double> cy = cur;
                cy.push_back(dbl(stats, "cutoff_a"));
                cy.push_back(0.0);
                svg::Plot current(title + ": motor current", {a, b, "time (s)"}, svg::auto_axis(cy, "motor current (A)"), 760, 170);
                current.polyline(pt, cur, "current");
                current.hline(dbl(stats, "cutoff_a"), "limit", "cut-off threshold");
                mark_events(current);
                svgs += current.svg();
            } else {
                svgs += "<p class=\"nr\">Motor current trace not recorded for this stall.</p>";
            }
            const json& v = sub(*m, "value");
            figure("plot-stall-" + std::to_string(n), svgs,
                   "Brake engaged → needle motion ceases (onset) → motor current below cut-off. Latency onset → cut-off: <b>" +
                       (v.is_number() ? num(v.get<double>(), 4) + " " + escape(str(*m, "unit")) : std::string("no valid value")) +
                       "</b>, limit " + limits_text(*m) + ", outcome <b>" + escape(str(*m, "outcome")) + "</b>.");
        }
    }

    void histogram_plot() {
        const json& t = sub(r_, "timing");
        const json& h = sub(t, "histogram");
        const std::vector<double> upper = series(h, "upper_us"), counts = series(h, "counts");
        if (counts.empty()) {
            o_ += "<p class=\"nr\">No lateness histogram in the record.</p>";
            return;
        }
        const double budget = dbl(t, "budget_us");
        double ymax = 0.0;
        for (double c : counts) ymax = std::max(ymax, std::log10(c + 1.0));
        svg::Plot p("Acquisition loop lateness (wake-up time − scheduled time)",
                    {0.0, static_cast<double>(counts.size()), "lateness, upper edge of bin (µs)"},
                    {0.0, std::max(1.0, std::ceil(ymax)), "samples (log10 of count + 1)"});
        std::vector<std::string> cats;
        for (std::size_t i = 0; i < counts.size(); ++i) {
            const double up = i < upper.size() ? upper[i] : nan_v;
            cats.push_back(std::isfinite(up) ? "≤" + num(up, 4) : "more");
            const double prev_up = i > 0 && i - 1 < upper.size() ? upper[i - 1] : 0.0;
            const bool late = std::isfinite(budget) && (!std::isfinite(up) || prev_up >= budget);
            const double x = static_cast<double>(i);
            p.bar(x, x + 1.0, std::log10(counts[i] + 1.0), late ? "barlate" : "barfill");
            p.text(x + 0.3, std::log10(counts[i] + 1.0) + 0.05, num(counts[i], 9));
        }
        p.categories(cats);
        p.legend({{"barfill", "within budget"}, {"barlate", "beyond budget"}});
        figure("plot-lateness", p.svg(),
               "Histogram of every sample's lateness. p50 " + num(dbl(sub(t, "lateness_us"), "p50")) + " µs, p99 " +
                   num(dbl(sub(t, "lateness_us"), "p99")) + " µs, max " + num(dbl(sub(t, "lateness_us"), "max")) +
                   " µs; budget " + num(budget) + " µs.");
    }

    void timing() {
        const json& t = sub(r_, "timing");
        o_ += "<h2>Rig timing health</h2><table class=\"id\"><tbody>";
        row("Sample rate", num(dbl(t, "sample_rate_hz"), 6) + " Hz, mean period " + num(dbl(t, "mean_period_us"), 5) + " µs");
        row("Samples", sub(t, "samples").dump() + " taken, " + sub(t, "missed_samples").dump() + " missed, " +
                           sub(t, "late_samples").dump() + " late");
        row("Lateness", "p50 " + num(dbl(sub(t, "lateness_us"), "p50")) + " µs, p99 " + num(dbl(sub(t, "lateness_us"), "p99")) +
                            " µs, max " + num(dbl(sub(t, "lateness_us"), "max")) + " µs (budget " + num(dbl(t, "budget_us")) + " µs)");
        row("Timing outcome", "<b class=\"" + std::string(str(t, "outcome") == "PASS" ? "pass" : "error") + "\">" +
                                  escape(str(t, "outcome", "not recorded")) + "</b>");
        o_ += "</tbody></table>";
    }

    void steps_and_events() {
        o_ += "<h2>Scenario steps</h2><table><thead><tr><th>#</th><th>Kind</th><th>Line</th><th>Start (s)</th><th>End (s)</th>"
              "<th>Label</th></tr></thead><tbody>";
        for (const auto& s : sub(r_, "steps"))
            o_ += "<tr><td class=\"num\">" + sub(s, "index").dump() + "</td><td>" + escape(str(s, "kind")) +
                  "</td><td class=\"num\">" + sub(s, "line").dump() + "</td><td class=\"num\">" + num(dbl(s, "start_s"), 6) +
                  "</td><td class=\"num\">" + num(dbl(s, "end_s"), 6) + "</td><td>" + escape(str(s, "label")) + "</td></tr>";
        o_ += "</tbody></table>";
        o_ += "<h2>Event log</h2><table><thead><tr><th>t (s)</th><th>Event</th><th>Value</th><th>Step</th><th>Text</th></tr>"
              "</thead><tbody>";
        for (const auto& e : sub(r_, "events"))
            o_ += "<tr><td class=\"num\">" + num(dbl(e, "t_s"), 7) + "</td><td>" + escape(str(e, "kind")) +
                  "</td><td class=\"num\">" + (sub(e, "value").is_number() ? num(dbl(e, "value"), 6) : "") +
                  "</td><td class=\"num\">" + sub(e, "step").dump() + "</td><td>" + escape(str(e, "text")) + "</td></tr>";
        o_ += "</tbody></table>";
    }

    void scope() {
        const bool sim = str(sub(r_, "fixture"), "backend") == "sim";
        o_ += "<h2>Scope of this report</h2><div class=\"scope\" id=\"scope\">";
        o_ += "<p><b>The results relate only to the item tested</b> (the device under test identified above, as received, "
              "under the conditions of the scenario and fixture recorded here).</p>";
        o_ += "<p>This report covers needle penetration depth, puncture rate, strike force, start-up, speed step response, "
              "speed regulation and stall protection as measured on the rig, with the rig's own timing health. "
              "<b>It does not cover</b>: sterility or bioburden, biocompatibility, fluid ingress or cross-contamination "
              "(backflow into the pen), electrical safety and EMC (IEC 60601-1, IEC 60601-1-2), battery and charger "
              "safety, needle sharpness and cartridge integrity, software of the pen beyond its observed behaviour, "
              "usability, and any clinical effect on skin.</p>";
        o_ += "<p>Measurement uncertainty follows from the calibration records listed; a measurement taken while an "
              "instrument was past its calibration due date, or while the acquisition loop broke its timing budget, is "
              "reported as ERROR, not as a value.</p>";
        if (sim)
            o_ += "<p><b>Simulated fixture:</b> these results come from the rig's physics model of a pen, not from a "
                  "physical device. They verify the rig and its analysis; they are not evidence about any physical pen.</p>";
        o_ += "</div>";
    }

    void inputs() {
        o_ += "<section class=\"input-files\"><h2>Input files (verbatim)</h2>";
        for (const char* k : {"scenario", "spec", "fixture"}) {
            const json& f = sub(r_, k);
            o_ += "<h3>" + std::string(k) + ": " + escape(str(f, "path")) + "</h3><div class=\"mono\">sha256 " +
                  escape(str(f, "sha256")) + "</div><pre class=\"input\">" + escape(str(f, "text")) + "</pre>";
        }
        o_ += "</section>";
    }

    void footer() {
        o_ += "<footer>Report " + escape(str(r_, "run_id")) + " · generated " + escape(in_.generated_utc) + " by penrig " +
              escape(str(sub(r_, "software"), "version")) + " from record sha256 <span class=\"mono\">" +
              escape(in_.record_sha256) + "</span>. The signed manifest of the run folder (manifest.json, manifest.sig) "
              "proves this file and the raw data unaltered: <span class=\"mono\">rig verify " + escape(str(r_, "run_id")) +
              "</span>.</footer>";
    }

    const HtmlReportInputs& in_;
    const json& r_;
    Series s_;
    std::map<std::string, std::vector<const json*>> by_plot_;  // plot -> its kinds' measurements, in record order
    double t_end_ = 1.0;
    std::string o_;
};

}  // namespace

std::string render_html_report(const HtmlReportInputs& in) { return Report(in).render(); }

fs::path write_html_report(const fs::path& run_dir) { return write_html_report(run_dir, run_dir / "report.html"); }

fs::path write_html_report(const fs::path& run_dir, const fs::path& out) {
    HtmlReportInputs in;
    const auto record_path = run_dir / "record.json";
    try {
        in.record = json::parse(read_file(record_path));
    } catch (const json::exception& e) {
        throw std::runtime_error(record_path.string() + ": not valid JSON: " + e.what());
    }
    if (!in.record.is_object()) throw std::runtime_error(record_path.string() + ": not a run record");
    in.record_sha256 = sha256_hex(canonical_json(in.record));
    in.signatures = read_signatures(run_dir);
    in.generated_utc = utc_now();
    write_file_atomic(out, render_html_report(in));
    return out;
}

}  // namespace rig
