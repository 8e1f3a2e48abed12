#include "rig/msa/gage_rr.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <boost/math/distributions/fisher_f.hpp>

namespace rig::msa {
namespace {

double upper_tail_f(double f, int df1, int df2) {
    if (!(f > 0) || !std::isfinite(f)) return 1.0;
    const boost::math::fisher_f dist(df1, df2);
    return boost::math::cdf(boost::math::complement(dist, f));
}

void validate(const StudyTable& t) {
    if (t.operators < 2 || t.parts < 2 || t.trials < 2)
        throw std::invalid_argument("a Gage R&R study needs at least 2 operators, 2 parts and 2 trials (got " +
                                    std::to_string(t.operators) + " x " + std::to_string(t.parts) + " x " +
                                    std::to_string(t.trials) + ")");
    if (t.values.size() != t.operators * t.parts * t.trials)
        throw std::invalid_argument("study table holds " + std::to_string(t.values.size()) + " values, expected " +
                                    std::to_string(t.operators * t.parts * t.trials));
    for (std::size_t i = 0; i < t.values.size(); ++i)
        if (!std::isfinite(t.values[i]))
            throw std::invalid_argument("study table value " + std::to_string(i) + " is not a finite number");
}

AnovaRow row(std::string source, int df, double ss) {
    AnovaRow r;
    r.source = std::move(source);
    r.df = df;
    r.ss = ss;
    r.ms = df > 0 ? ss / df : 0.0;
    return r;
}

void test_against(AnovaRow& r, const AnovaRow& denominator) {
    if (denominator.ms <= 0) return;  // no error variation: F undefined
    r.f = r.ms / denominator.ms;
    r.p = upper_tail_f(*r.f, r.df, denominator.df);
}

Component component(double variance) {
    Component c;
    c.clamped = variance < 0;
    c.variance = std::max(0.0, variance);
    c.sd = std::sqrt(c.variance);
    return c;
}

}  // namespace

const char* to_string(Acceptability a) noexcept {
    switch (a) {
        case Acceptability::acceptable: return "acceptable";
        case Acceptability::conditional: return "conditional";
        case Acceptability::not_acceptable: return "not acceptable";
    }
    return "?";
}

GageRR analyse(const StudyTable& t, const Options& opt) {
    validate(t);
    const std::size_t o = t.operators, p = t.parts, r = t.trials;
    const double n_total = static_cast<double>(o * p * r);
    double grand = 0;
    for (double v : t.values) grand += v;
    grand /= n_total;

    std::vector<double> op_mean(o, 0.0), cell_mean(o * p, 0.0), part_mean(p, 0.0);
    double ss_total = 0, ss_error = 0;
    for (std::size_t i = 0; i < o; ++i)
        for (std::size_t j = 0; j < p; ++j) {
            double s = 0;
            for (std::size_t k = 0; k < r; ++k) s += t.at(i, j, k);
            cell_mean[i * p + j] = s / static_cast<double>(r);
            op_mean[i] += s;
            part_mean[j] += s;
            for (std::size_t k = 0; k < r; ++k) {
                const double v = t.at(i, j, k);
                ss_total += (v - grand) * (v - grand);
                ss_error += (v - cell_mean[i * p + j]) * (v - cell_mean[i * p + j]);
            }
        }
    for (auto& m : op_mean) m /= static_cast<double>(p * r);
    for (auto& m : part_mean) m /= static_cast<double>(o * r);
    if (!(ss_total > 0)) throw std::invalid_argument("the study shows no variation at all (every value equal)");

    double ss_op = 0;
    for (double m : op_mean) ss_op += (m - grand) * (m - grand);
    ss_op *= static_cast<double>(p * r);
    double ss_cells = 0;  // between operator-part cells
    for (double m : cell_mean) ss_cells += (m - grand) * (m - grand);
    ss_cells *= static_cast<double>(r);

    const int df_o = static_cast<int>(o) - 1, df_e = static_cast<int>(o * p * (r - 1));
    GageRR g;
    g.design = opt.design;
    g.operators = o;
    g.parts = p;
    g.trials = r;
    double s2_e = 0, s2_int = 0, s2_op = 0, s2_p = 0;
    const double dp = static_cast<double>(p), dr = static_cast<double>(r), dO = static_cast<double>(o);

    if (opt.design == Design::crossed) {
        double ss_part = 0;
        for (double m : part_mean) ss_part += (m - grand) * (m - grand);
        ss_part *= static_cast<double>(o * r);
        const double ss_int = ss_cells - ss_op - ss_part;
        const int df_p = static_cast<int>(p) - 1, df_i = df_o * df_p;
        AnovaRow ro = row("operator", df_o, ss_op), rp = row("part", df_p, ss_part),
                 ri = row("operator*part", df_i, std::max(0.0, ss_int)), re = row("repeatability", df_e, ss_error);
        // Random effects: operator and part are tested against the
        // interaction, the interaction against repeatability.
        test_against(ri, re);
        g.interaction_pooled = opt.alpha_interaction > 0 && ri.p && *ri.p > opt.alpha_interaction;
        if (g.interaction_pooled) {
            const AnovaRow pooled = row("repeatability (pooled)", df_i + df_e, ri.ss + re.ss);
            test_against(ro, pooled);
            test_against(rp, pooled);
            s2_e = pooled.ms;
            s2_op = (ro.ms - pooled.ms) / (dp * dr);
            s2_p = (rp.ms - pooled.ms) / (dO * dr);
        } else {
            test_against(ro, ri);
            test_against(rp, ri);
            s2_e = re.ms;
            s2_int = (ri.ms - re.ms) / dr;
            s2_op = (ro.ms - ri.ms) / (dp * dr);
            s2_p = (rp.ms - ri.ms) / (dO * dr);
        }
        g.anova = {ro, rp, ri, re, row("total", static_cast<int>(o * p * r) - 1, ss_total)};
        g.anova.back().ms = 0;
    } else {
        const double ss_part_in_op = ss_cells - ss_op;
        const int df_po = static_cast<int>(o * (p - 1));
        AnovaRow ro = row("operator", df_o, ss_op), rp = row("part(operator)", df_po, ss_part_in_op),
                 re = row("repeatability", df_e, ss_error);
        test_against(ro, rp);
        test_against(rp, re);
        s2_e = re.ms;
        s2_p = (rp.ms - re.ms) / dr;
        s2_op = (ro.ms - rp.ms) / (dp * dr);
        g.anova = {ro, rp, re, row("total", static_cast<int>(o * p * r) - 1, ss_total)};
        g.anova.back().ms = 0;
    }

    g.ev = component(s2_e);
    g.op = component(s2_op);
    g.interaction = component(s2_int);
    g.av = component(g.op.variance + g.interaction.variance);
    g.av.clamped = g.op.clamped || g.interaction.clamped;
    g.grr = component(g.ev.variance + g.av.variance);
    g.pv = component(s2_p);
    g.tv = component(g.grr.variance + g.pv.variance);
    const auto relate = [&](Component& c) {
        c.study_var = opt.study_multiplier * c.sd;
        c.pct_contribution = g.tv.variance > 0 ? 100.0 * c.variance / g.tv.variance : 0.0;
        c.pct_study_var = g.tv.sd > 0 ? 100.0 * c.sd / g.tv.sd : 0.0;
        if (opt.tolerance && *opt.tolerance > 0) c.pct_tolerance = 100.0 * c.study_var / *opt.tolerance;
    };
    relate(g.ev);
    relate(g.av);
    relate(g.op);
    relate(g.interaction);
    relate(g.grr);
    relate(g.pv);
    relate(g.tv);
    // ndc = 1.41 PV/GRR truncated, at least 1; a study without any gauge
    // variation has as many categories as the resolution allows: capped.
    const double ndc = g.grr.sd > 0 ? 1.41 * g.pv.sd / g.grr.sd : 1e6;
    g.ndc = std::max(1, static_cast<int>(std::min(ndc, 1e6)));
    g.pct_grr_of_tolerance = g.grr.pct_tolerance.has_value();
    g.pct_grr = g.pct_grr_of_tolerance ? *g.grr.pct_tolerance : g.grr.pct_study_var;
    if (g.pct_grr < 10.0 && g.ndc >= 5)
        g.acceptability = Acceptability::acceptable;
    else if (g.pct_grr <= 30.0 && g.ndc >= 5)
        g.acceptability = Acceptability::conditional;
    else
        g.acceptability = Acceptability::not_acceptable;
    g.rule = std::string("AIAG MSA 4th ed.: %GRR (") + (g.pct_grr_of_tolerance ? "of tolerance" : "of study variation") +
             ") < 10 % acceptable, 10-30 % conditional, > 30 % not acceptable; ndc >= 5 required";
    return g;
}

ChartConstants chart_constants(std::size_t n) {
    // ASTM E2587-16 table 1 / AIAG SPC 2nd ed. appendix E.
    static constexpr ChartConstants table[] = {
        {1.880, 0.0, 3.267}, {1.023, 0.0, 2.574}, {0.729, 0.0, 2.282}, {0.577, 0.0, 2.114}, {0.483, 0.0, 2.004},
        {0.419, 0.076, 1.924}, {0.373, 0.136, 1.864}, {0.337, 0.184, 1.816}, {0.308, 0.223, 1.777},
    };
    if (n < 2 || n > 10) throw std::invalid_argument("control chart constants exist for 2 to 10 trials, not " + std::to_string(n));
    return table[n - 2];
}

Charts charts(const StudyTable& t) {
    validate(t);
    Charts c;
    c.mean.resize(t.operators * t.parts);
    c.range.resize(t.operators * t.parts);
    for (std::size_t i = 0; i < t.operators; ++i)
        for (std::size_t j = 0; j < t.parts; ++j) {
            double s = 0, lo = t.at(i, j, 0), hi = lo;
            for (std::size_t k = 0; k < t.trials; ++k) {
                const double v = t.at(i, j, k);
                s += v;
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
            c.mean[i * t.parts + j] = s / static_cast<double>(t.trials);
            c.range[i * t.parts + j] = hi - lo;
        }
    for (std::size_t i = 0; i < c.mean.size(); ++i) {
        c.grand_mean += c.mean[i];
        c.r_bar += c.range[i];
    }
    c.grand_mean /= static_cast<double>(c.mean.size());
    c.r_bar /= static_cast<double>(c.range.size());
    const auto k = chart_constants(t.trials);
    c.xbar_lcl = c.grand_mean - k.a2 * c.r_bar;
    c.xbar_ucl = c.grand_mean + k.a2 * c.r_bar;
    c.r_lcl = k.d3 * c.r_bar;
    c.r_ucl = k.d4 * c.r_bar;
    return c;
}

}  // namespace rig::msa
