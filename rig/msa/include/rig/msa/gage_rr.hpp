#pragma once
// Gage R&R by the ANOVA method (AIAG, Measurement Systems Analysis, 4th ed.,
// 2010, chapter III section B "Analysis of Variance (ANOVA) Method" and
// appendix A). Pure functions on a table of study results; no I/O.
//
// Definitions (the names the report and the study record use):
//   EV   repeatability, equipment variation: sigma of repeated trials on one
//        part by one operator (error mean square).
//   AV   reproducibility: operator (appraiser) variation, including the
//        operator x part interaction when it is kept in the model.
//   INT  operator x part interaction (crossed design only).
//   GRR  sqrt(EV^2 + AV^2).
//   PV   part-to-part variation.
//   TV   total variation, sqrt(GRR^2 + PV^2).
// Each is a standard deviation in the measurement's unit; "study variation"
// is `study_multiplier` (6 by default, as in the 4th edition; 5.15 in the
// 3rd) times it. %GRR of study variation = 100 GRR/TV; %GRR of tolerance =
// 100 * study_multiplier * GRR / tolerance; ndc = floor(1.41 PV/GRR) (AIAG:
// "truncated to the integer", at least 1).
// Acceptance (AIAG): %GRR < 10 % acceptable, 10-30 % may be acceptable
// depending on the application ("conditional"), > 30 % not acceptable; and
// ndc >= 5. The %GRR judged is the one of tolerance when a tolerance is given
// (the study is about the pen's limits), else of study variation.
//
// Variance components from expected mean squares (random effects; AIAG
// table III-B 6 / Montgomery, Design and Analysis of Experiments, 13.4):
//   crossed, with interaction:  s2_e = MSE, s2_int = (MSOP - MSE)/r,
//     s2_op = (MSO - MSOP)/(p r), s2_p = (MSP - MSOP)/(o r);
//   crossed, interaction pooled into error when its F test is not
//     significant at `alpha_interaction`: MSE' = (SSOP + SSE)/(dfOP + dfE),
//     s2_op = (MSO - MSE')/(p r), s2_p = (MSP - MSE')/(o r);
//   nested (each operator measures its own parts, parts within operators):
//     s2_e = MSE, s2_p = (MSP(O) - MSE)/r, s2_op = (MSO - MSP(O))/(p r),
//     p = parts per operator.
// A negative component estimate is set to 0 (AIAG), and the report says so.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace rig::msa {

enum class Design { crossed, nested };

// The study's results: value(op, part, trial). In the nested design part
// indexes "the part-th part of this operator" (parts are not shared).
struct StudyTable {
    std::size_t operators = 0;
    std::size_t parts = 0;  // per operator in the nested design
    std::size_t trials = 0;
    std::vector<double> values;  // (op * parts + part) * trials + trial

    StudyTable() = default;
    StudyTable(std::size_t o, std::size_t p, std::size_t r) : operators(o), parts(p), trials(r), values(o * p * r) {}
    [[nodiscard]] double& at(std::size_t op, std::size_t part, std::size_t trial) {
        return values[(op * parts + part) * trials + trial];
    }
    [[nodiscard]] double at(std::size_t op, std::size_t part, std::size_t trial) const {
        return values[(op * parts + part) * trials + trial];
    }
};

struct AnovaRow {
    std::string source;  // "operator", "part", "operator*part", "part(operator)", "repeatability", "total"
    int df = 0;
    double ss = 0;
    double ms = 0;                 // 0 on the total row
    std::optional<double> f;       // against the term its expected mean square is tested with
    std::optional<double> p;       // upper tail of F(df, df_denominator)
};

struct Component {
    double variance = 0;          // clamped at 0
    double sd = 0;                // sqrt(variance)
    double study_var = 0;         // study_multiplier * sd
    double pct_contribution = 0;  // 100 variance / TV^2
    double pct_study_var = 0;     // 100 sd / TV
    std::optional<double> pct_tolerance;  // 100 study_var / tolerance
    bool clamped = false;         // the estimate was negative
};

enum class Acceptability { acceptable, conditional, not_acceptable };
[[nodiscard]] const char* to_string(Acceptability a) noexcept;

struct Options {
    Design design = Design::crossed;
    double study_multiplier = 6.0;
    // The interaction is pooled into the error when its p-value is above
    // this (0.05: the common default, e.g. Minitab's "alpha to remove
    // interaction"; AIAG leaves the level to the analyst). <= 0 never pools.
    double alpha_interaction = 0.05;
    std::optional<double> tolerance;  // USL - LSL, in the measurement's unit
};

struct GageRR {
    Design design = Design::crossed;
    std::size_t operators = 0, parts = 0, trials = 0;
    std::vector<AnovaRow> anova;
    bool interaction_pooled = false;  // crossed: the table lists the interaction row, the components pool it
    Component ev, av, op, interaction, grr, pv, tv;
    int ndc = 0;
    double pct_grr = 0;  // the %GRR judged (of tolerance if given, else of study variation)
    bool pct_grr_of_tolerance = false;
    Acceptability acceptability = Acceptability::not_acceptable;
    std::string rule;  // the decision rule in words, for the record
};

// Throws std::invalid_argument for a table that cannot be analysed (fewer
// than 2 operators, parts or trials; a size mismatch; a non-finite value;
// no variation at all).
[[nodiscard]] GageRR analyse(const StudyTable& table, const Options& options = {});

// Control chart constants for subgroups of size n = trials (2..10), from
// ASTM E2587 / AIAG SPC manual appendix: X-bar limits = grand mean +- A2 R-bar,
// R limits = D3 R-bar .. D4 R-bar.
struct ChartConstants {
    double a2, d3, d4;
};
[[nodiscard]] ChartConstants chart_constants(std::size_t n);

// Per operator and part: the mean and range of its trials, and the charts'
// limits, for the study report's X-bar and R charts.
struct Charts {
    std::vector<double> mean;   // op * parts + part
    std::vector<double> range;  // op * parts + part
    double grand_mean = 0, r_bar = 0;
    double xbar_lcl = 0, xbar_ucl = 0, r_lcl = 0, r_ucl = 0;
};
[[nodiscard]] Charts charts(const StudyTable& table);

}  // namespace rig::msa
