#include "rig/reports/lot_report.hpp"

#include <algorithm>
#include <cmath>

#include "rig/reports/svg_plot.hpp"

namespace rig {

namespace {

using svg::escape;

// The reports' shared style sheet, plus the lot report's two additions.
constexpr const char* lot_css = ".note{border-left:4px solid #1b1f24;padding:6px 12px;background:#f8f9fa}.low{color:#b3261e;font-weight:700}";

std::string opt(const std::optional<double>& v, int sig = 4) { return v ? svg::num(v.value(), sig) : "—"; }

/// A histogram of the values against the limits: about sqrt(n) bins (5..30)
/// over the span of the values and limits together.
std::string histogram(const LotStatistics& s) {
    std::vector<double> span = s.values;
    if (s.low) span.push_back(*s.low);
    if (s.high) span.push_back(*s.high);
    if (span.empty()) return {};
    const auto x = svg::auto_axis(span, s.measurement_id + " (" + s.unit + ")", 0.05);
    const std::size_t bins = std::clamp<std::size_t>(
        static_cast<std::size_t>(std::ceil(std::sqrt(static_cast<double>(s.values.size())))), 5, 30);
    const double w = (x.hi - x.lo) / static_cast<double>(bins);
    std::vector<double> counts(bins, 0.0);
    for (double v : s.values) {
        auto i = static_cast<std::size_t>(std::clamp((v - x.lo) / w, 0.0, static_cast<double>(bins - 1)));
        counts[i] += 1.0;
    }
    const double top = std::max(1.0, *std::max_element(counts.begin(), counts.end()));
    svg::Plot p("Units of the lot: " + s.measurement_id, x, svg::Axis{0.0, top * 1.15, "units"}, 760, 220);
    if (s.low && s.high) p.band(*s.low, *s.high, 0.0, top * 1.15, "tol");
    for (std::size_t i = 0; i < bins; ++i) {
        if (counts[i] > 0.0) p.bar(x.lo + w * static_cast<double>(i), x.lo + w * static_cast<double>(i + 1), counts[i], "barfill");
    }
    if (s.low) p.vline(*s.low, "limit", "LSL " + svg::num(*s.low));
    if (s.high) p.vline(*s.high, "limit", "USL " + svg::num(*s.high));
    if (s.mean) p.vline(*s.mean, "mark2", "mean");
    p.legend({{"barfill", "units per bin"}, {"tol", "within the limits"}, {"limit", "spec limit"}, {"mark2", "lot mean"}});
    return "<figure>" + p.svg() + "<figcaption>" + std::to_string(s.valued) + " valued unit(s) of " +
           std::to_string(s.units) + "; bin width " + svg::num(w) + " " + escape(s.unit) + "</figcaption></figure>";
}

}  // namespace

std::string lot_report_html(const LotReportInput& in) {
    std::string o = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Lot report " +
                    escape(in.lot) + "</title><style>" + std::string(svg::report_css()) + lot_css + "</style></head><body>";
    o += "<h1>Lot release statistics — lot " + escape(in.lot) + "</h1>";
    o += "<p>Generated " + escape(in.generated_utc) + " from <span class=\"mono\">" + escape(in.source) + "</span>. " +
         std::to_string(in.units.size()) + " unit run(s) counted.</p>";
    o += "<div class=\"note\"><b>Units counted.</b> " + escape(in.unit_rule) +
         "<br><b>Indices.</b> Cp, Cpk from σ<sub>within</sub> = mean moving range / 1.128 (units in certification "
         "order); Pp, Ppk from the overall sample SD; Cpk lower 95 % bound by Bissell's approximation "
         "Cpk − 1.645·√(1/(9n) + Cpk²/(2(n−1))) (Applied Statistics 39(3), 1990).</div>";
    o += "<h2>Summary</h2><table><thead><tr><th>scenario</th><th>measurement</th><th>unit</th><th>limits</th>"
         "<th>n</th><th>mean</th><th>SD</th><th>min</th><th>max</th><th>Cp</th><th>Cpk</th><th>Cpk 95 % LB</th>"
         "<th>Ppk</th><th>PASS rate</th><th>worst unit</th></tr></thead><tbody>";
    for (const auto& s : in.stats) {
        const bool weak = s.cpk_lower95 && *s.cpk_lower95 < 1.33;
        o += "<tr><td>" + escape(s.scenario_id) + "</td><td class=\"mono\">" + escape(s.measurement_id) + "</td><td>" +
             escape(s.unit) + "</td><td>" + opt(s.low) + " … " + opt(s.high) + (s.limits_differ ? " (differ)" : "") +
             "</td><td class=\"num\">" + std::to_string(s.valued) + "/" + std::to_string(s.units) +
             "</td><td class=\"num\">" + opt(s.mean, 6) + "</td><td class=\"num\">" + opt(s.sd) +
             "</td><td class=\"num\">" + opt(s.min, 6) + "</td><td class=\"num\">" + opt(s.max, 6) +
             "</td><td class=\"num\">" + opt(s.cp, 3) + "</td><td class=\"num\">" + opt(s.cpk, 3) +
             "</td><td class=\"num" + std::string(weak ? " low" : "") + "\">" + opt(s.cpk_lower95, 3) +
             "</td><td class=\"num\">" + opt(s.ppk, 3) + "</td><td class=\"num\">" + svg::num(100.0 * s.pass_rate, 4) +
             " %</td><td class=\"mono\">" + (s.worst ? escape(s.worst->dut) + " (" + opt(s.worst->value, 6) + ")" : "—") +
             "</td></tr>";
    }
    o += "</tbody></table>";
    o += "<h2>Histograms against the limits</h2>";
    for (const auto& s : in.stats) o += histogram(s);
    o += "<h2>Units counted</h2><pre class=\"mono\">";
    for (const auto& u : in.units) o += escape(u) + "\n";
    o += "</pre>";
    if (!in.excluded.empty()) {
        o += "<h2>Runs not counted</h2><pre class=\"mono\">";
        for (const auto& u : in.excluded) o += escape(u) + "\n";
        o += "</pre>";
    }
    o += "</body></html>\n";
    return o;
}

}  // namespace rig
