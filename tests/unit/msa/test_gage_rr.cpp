// Gage R&R by ANOVA against a published worked example and against an
// independent numpy/scipy computation.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include <unistd.h>

#include "catch.hpp"
#include "rig/msa/gage_rr.hpp"
#include "skip.hpp"

using rig::msa::analyse;
using rig::msa::Design;
using rig::msa::StudyTable;

namespace {

// AIAG, Measurement Systems Analysis, 4th ed. (2010): the Gage R&R study data
// sheet used for the average-and-range and the ANOVA worked examples
// (3 appraisers A, B, C x 10 parts x 3 trials). Published ANOVA (table
// III-B 6): appraiser SS 3.1673, parts SS 88.3619, appraiser-by-part SS 0.3590
// (F 0.434, not significant: pooled), equipment SS 2.7589, total SS 94.6471;
// variance estimates (table III-B 6a) tau^2 = 0.039973 (repeatability),
// omega^2 = 0.051455 (appraiser), gamma^2 = 0 (interaction),
// sigma^2 = 1.086446 (part); % of total variation EV 18.4, AV 20.9, GRR 27.9,
// PV 96.0.
constexpr double kAiag[3][3][10] = {
    {{0.29, -0.56, 1.34, 0.47, -0.80, 0.02, 0.59, -0.31, 2.26, -1.36},
     {0.41, -0.68, 1.17, 0.50, -0.92, -0.11, 0.75, -0.20, 1.99, -1.25},
     {0.64, -0.58, 1.27, 0.64, -0.84, -0.21, 0.66, -0.17, 2.01, -1.31}},
    {{0.08, -0.47, 1.19, 0.01, -0.56, -0.20, 0.47, -0.63, 1.80, -1.68},
     {0.25, -1.22, 0.94, 1.03, -1.20, 0.22, 0.55, 0.08, 2.12, -1.62},
     {0.07, -0.68, 1.34, 0.20, -1.28, 0.06, 0.83, -0.34, 2.19, -1.50}},
    {{0.04, -1.38, 0.88, 0.14, -1.46, -0.29, 0.02, -0.46, 1.77, -1.49},
     {-0.11, -1.13, 1.09, 0.20, -1.07, -0.67, 0.01, -0.56, 1.45, -1.77},
     {-0.15, -0.96, 0.67, 0.11, -1.45, -0.49, 0.21, -0.49, 1.87, -2.16}},
};

StudyTable aiag_table() {
    StudyTable t(3, 10, 3);
    for (std::size_t o = 0; o < 3; ++o)
        for (std::size_t p = 0; p < 10; ++p)
            for (std::size_t r = 0; r < 3; ++r) t.at(o, p, r) = kAiag[o][r][p];
    return t;
}

const rig::msa::AnovaRow& row(const rig::msa::GageRR& g, const std::string& source) {
    for (const auto& r : g.anova)
        if (r.source == source) return r;
    FAIL("no ANOVA row " << source);
    throw;
}

}  // namespace

TEST_CASE("Gage R&R ANOVA reproduces the AIAG MSA 4th ed. worked example", "[msa]") {
    const auto g = analyse(aiag_table());
    CHECK(row(g, "operator").df == 2);
    CHECK(row(g, "operator").ss == Approx(3.1673).margin(5e-5));
    CHECK(row(g, "part").df == 9);
    CHECK(row(g, "part").ss == Approx(88.3619).margin(5e-5));
    CHECK(row(g, "operator*part").df == 18);
    CHECK(row(g, "operator*part").ss == Approx(0.3590).margin(5e-5));
    CHECK(*row(g, "operator*part").f == Approx(0.434).margin(5e-4));
    CHECK(row(g, "repeatability").df == 60);
    CHECK(row(g, "repeatability").ss == Approx(2.7589).margin(5e-5));
    CHECK(row(g, "total").ss == Approx(94.6471).margin(5e-5));
    REQUIRE(g.interaction_pooled);
    CHECK(g.ev.variance == Approx(0.039973).margin(5e-7));
    CHECK(g.op.variance == Approx(0.051455).margin(5e-7));
    CHECK(g.interaction.variance == 0.0);
    CHECK(g.pv.variance == Approx(1.086446).margin(5e-7));
    CHECK(g.ev.pct_study_var == Approx(18.4).margin(0.05));
    CHECK(g.av.pct_study_var == Approx(20.9).margin(0.05));
    CHECK(g.grr.pct_study_var == Approx(27.9).margin(0.05));
    CHECK(g.pv.pct_study_var == Approx(96.0).margin(0.05));
    // 1.41 x 1.0423 / 0.3024 = 4.86, truncated: 4 categories, so the system
    // is not acceptable for this process even though %GRR is "conditional".
    CHECK(g.ndc == 4);
    CHECK(g.acceptability == rig::msa::Acceptability::not_acceptable);
}

TEST_CASE("Gage R&R: %GRR of tolerance and the acceptance bands", "[msa]") {
    auto t = aiag_table();
    rig::msa::Options opt;
    // 6 x 0.30237 = 1.8142: against a tolerance of 20 that is 9.07 %.
    opt.tolerance = 20.0;
    auto g = analyse(t, opt);
    CHECK(g.pct_grr_of_tolerance);
    CHECK(g.pct_grr == Approx(100.0 * 6.0 * std::sqrt(0.039973 + 0.051455) / 20.0).epsilon(1e-4));
    // ndc 4 still fails the study, whatever the tolerance.
    CHECK(g.acceptability == rig::msa::Acceptability::not_acceptable);

    // Spread the parts tenfold: ndc grows, %GRR of tolerance stays.
    for (std::size_t o = 0; o < 3; ++o)
        for (std::size_t p = 0; p < 10; ++p)
            for (std::size_t r = 0; r < 3; ++r) t.at(o, p, r) += 9.0 * static_cast<double>(p);
    opt.tolerance = 20.0;
    g = analyse(t, opt);
    CHECK(g.ndc >= 5);
    CHECK(g.acceptability == rig::msa::Acceptability::acceptable);
    opt.tolerance = 8.0;  // 22.7 %
    CHECK(analyse(t, opt).acceptability == rig::msa::Acceptability::conditional);
    opt.tolerance = 5.0;  // 36 %
    CHECK(analyse(t, opt).acceptability == rig::msa::Acceptability::not_acceptable);
}

TEST_CASE("Gage R&R: a significant interaction is kept, negative components clamped", "[msa]") {
    // Operator 0 reads part 0 high, operator 1 reads part 1 high: a pure
    // interaction on top of part differences, tiny repeatability.
    StudyTable t(2, 4, 2);
    for (std::size_t o = 0; o < 2; ++o)
        for (std::size_t p = 0; p < 4; ++p)
            for (std::size_t r = 0; r < 2; ++r)
                t.at(o, p, r) = static_cast<double>(p) + (o == p % 2 ? 0.5 : 0.0) + (r == 0 ? 0.01 : -0.01);
    const auto g = analyse(t);
    CHECK_FALSE(g.interaction_pooled);
    CHECK(*row(g, "operator*part").p < 1e-6);
    CHECK(g.interaction.variance > 0.0);
    // Operator means are equal, so MS operator < MS interaction: the
    // operator component would be negative; it is 0 and marked.
    CHECK(g.op.variance == 0.0);
    CHECK(g.op.clamped);
}

TEST_CASE("Gage R&R: tables that cannot be analysed are refused precisely", "[msa]") {
    CHECK_THROWS_WITH(analyse(StudyTable(1, 10, 3)), Catch::Contains("at least 2 operators"));
    StudyTable t(2, 2, 2);
    CHECK_THROWS_WITH(analyse(t), Catch::Contains("no variation"));
    t.at(0, 0, 0) = std::nan("");
    CHECK_THROWS_WITH(analyse(t), Catch::Contains("not a finite number"));
    t.values.pop_back();
    CHECK_THROWS_WITH(analyse(t), Catch::Contains("expected 8"));
}

TEST_CASE("Gage R&R: X-bar and R chart limits", "[msa]") {
    const auto c = rig::msa::charts(aiag_table());
    // AIAG average-and-range example: R-bar = 0.3417 (the mean of the
    // appraisers' R-bars 0.184, 0.513, 0.328), UCL_R = D4 R-bar = 2.574 x.
    CHECK(c.r_bar == Approx(0.3417).margin(5e-5));
    CHECK(c.r_ucl == Approx(2.574 * c.r_bar));
    CHECK(c.r_lcl == 0.0);
    CHECK(c.xbar_ucl - c.grand_mean == Approx(1.023 * c.r_bar));
    CHECK_THROWS(rig::msa::chart_constants(11));
}

TEST_CASE("Gage R&R agrees with an independent numpy/scipy computation", "[msa][python]") {
    namespace fs = std::filesystem;
    if (std::system("/usr/bin/python3 -c 'import numpy, scipy' >/dev/null 2>&1") != 0)
        PENRIG_SKIP("Debian python3 with numpy and scipy (/usr/bin/python3) is not installed (scripts/install-deps.sh --test installs them)");
    std::mt19937_64 rng(20261130);
    std::normal_distribution<double> n01(0.0, 1.0);
    const fs::path dir = fs::temp_directory_path() / ("penrig-msa-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    for (const Design design : {Design::crossed, Design::nested}) {
        for (int study = 0; study < 2; ++study) {
            const std::size_t o = 2 + static_cast<std::size_t>(study % 3), p = 5 + static_cast<std::size_t>(study),
                              r = 2 + static_cast<std::size_t>(study % 2);
            StudyTable t(o, p, r);
            std::vector<double> part(p), op(o);
            for (auto& v : part) v = 2.0 * n01(rng);
            for (auto& v : op) v = 0.3 * n01(rng);
            for (std::size_t i = 0; i < o; ++i)
                for (std::size_t j = 0; j < p; ++j) {
                    const double inter = (study % 2 ? 0.4 : 0.02) * n01(rng);
                    for (std::size_t k = 0; k < r; ++k) t.at(i, j, k) = part[j] + op[i] + inter + 0.1 * n01(rng);
                }
            rig::msa::Options opt;
            opt.design = design;
            const auto g = analyse(t, opt);
            const fs::path in = dir / "in.txt", out = dir / "out.txt";
            {
                std::ofstream f(in);
                f.precision(17);
                f << (design == Design::crossed ? "crossed" : "nested") << ' ' << o << ' ' << p << ' ' << r << ' '
                  << opt.alpha_interaction << '\n';
                for (double v : t.values) f << v << '\n';
            }
            const std::string cmd =
                std::string("/usr/bin/python3 ") + PENRIG_MSA_REFERENCE_PY + " < " + in.string() + " > " + out.string();
            REQUIRE(std::system(cmd.c_str()) == 0);
            std::ifstream f(out);
            std::string line;
            std::map<std::string, double> var;
            int rows = 0;
            while (std::getline(f, line)) {
                std::istringstream ls(line);
                std::string kind, name;
                ls >> kind >> name;
                if (kind == "row") {
                    int df;
                    double ss, ms, pv;
                    ls >> df >> ss >> ms >> pv;
                    const auto& mine = row(g, name);
                    CHECK(mine.df == df);
                    CHECK(mine.ss == Approx(ss).epsilon(1e-9));
                    if (pv >= 0) CHECK(*mine.p == Approx(pv).epsilon(1e-6).margin(1e-12));
                    ++rows;
                } else {
                    ls >> var[name];
                }
            }
            CHECK(rows == (design == Design::crossed ? 4 : 3));
            CHECK(g.ev.variance == Approx(var["ev"]).epsilon(1e-9));
            CHECK(g.interaction.variance == Approx(var["interaction"]).epsilon(1e-9).margin(1e-15));
            CHECK(g.op.variance == Approx(var["op"]).epsilon(1e-9).margin(1e-15));
            CHECK(g.pv.variance == Approx(var["pv"]).epsilon(1e-9));
        }
    }
    fs::remove_all(dir);
}
