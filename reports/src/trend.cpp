#include "rig/reports/trend.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "rig/reports/median.hpp"

namespace rig {

void TrendBuilder::add(TrendKey key, const std::string& name, const std::string& unit, TrendPoint p) {
    if (opt_.across_rigs) key.rig_id = "*";
    if (opt_.across_backends) key.fixture_backend = "*";
    if (opt_.across_spec_versions) key.spec_version = "*";
    if (opt_.on_point) opt_.on_point(key, unit, p);
    auto [it, fresh] = series_.try_emplace(key);
    auto& st = it->second;
    auto& s = st.s;
    if (fresh) {
        s.key = key;
        s.scenario_id = key.scenario_id;
        s.measurement_id = key.measurement_id;
    }
    s.name = name;
    s.unit = unit;
    s.low = p.low;
    s.high = p.high;
    ++s.runs;
    if (p.value) {
        const double v = *p.value;
        s.min = s.valued == 0 ? v : std::min(s.min, v);
        s.max = s.valued == 0 ? v : std::max(s.max, v);
        ++s.valued;
        st.sum += v;
        s.mean = st.sum / static_cast<double>(s.valued);
    }
    // The baseline window: good points only, the newest kept one beyond the
    // window because it may be the latest point (excluded from its own baseline).
    if (p.value && p.outcome == "PASS") {
        st.good.push_back(*p.value);
        if (st.good.size() > opt_.baseline_runs + 1) st.good.pop_front();
    }
    s.points.push_back(std::move(p));
    if (s.points.size() > std::max<std::size_t>(opt_.keep_points, 1)) s.points.erase(s.points.begin());
}

std::vector<TrendSeries> TrendBuilder::finish() {
    std::vector<TrendSeries> out;
    out.reserve(series_.size());
    for (auto& [key, st] : series_) {
        auto& s = st.s;
        const auto& last = s.points.back();
        std::vector<double> base(st.good.begin(), st.good.end());
        // The latest point is not part of its own baseline.
        if (last.value && last.outcome == "PASS" && !base.empty()) base.pop_back();
        if (base.size() > opt_.baseline_runs) base.erase(base.begin());
        s.baseline_n = base.size();
        if (!base.empty()) s.baseline = median(base);
        if (last.value && last.low && last.high && *last.high > *last.low && s.baseline &&
            base.size() >= opt_.min_history) {
            s.drift_band_fraction = std::abs(*last.value - *s.baseline) / (*last.high - *last.low);
            s.drift = s.drift_band_fraction > opt_.drift_fraction;
        }
        out.push_back(std::move(s));
    }
    series_.clear();
    return out;
}

std::vector<TrendSeries> build_trends(std::span<const run_record::RunRecord> records, const TrendOptions& opt) {
    std::vector<const run_record::RunRecord*> recs;
    for (const auto& r : records) {
        if (r.complete) recs.push_back(&r);
    }
    // ISO 8601 UTC times sort as text.
    std::stable_sort(recs.begin(), recs.end(), [](const run_record::RunRecord* a, const run_record::RunRecord* b) {
        return a->started_utc < b->started_utc;
    });
    TrendBuilder b(opt);
    for (const auto* r : recs) {
        for (const auto& m : r->measurements) {
            TrendKey k{r->scenario.id, m.id, r->spec.version, r->fixture.backend, r->host};
            b.add(std::move(k), m.name, m.unit,
                  TrendPoint{r->run_id, r->started_utc, r->software.commit, r->dut.serial, m.value, m.low, m.high,
                             to_string(m.outcome)});
        }
    }
    return b.finish();
}

std::vector<TrendSeries> build_trends(const std::vector<nlohmann::json>& records, const TrendOptions& opt) {
    std::vector<run_record::RunRecord> typed;
    typed.reserve(records.size());
    for (const auto& r : records) typed.push_back(r.get<run_record::RunRecord>());
    return build_trends(typed, opt);
}

std::vector<LatestRun> latest_runs(std::span<const run_record::RunRecord> records) {
    std::map<std::string, LatestRun> by_scenario;
    for (const auto& r : records) {
        auto& l = by_scenario[r.scenario.id];
        // Latest start wins; equal times: the one that did not close wins (never hide a failure).
        const bool later = l.run_id.empty() || r.started_utc > l.started_utc ||
                           (r.started_utc == l.started_utc && !r.complete);
        if (!later) continue;
        l = LatestRun{r.scenario.id, r.run_id, r.started_utc, r.complete ? r.verdict : std::string("INCOMPLETE"),
                      r.host};
    }
    std::vector<LatestRun> out;
    for (auto& [k, v] : by_scenario) out.push_back(std::move(v));
    return out;
}

namespace {
std::string q(const std::string& s) {
    std::string r = "\"";
    for (char c : s) r += c == '"' ? std::string("\"\"") : std::string(1, c);
    return r + "\"";
}
std::string num(const std::optional<double>& v) {
    if (!v) return {};
    std::ostringstream o;
    o.precision(17);
    o << *v;
    return o.str();
}
}  // namespace

std::string trend_csv_header() {
    return "scenario_id,measurement_id,spec_version,fixture_backend,rig_id,run_id,started_utc,commit,dut,value,unit,"
           "low,high,outcome\n";
}

std::string trend_csv_row(const TrendKey& k, const std::string& unit, const TrendPoint& p) {
    return q(k.scenario_id) + ',' + q(k.measurement_id) + ',' + q(k.spec_version) + ',' + q(k.fixture_backend) + ',' +
           q(k.rig_id) + ',' + q(p.run_id) + ',' + q(p.started_utc) + ',' + q(p.commit) + ',' + q(p.dut) + ',' +
           num(p.value) + ',' + q(unit) + ',' + num(p.low) + ',' + num(p.high) + ',' + q(p.outcome) + '\n';
}

std::string trends_csv(const std::vector<TrendSeries>& series) {
    std::string o = trend_csv_header();
    for (const auto& s : series) {
        for (const auto& p : s.points) o += trend_csv_row(s.key, s.unit, p);
    }
    return o;
}

}  // namespace rig
