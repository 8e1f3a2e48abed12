#pragma once
// Small inline-SVG chart builder for the self-contained HTML reports (run,
// study, lot): no script, no external file.
// Data coordinates in, SVG text out; values that are not finite are skipped.
#include <string>
#include <string_view>
#include <vector>

namespace rig::svg {

/// The style sheet of the reports (inline in each report: nothing is fetched),
/// with the classes the plots use (data, limit, tol, barfill, ...).
std::string_view report_css();
std::string escape(std::string_view s);  // HTML/XML text and attribute escaping
/// escape() plus a line-break opportunity (<wbr>) after '.', '_', '@', ':' and
/// '/', so that identifiers wrap between their parts, never letter by letter.
std::string breakable(std::string_view s);
std::string num(double v, int significant = 4);  // "150.02", "0.751", "1.2e-05"

struct Axis {
    double lo = 0.0;
    double hi = 1.0;
    std::string label;  // with its unit, e.g. "time (s)"
};

class Plot {
public:
    /// `title` is shown above the plot area and as the SVG's accessible name.
    Plot(std::string title, Axis x, Axis y, int width_px = 760, int height_px = 240);

    void band(double x0, double x1, double y0, double y1, std::string_view css_class);
    void polyline(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view css_class,
                  bool step = false);
    /// One dash per finite point; a point above or below the y axis range is
    /// drawn as a triangle on that edge (class "outside") instead of a dash
    /// pinned to the edge, so that the axis can ignore outliers honestly.
    void points(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view css_class);
    /// A vertical marker; its label goes in the first label row where it does
    /// not overlap an earlier label (rows grow downwards from the top).
    void vline(double x, std::string_view css_class, std::string_view label = {});
    void hline(double y, std::string_view css_class, std::string_view label = {});
    void bar(double x0, double x1, double y, std::string_view css_class);
    void text(double x, double y, std::string_view s, std::string_view css_class = "note");
    /// Legend entries (css class of the swatch, label), drawn in rows below the
    /// x axis label, never over the data; the SVG grows by the rows it needs.
    void legend(std::vector<std::pair<std::string, std::string>> entries) { legend_ = std::move(entries); }

    /// Category labels for the x axis (category i spans [i, i+1]) instead of numeric ticks.
    void categories(std::vector<std::string> labels) { xcats_ = std::move(labels); }

    /// The SVG element; it carries its axis ranges as data-x-range/data-y-range
    /// ("lo hi") so that tests and tools can check them without parsing ticks.
    [[nodiscard]] std::string svg() const;

private:
    [[nodiscard]] double px(double x) const;
    [[nodiscard]] double py(double y) const;
    [[nodiscard]] bool inside_x(double x) const { return x >= x_.lo && x <= x_.hi; }

    std::string title_;
    Axis x_, y_;
    int w_, h_;
    double left_ = 64, right_ = 16, top_ = 28, bottom_ = 42;
    std::string body_;
    std::vector<std::pair<std::string, std::string>> legend_;
    std::vector<std::string> xcats_;
    struct Placed {
        double x0, x1;
        int row;
    };
    std::vector<Placed> vlabels_;  // label extents already drawn by vline()
    bool outside_ = false;         // some point lay outside the y range
};

/// Estimated width in px of `s` at the plots' 10 px label font (DejaVu Sans:
/// about 0.6 em per character; multi-byte UTF-8 counts as one character).
double label_width_px(std::string_view s);

/// Nice tick positions covering [lo, hi] (about `n` of them).
std::vector<double> ticks(double lo, double hi, int n = 6);

/// A padded range around the finite values given (never empty).
/// Values may be filtered by the caller first: an axis is for the data that
/// matter, outliers are then drawn as edge markers by Plot::points().
Axis auto_axis(const std::vector<double>& values, std::string label, double pad_fraction = 0.08);

}  // namespace rig::svg
