#include "rig/msa/study_record.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "rig/reports/svg_plot.hpp"

namespace rig::msa {
namespace {
using nlohmann::json;
using svg::escape;
using svg::num;

json component_json(const Component& c) {
    json j = {{"variance", c.variance},         {"sd", c.sd},
              {"study_var", c.study_var},       {"pct_contribution", c.pct_contribution},
              {"pct_study_var", c.pct_study_var}, {"clamped", c.clamped}};
    j["pct_tolerance"] = c.pct_tolerance ? json(*c.pct_tolerance) : json(nullptr);
    return j;
}

const json& sub(const json& j, const char* key) {
    static const json empty = json::object();
    const auto it = j.find(key);
    return it == j.end() ? empty : *it;
}
std::string str(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
double dbl(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_number() ? it->get<double>() : std::nan("");
}
std::string opt_num(const json& j, const char* key, int sig = 4) {
    const double v = dbl(j, key);
    return std::isfinite(v) ? num(v, sig) : "-";
}

std::string acceptability_class(const std::string& a) {
    if (a == "acceptable") return "pass";
    if (a == "conditional") return "error";
    return "fail";
}

void charts_html(std::string& o, const json& m) {
    const auto& tab = sub(m, "table");
    const std::size_t ops = tab.value("operators", 0u), parts = tab.value("parts", 0u);
    const auto& ch = sub(m, "charts");
    const auto means = ch.value("mean", std::vector<double>{}), ranges = ch.value("range", std::vector<double>{});
    if (ops == 0 || parts == 0 || means.size() != ops * parts || ranges.size() != ops * parts) return;
    const std::string unit = str(m, "unit");
    const double n = static_cast<double>(ops * parts);
    // X-bar chart: operator after operator, parts in order (AIAG layout).
    std::vector<double> xs(means.size());
    for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<double>(i) + 0.5;
    std::vector<double> ylo = means;
    ylo.push_back(dbl(ch, "xbar_lcl"));
    ylo.push_back(dbl(ch, "xbar_ucl"));
    svg::Plot xb("X-bar chart by operator", {0.0, n, "operator / part"}, svg::auto_axis(ylo, "mean (" + unit + ")"));
    for (std::size_t o2 = 0; o2 < ops; ++o2) {
        std::vector<double> x(xs.begin() + static_cast<long>(o2 * parts), xs.begin() + static_cast<long>((o2 + 1) * parts));
        std::vector<double> y(means.begin() + static_cast<long>(o2 * parts), means.begin() + static_cast<long>((o2 + 1) * parts));
        xb.polyline(x, y, "data");
        xb.points(x, y, "dots");
        if (o2 > 0) xb.vline(static_cast<double>(o2 * parts), "ev", "operator " + std::string(1, static_cast<char>('A' + o2)));
    }
    xb.hline(dbl(ch, "xbar_ucl"), "limit", "UCL");
    xb.hline(dbl(ch, "grand_mean"), "setpoint", "mean");
    xb.hline(dbl(ch, "xbar_lcl"), "limit", "LCL");
    o += "<figure>" + xb.svg() +
         "<figcaption>Part means per operator against the control limits from the average range (grand mean "
         "&plusmn; A2 R&#772;). Most points outside the limits: the parts vary far more than the gauge, as a "
         "capable gauge shows.</figcaption></figure>";
    std::vector<double> rr = ranges;
    rr.push_back(dbl(ch, "r_ucl"));
    rr.push_back(0.0);
    svg::Plot rp("R chart by operator", {0.0, n, "operator / part"}, svg::auto_axis(rr, "range (" + unit + ")"));
    for (std::size_t o2 = 0; o2 < ops; ++o2) {
        std::vector<double> x(xs.begin() + static_cast<long>(o2 * parts), xs.begin() + static_cast<long>((o2 + 1) * parts));
        std::vector<double> y(ranges.begin() + static_cast<long>(o2 * parts), ranges.begin() + static_cast<long>((o2 + 1) * parts));
        rp.points(x, y, "dots2");
        if (o2 > 0) rp.vline(static_cast<double>(o2 * parts), "ev");
    }
    rp.hline(dbl(ch, "r_ucl"), "limit", "UCL");
    rp.hline(dbl(ch, "r_bar"), "setpoint", "R-bar");
    o += "<figure>" + rp.svg() +
         "<figcaption>Range of the trials per part and operator; a point above UCL is a repeatability problem "
         "of that set-up.</figcaption></figure>";
}

void components_html(std::string& o, const json& res, const std::string& unit) {
    o += "<table><thead><tr><th>source</th><th>variance (" + escape(unit) + "&sup2;)</th><th>SD (" + escape(unit) +
         ")</th><th>study var. (" + escape(unit) +
         ")</th><th>% contribution</th><th>% study var.</th><th>% tolerance</th></tr></thead><tbody>";
    const std::pair<const char*, const char*> rows[] = {{"grr", "Total gauge R&amp;R (GRR)"},
                                                        {"ev", "&nbsp;&nbsp;repeatability (EV)"},
                                                        {"av", "&nbsp;&nbsp;reproducibility (AV)"},
                                                        {"op", "&nbsp;&nbsp;&nbsp;&nbsp;operator"},
                                                        {"interaction", "&nbsp;&nbsp;&nbsp;&nbsp;operator &times; part"},
                                                        {"pv", "Part-to-part (PV)"},
                                                        {"tv", "Total variation (TV)"}};
    for (const auto& [key, label] : rows) {
        const auto& c = sub(res, key);
        o += std::string("<tr><td>") + label + (c.value("clamped", false) ? " <span class=\"nr\">(negative estimate: 0)</span>" : "") +
             "</td><td class=\"num\">" + opt_num(c, "variance") + "</td><td class=\"num\">" + opt_num(c, "sd") +
             "</td><td class=\"num\">" + opt_num(c, "study_var") + "</td><td class=\"num\">" +
             opt_num(c, "pct_contribution", 3) + "</td><td class=\"num\">" + opt_num(c, "pct_study_var", 3) +
             "</td><td class=\"num\">" + opt_num(c, "pct_tolerance", 3) + "</td></tr>";
    }
    o += "</tbody></table>";
    // Components of variation, as % of study variation (and of tolerance).
    const char* keys[] = {"grr", "ev", "av", "pv"};
    const char* names[] = {"GRR", "EV", "AV", "PV"};
    svg::Plot p("Components of variation", {0.0, 4.0, ""}, {0.0, 110.0, "% of study variation"}, 760, 200);
    std::vector<std::string> cats;
    for (int i = 0; i < 4; ++i) {
        const double v = dbl(sub(res, keys[i]), "pct_study_var");
        if (std::isfinite(v)) p.bar(i + 0.2, i + 0.8, std::min(v, 110.0), "barfill");
        cats.emplace_back(names[i]);
    }
    p.categories(cats);
    p.hline(10.0, "mark2", "10 %");
    p.hline(30.0, "limit", "30 %");
    o += "<figure>" + p.svg() + "<figcaption>Below 10 % acceptable, 10-30 % conditional, above 30 % not acceptable (AIAG).</figcaption></figure>";
}

}  // namespace

json to_json(const GageRR& g) {
    json rows = json::array();
    for (const auto& r : g.anova) {
        json row = {{"source", r.source}, {"df", r.df}, {"ss", r.ss}, {"ms", r.ms}};
        row["f"] = r.f ? json(*r.f) : json(nullptr);
        row["p"] = r.p ? json(*r.p) : json(nullptr);
        rows.push_back(row);
    }
    return {{"design", g.design == Design::crossed ? "crossed" : "nested"},
            {"anova", rows},
            {"interaction_pooled", g.interaction_pooled},
            {"ev", component_json(g.ev)},
            {"av", component_json(g.av)},
            {"op", component_json(g.op)},
            {"interaction", component_json(g.interaction)},
            {"grr", component_json(g.grr)},
            {"pv", component_json(g.pv)},
            {"tv", component_json(g.tv)},
            {"ndc", g.ndc},
            {"pct_grr", g.pct_grr},
            {"pct_grr_of", g.pct_grr_of_tolerance ? "tolerance" : "study variation"},
            {"acceptability", to_string(g.acceptability)},
            {"rule", g.rule}};
}

json to_json(const MeasurementStudy& m) {
    json j = {{"id", m.id}, {"name", m.name}, {"kind", m.kind}, {"unit", m.unit}};
    j["tolerance"] = m.tolerance ? json(*m.tolerance) : json(nullptr);
    json values = json::array();
    for (std::size_t i = 0; i < m.table.values.size(); ++i)
        values.push_back(i < m.have.size() && m.have[i] ? json(m.table.values[i]) : json(nullptr));
    j["table"] = {{"operators", m.table.operators}, {"parts", m.table.parts}, {"trials", m.table.trials},
                  {"order", "(operator * parts + part) * trials + trial"}, {"values", values}};
    j["missing"] = m.missing;
    if (m.result) {
        j["result"] = to_json(*m.result);
        const auto c = charts(m.table);
        j["charts"] = {{"mean", c.mean},         {"range", c.range},       {"grand_mean", c.grand_mean},
                       {"r_bar", c.r_bar},       {"xbar_lcl", c.xbar_lcl}, {"xbar_ucl", c.xbar_ucl},
                       {"r_lcl", c.r_lcl},       {"r_ucl", c.r_ucl}};
    } else {
        j["result"] = nullptr;
        j["error"] = m.error;
    }
    return j;
}

void conclude(MeasurementStudy& m, const Options& base) {
    m.result.reset();
    if (!m.missing.empty()) {
        m.error = std::to_string(m.missing.size()) + " of " + std::to_string(m.table.values.size()) +
                  " results have no trustworthy value (ERROR): the study of this measurement is not valid";
        return;
    }
    Options o = base;
    o.tolerance = m.tolerance;
    try {
        m.result = analyse(m.table, o);
        m.error.clear();
    } catch (const std::invalid_argument& e) {
        m.error = e.what();
    }
}

std::string render_study_html(const json& s) {
    std::string o;
    const std::string id = str(s, "study_id");
    o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
    o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">";
    o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
    o += "<title>Gage R&amp;R study " + escape(id) + "</title><style>" + std::string(svg::report_css()) + "</style></head><body>";
    const std::string overall = str(s, "conclusion");
    o += "<div class=\"header\"><div><h1>Gage R&amp;R study " + escape(id) + "</h1><table class=\"id\"><tbody>";
    const auto& plan = sub(s, "plan");
    const auto row = [&](const std::string& k, const std::string& v) {
        o += "<tr><td>" + escape(k) + "</td><td>" + escape(v) + "</td></tr>";
    };
    row("scenario", str(sub(s, "scenario"), "id") + " (" + str(sub(s, "scenario"), "file") + ")");
    row("fixture", str(sub(s, "fixture"), "name") + ", backend " + str(sub(s, "fixture"), "backend"));
    row("design", str(plan, "design") + ": " + std::to_string(plan.value("parts", 0)) + " parts x " +
                      std::to_string(plan.value("operators", 0)) + " operators x " + std::to_string(plan.value("trials", 0)) +
                      " trials, randomised order, seed " + std::to_string(plan.value("seed", 0ULL)));
    row("method", "ANOVA, AIAG MSA 4th ed.; study variation = " + num(dbl(plan, "study_multiplier"), 3) +
                      " SD; interaction pooled when p > " + num(dbl(plan, "alpha_interaction"), 3));
    row("started / finished (UTC)", str(s, "started_utc") + " / " + str(s, "finished_utc"));
    row("software", str(s, "software_version"));
    o += "</tbody></table></div><div class=\"verdict " + acceptability_class(overall) + "\">" + escape(overall) +
         "<small>measurement system</small></div></div>";

    o += "<h2>Summary</h2><table class=\"measurements\"><thead><tr><th>measurement</th><th>unit</th><th>tolerance</th>"
         "<th>%GRR</th><th>of</th><th>ndc</th><th>decision</th></tr></thead><tbody>";
    for (const auto& m : sub(s, "measurements")) {
        const auto& r = sub(m, "result");
        if (r.is_null() || r.empty()) {
            o += "<tr><td class=\"mid\">" + escape(str(m, "id")) + "</td><td>" + escape(str(m, "unit")) + "</td><td class=\"num\">" +
                 opt_num(m, "tolerance") + "</td><td colspan=\"3\">" + escape(str(m, "error")) +
                 "</td><td class=\"outcome error\">ERROR</td></tr>";
            continue;
        }
        const std::string a = str(r, "acceptability");
        o += "<tr><td class=\"mid\">" + escape(str(m, "id")) + "</td><td>" + escape(str(m, "unit")) + "</td><td class=\"num\">" +
             opt_num(m, "tolerance") + "</td><td class=\"num\">" + num(dbl(r, "pct_grr"), 3) + " %</td><td>" +
             escape(str(r, "pct_grr_of")) + "</td><td class=\"num\">" + std::to_string(r.value("ndc", 0)) +
             "</td><td class=\"outcome " + acceptability_class(a) + "\">" + escape(a) + "</td></tr>";
    }
    o += "</tbody></table>";

    for (const auto& m : sub(s, "measurements")) {
        o += "<h2>" + escape(str(m, "id")) + " (" + escape(str(m, "name")) + ", " + escape(str(m, "unit")) + ")</h2>";
        const auto& r = sub(m, "result");
        if (r.is_null() || r.empty()) {
            o += "<p class=\"error\">No result: " + escape(str(m, "error")) + "</p><ul>";
            for (const auto& x : sub(m, "missing")) o += "<li>" + escape(x.get<std::string>()) + "</li>";
            o += "</ul>";
            continue;
        }
        o += "<p>" + escape(str(r, "rule")) + ". %GRR " + num(dbl(r, "pct_grr"), 3) + " % of " + escape(str(r, "pct_grr_of")) +
             ", ndc " + std::to_string(r.value("ndc", 0)) + ": <strong class=\"" + acceptability_class(str(r, "acceptability")) +
             "\">" + escape(str(r, "acceptability")) + "</strong>.</p>";
        o += "<h3>ANOVA table</h3><table><thead><tr><th>source</th><th>df</th><th>SS</th><th>MS</th><th>F</th><th>p</th></tr></thead><tbody>";
        for (const auto& a : sub(r, "anova"))
            o += "<tr><td>" + escape(str(a, "source")) + "</td><td class=\"num\">" + std::to_string(a.value("df", 0)) +
                 "</td><td class=\"num\">" + opt_num(a, "ss", 5) + "</td><td class=\"num\">" + opt_num(a, "ms", 5) +
                 "</td><td class=\"num\">" + opt_num(a, "f", 4) + "</td><td class=\"num\">" + opt_num(a, "p", 3) + "</td></tr>";
        o += "</tbody></table>";
        if (r.value("interaction_pooled", false))
            o += "<p class=\"nr\">The operator &times; part interaction is not significant: pooled into repeatability.</p>";
        o += "<h3>Components of variation</h3>";
        components_html(o, r, str(m, "unit"));
        o += "<h3>Charts</h3>";
        charts_html(o, m);
    }

    o += "<h2>What varied</h2><pre class=\"input\">" + escape(sub(s, "variation").dump(2)) + "</pre>";
    o += "<h2>Runs</h2><table class=\"measurements\"><thead><tr><th>#</th><th>part</th><th>operator</th><th>trial</th>"
         "<th>run</th><th>verdict</th></tr></thead><tbody>";
    for (const auto& r : sub(s, "runs"))
        o += "<tr><td class=\"num\">" + std::to_string(r.value("order", 0) + 1) + "</td><td>" + escape(str(r, "part")) + "</td><td>" +
             escape(str(r, "operator")) + "</td><td class=\"num\">" + std::to_string(r.value("trial", 0) + 1) +
             "</td><td class=\"mid\"><a href=\"" + escape(str(r, "dir")) + "/report.html\">" + escape(str(r, "run_id")) +
             "</a></td><td>" + escape(str(r, "verdict")) + "</td></tr>";
    o += "</tbody></table><footer>penrig " + escape(str(s, "software_version")) + " &middot; study record study.json</footer></body></html>\n";
    return o;
}

}  // namespace rig::msa
