#include "rig/reports/svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace rig::svg {

std::string escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string breakable(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 4);
    for (char c : s) {
        out += escape(std::string_view(&c, 1));
        if (c == '.' || c == '_' || c == '@' || c == ':' || c == '/') out += "<wbr>";
    }
    return out;
}

std::string num(double v, int significant) {
    if (!std::isfinite(v)) return "—";
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.*g", significant, v);
    return buf;
}

namespace {
std::string coord(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}
}  // namespace

std::vector<double> ticks(double lo, double hi, int n) {
    std::vector<double> out;
    if (!(hi > lo) || n < 2) return {lo};
    const double raw = (hi - lo) / static_cast<double>(n);
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        step = m * mag;
        if (step >= raw) break;
    }
    for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
        out.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
    return out;
}

Axis auto_axis(const std::vector<double>& values, std::string label, double pad_fraction) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (double v : values)
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (!std::isfinite(lo)) return {0.0, 1.0, std::move(label)};
    double pad = (hi - lo) * pad_fraction;
    if (pad <= 0.0) pad = std::max(std::abs(hi) * 0.05, 1e-9);
    return {lo - pad, hi + pad, std::move(label)};
}

Plot::Plot(std::string title, Axis x, Axis y, int width_px, int height_px)
    : title_(std::move(title)), x_(std::move(x)), y_(std::move(y)), w_(width_px), h_(height_px) {
    if (!(x_.hi > x_.lo)) x_.hi = x_.lo + 1.0;
    if (!(y_.hi > y_.lo)) y_.hi = y_.lo + 1.0;
}

double Plot::px(double x) const {
    return left_ + (x - x_.lo) / (x_.hi - x_.lo) * (static_cast<double>(w_) - left_ - right_);
}
double Plot::py(double y) const {
    const double clamped = std::clamp(y, y_.lo, y_.hi);
    return top_ + (y_.hi - clamped) / (y_.hi - y_.lo) * (static_cast<double>(h_) - top_ - bottom_);
}

void Plot::band(double x0, double x1, double y0, double y1, std::string_view css_class) {
    if (!std::isfinite(x0 + x1 + y0 + y1)) return;
    x0 = std::clamp(x0, x_.lo, x_.hi);
    x1 = std::clamp(x1, x_.lo, x_.hi);
    const double top = py(std::max(y0, y1)), bot = py(std::min(y0, y1));
    body_ += "<rect class=\"" + std::string(css_class) + "\" x=\"" + coord(px(std::min(x0, x1))) + "\" y=\"" +
             coord(top) + "\" width=\"" + coord(std::abs(px(x1) - px(x0))) + "\" height=\"" + coord(bot - top) +
             "\"/>";
}

void Plot::polyline(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view css_class,
                    bool step) {
    std::string pts;
    double prev_y = std::numeric_limits<double>::quiet_NaN();
    const std::size_t n = std::min(xs.size(), ys.size());
    auto flush = [&] {
        if (!pts.empty())
            body_ += "<polyline class=\"" + std::string(css_class) + "\" points=\"" + pts + "\"/>";
        pts.clear();
    };
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(xs[i]) || !std::isfinite(ys[i])) {
            flush();  // a gap in the data stays a gap in the line
            prev_y = std::numeric_limits<double>::quiet_NaN();
            continue;
        }
        const double x = std::clamp(xs[i], x_.lo, x_.hi);
        if (step && std::isfinite(prev_y)) pts += coord(px(x)) + "," + coord(py(prev_y)) + " ";
        pts += coord(px(x)) + "," + coord(py(ys[i])) + " ";
        prev_y = ys[i];
    }
    flush();
}

void Plot::points(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view css_class) {
    const std::size_t n = std::min(xs.size(), ys.size());
    std::string d, out;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(xs[i]) || !std::isfinite(ys[i]) || !inside_x(xs[i])) continue;
        if (ys[i] > y_.hi) {
            out += "M" + coord(px(xs[i])) + " " + coord(top_ + 1) + "l-3 6h6z";
        } else if (ys[i] < y_.lo) {
            out += "M" + coord(px(xs[i])) + " " + coord(static_cast<double>(h_) - bottom_ - 1) + "l-3 -6h6z";
        } else {
            d += "M" + coord(px(xs[i]) - 1.8) + " " + coord(py(ys[i])) + "h3.6";
        }
    }
    if (!d.empty()) body_ += "<path class=\"" + std::string(css_class) + "\" d=\"" + d + "\"/>";
    if (!out.empty()) {
        body_ += "<path class=\"outside\" d=\"" + out + "\"/>";
        outside_ = true;
    }
}

double label_width_px(std::string_view s) {
    double chars = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0u) != 0x80u) chars += 1;  // count UTF-8 lead bytes only
    return 6.0 * chars + 2.0;
}

void Plot::vline(double x, std::string_view css_class, std::string_view label) {
    if (!std::isfinite(x) || !inside_x(x)) return;
    body_ += "<line class=\"" + std::string(css_class) + "\" x1=\"" + coord(px(x)) + "\" x2=\"" + coord(px(x)) +
             "\" y1=\"" + coord(top_) + "\" y2=\"" + coord(static_cast<double>(h_) - bottom_) + "\"/>";
    if (label.empty()) return;
    // Right of the line, or left of it when it would run past the frame.
    const double w = label_width_px(label);
    const bool end = px(x) + 3 + w > static_cast<double>(w_) - right_;
    const double x0 = end ? px(x) - 3 - w : px(x) + 3, x1 = x0 + w;
    int row = 0;
    for (bool clash = true; clash; ++row) {
        clash = false;
        for (const auto& p : vlabels_)
            if (p.row == row && x0 < p.x1 + 2 && p.x0 < x1 + 2) clash = true;
        if (!clash) break;
    }
    vlabels_.push_back({x0, x1, row});
    body_ += "<text class=\"vlabel\" x=\"" + coord(end ? px(x) - 3 : px(x) + 3) + "\" y=\"" +
             coord(top_ + 10 + 11 * static_cast<double>(row)) + "\"" + (end ? " text-anchor=\"end\"" : "") + ">" +
             escape(label) + "</text>";
}

void Plot::hline(double y, std::string_view css_class, std::string_view label) {
    if (!std::isfinite(y) || y < y_.lo || y > y_.hi) return;
    body_ += "<line class=\"" + std::string(css_class) + "\" x1=\"" + coord(left_) + "\" x2=\"" +
             coord(static_cast<double>(w_) - right_) + "\" y1=\"" + coord(py(y)) + "\" y2=\"" + coord(py(y)) + "\"/>";
    if (!label.empty())
        body_ += "<text class=\"vlabel\" x=\"" + coord(left_ + 4) + "\" y=\"" + coord(py(y) - 3) + "\">" +
                 escape(label) + "</text>";
}

void Plot::bar(double x0, double x1, double y, std::string_view css_class) {
    if (!std::isfinite(y)) return;
    const double base = std::max(y_.lo, 0.0);
    const double top = py(y), bot = py(base);
    body_ += "<rect class=\"" + std::string(css_class) + "\" x=\"" + coord(px(x0) + 1) + "\" y=\"" + coord(top) +
             "\" width=\"" + coord(std::max(0.0, px(x1) - px(x0) - 2)) + "\" height=\"" + coord(std::max(0.0, bot - top)) +
             "\"/>";
}

void Plot::text(double x, double y, std::string_view s, std::string_view css_class) {
    if (!std::isfinite(x + y)) return;
    body_ += "<text class=\"" + std::string(css_class) + "\" x=\"" + coord(px(x)) + "\" y=\"" + coord(py(y)) + "\">" +
             escape(s) + "</text>";
}

std::string Plot::svg() const {
    const double x0 = left_, x1 = static_cast<double>(w_) - right_;
    const double y0 = top_, y1 = static_cast<double>(h_) - bottom_;
    // Legend rows below the axis label: entries flow left to right and wrap.
    struct Entry {
        std::string cls, label;
        double x, y;
    };
    std::vector<Entry> entries;
    {
        auto all = legend_;
        if (outside_) all.emplace_back("outside", "outside the axis range");
        double lx = x0, ly = static_cast<double>(h_) + 6;
        for (auto& [cls, label] : all) {
            const double w = 18 + label_width_px(label) + 14;
            if (lx > x0 && lx + w > x1) {
                lx = x0;
                ly += 14;
            }
            entries.push_back({std::move(cls), std::move(label), lx, ly});
            lx += w;
        }
    }
    const double total_h = entries.empty() ? static_cast<double>(h_) : entries.back().y + 6;
    std::string s = "<svg class=\"plot\" viewBox=\"0 0 " + std::to_string(w_) + " " + coord(total_h) +
                    "\" role=\"img\" aria-label=\"" + escape(title_) + "\" data-x-range=\"" + num(x_.lo, 6) + " " +
                    num(x_.hi, 6) + "\" data-y-range=\"" + num(y_.lo, 6) + " " + num(y_.hi, 6) + "\">";
    s += "<title>" + escape(title_) + "</title>";
    s += "<text class=\"ptitle\" x=\"" + coord(x0) + "\" y=\"16\">" + escape(title_) + "</text>";
    // Grid and tick labels.
    for (std::size_t i = 0; i < xcats_.size(); ++i)
        s += "<text class=\"tick\" text-anchor=\"middle\" x=\"" + coord(px(static_cast<double>(i) + 0.5)) +
             "\" y=\"" + coord(y1 + 14) + "\">" + escape(xcats_[i]) + "</text>";
    for (double t : xcats_.empty() ? ticks(x_.lo, x_.hi) : std::vector<double>{}) {
        s += "<line class=\"grid\" x1=\"" + coord(px(t)) + "\" x2=\"" + coord(px(t)) + "\" y1=\"" + coord(y0) +
             "\" y2=\"" + coord(y1) + "\"/>";
        s += "<text class=\"tick\" text-anchor=\"middle\" x=\"" + coord(px(t)) + "\" y=\"" + coord(y1 + 14) + "\">" +
             num(t) + "</text>";
    }
    for (double t : ticks(y_.lo, y_.hi, 5)) {
        s += "<line class=\"grid\" x1=\"" + coord(x0) + "\" x2=\"" + coord(x1) + "\" y1=\"" + coord(py(t)) +
             "\" y2=\"" + coord(py(t)) + "\"/>";
        s += "<text class=\"tick\" text-anchor=\"end\" x=\"" + coord(x0 - 4) + "\" y=\"" + coord(py(t) + 3.5) + "\">" +
             num(t) + "</text>";
    }
    s += "<rect class=\"frame\" x=\"" + coord(x0) + "\" y=\"" + coord(y0) + "\" width=\"" + coord(x1 - x0) +
         "\" height=\"" + coord(y1 - y0) + "\"/>";
    s += body_;
    s += "<text class=\"alabel\" text-anchor=\"middle\" x=\"" + coord((x0 + x1) / 2) + "\" y=\"" +
         coord(static_cast<double>(h_) - 6) + "\">" + escape(x_.label) + "</text>";
    s += "<text class=\"alabel\" text-anchor=\"middle\" transform=\"translate(14 " + coord((y0 + y1) / 2) +
         ") rotate(-90)\">" + escape(y_.label) + "</text>";
    for (const auto& e : entries)
        s += "<rect class=\"" + e.cls + " swatch\" x=\"" + coord(e.x) + "\" y=\"" + coord(e.y - 8) +
             "\" width=\"14\" height=\"8\"/><text class=\"legend\" x=\"" + coord(e.x + 18) + "\" y=\"" + coord(e.y) +
             "\">" + escape(e.label) + "</text>";
    s += "</svg>";
    return s;
}

// The one style sheet of every penrig HTML report (run, study, lot).
constexpr const char* kCss = R"CSS(
:root{--ink:#1b1f24;--mute:#5b6470;--line:#c9d1d9;--pass:#116329;--fail:#b3261e;--error:#8a4b00;--band:#d8ecff}
*{box-sizing:border-box}
body{font:10.5pt/1.4 "DejaVu Sans","Liberation Sans",Arial,sans-serif;color:var(--ink);margin:0 auto;max-width:1100px;padding:16px 24px}
h1{font-size:17pt;margin:0}
h2{font-size:12.5pt;border-bottom:2px solid var(--ink);margin:22px 0 8px;padding-bottom:2px}
h3{font-size:11pt;margin:14px 0 6px}
table{border-collapse:collapse;width:100%;margin:4px 0 10px}
th,td{border:1px solid var(--line);padding:3px 4px;text-align:left;vertical-align:top}
th{background:#f1f3f5;font-weight:600}
thead{display:table-header-group}
tr{break-inside:avoid}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.outcome{font-weight:700;text-align:center}
.pass{color:var(--pass)} .fail{color:var(--fail)} .error{color:var(--error)}
.nr{color:var(--mute);font-style:italic}
.mono{font-family:"DejaVu Sans Mono",monospace;font-size:8.5pt;word-break:break-all}
table.measurements{font-size:9pt}
table.measurements td{overflow-wrap:break-word}
table.refs{font-size:8pt;table-layout:fixed}
table.budget{font-size:7.5pt;table-layout:fixed}
table.budget th,table.budget td{overflow-wrap:anywhere}
table.budget th:first-child{width:18%}
table.budget th:last-child{width:28%}
table.refs th,table.refs td{overflow-wrap:anywhere}
td.mid{font-family:"DejaVu Sans Mono",monospace;font-size:8.5pt}
.header{display:grid;grid-template-columns:1fr auto;gap:12px;align-items:start;border:2px solid var(--ink);padding:10px 12px}
.verdict{font-size:20pt;font-weight:800;padding:6px 18px;border:3px solid currentColor;text-align:center}
.verdict small{display:block;font-size:8pt;font-weight:400}
.id td:first-child{width:26%;color:var(--mute)}
.banner{border:3px dashed var(--fail);color:var(--fail);font-weight:800;font-size:13pt;text-align:center;padding:6px;margin:10px 0}
.signed{border:2px solid var(--pass);color:var(--pass);padding:6px;margin:10px 0;font-weight:600}
.scope{border-left:4px solid var(--ink);padding:6px 12px;background:#f8f9fa}
figure{margin:8px 0 14px;break-inside:avoid}
figcaption{font-size:9pt;color:var(--mute)}
svg.plot{width:100%;height:auto;display:block;background:#fff}
svg .grid{stroke:#eceff2;stroke-width:1}
svg .frame{fill:none;stroke:#8c959f;stroke-width:1}
svg .tick,svg .legend,svg .vlabel,svg .note{font-size:10px;fill:#3d444d}
svg .ptitle{font-size:12px;font-weight:600;fill:#1b1f24}
svg .alabel{font-size:11px;fill:#1b1f24}
svg .data{fill:none;stroke:#0969da;stroke-width:1.4}
svg .dots{fill:none;stroke:#0969da;stroke-width:3;stroke-linecap:round}
svg .dots2{fill:none;stroke:#8250df;stroke-width:3;stroke-linecap:round}
svg .setpoint{fill:none;stroke:#1b1f24;stroke-width:1.2;stroke-dasharray:5 3}
svg .tol{fill:#d8ecff;stroke:none;opacity:.8}
svg .tolfail{fill:#ffd8d3;stroke:none;opacity:.8}
svg .stallzone{fill:#fff1c2;stroke:none;opacity:.7}
svg .ev{stroke:#57606a;stroke-width:1;stroke-dasharray:2 2}
svg .mark{stroke:#b3261e;stroke-width:1.4}
svg .mark2{stroke:#116329;stroke-width:1.4}
svg .limit{stroke:#b3261e;stroke-width:1;stroke-dasharray:6 3}
svg .current{fill:none;stroke:#bc4c00;stroke-width:1.4}
svg .barfill{fill:#54aeff}
svg .barlate{fill:#ff8182}
svg .swatch{stroke:#1b1f24;stroke-width:.5}
svg .outside{fill:#b3261e;stroke:none}
pre.input{font-size:8pt;background:#f6f8fa;border:1px solid var(--line);padding:6px;white-space:pre-wrap;word-break:break-all}
footer{margin-top:24px;border-top:1px solid var(--line);font-size:8.5pt;color:var(--mute)}
@page{size:A4;margin:14mm 12mm}
@media print{
  body{max-width:none;padding:0;font-size:9.5pt}
  h2{break-after:avoid}
  .input-files{break-before:page}
  a{color:inherit;text-decoration:none}
}
)CSS";

std::string_view report_css() { return kCss; }

}  // namespace rig::svg
