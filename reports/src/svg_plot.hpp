#pragma once
// Small inline-SVG chart builder for the HTML report (internal to rig::reports).
// Data coordinates in, SVG text out; values that are not finite are skipped.
#include <string>
#include <string_view>
#include <vector>

namespace rig::svg {

std::string escape(std::string_view s);  // HTML/XML text and attribute escaping
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
    void points(const std::vector<double>& xs, const std::vector<double>& ys, std::string_view css_class);
    void vline(double x, std::string_view css_class, std::string_view label = {});
    void hline(double y, std::string_view css_class, std::string_view label = {});
    void bar(double x0, double x1, double y, std::string_view css_class);
    void text(double x, double y, std::string_view s, std::string_view css_class = "note");
    /// Legend entries, drawn top-right: (css class of the swatch, label).
    void legend(std::vector<std::pair<std::string, std::string>> entries) { legend_ = std::move(entries); }

    /// Category labels for the x axis (category i spans [i, i+1]) instead of numeric ticks.
    void categories(std::vector<std::string> labels) { xcats_ = std::move(labels); }

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
    int vlabels_ = 0;
};

/// Nice tick positions covering [lo, hi] (about `n` of them).
std::vector<double> ticks(double lo, double hi, int n = 6);

/// A padded range around the finite values given (never empty).
Axis auto_axis(const std::vector<double>& values, std::string label, double pad_fraction = 0.08);

}  // namespace rig::svg
