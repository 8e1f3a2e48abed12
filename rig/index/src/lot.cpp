#include "rig/index/lot.hpp"

#include <algorithm>
#include <map>

namespace rig::index {

LotSelection select_units(std::vector<RunRow> runs_newest_first) {
    LotSelection sel;
    std::map<std::pair<std::string, std::string>, bool> seen;  // (dut, scenario) already counted
    for (auto& r : runs_newest_first) {
        const std::string why = r.dut.empty()                                   ? "no DUT serial"
                                : !r.complete                                   ? "did not close (INCOMPLETE)"
                                : (r.verdict != "PASS" && r.verdict != "FAIL") ? "not a valid measurement of the unit (" + r.verdict + ")"
                                : seen.contains({r.dut, r.scenario_id})         ? "replaced by a later run of the unit"
                                                                                : "";
        if (!why.empty()) {
            sel.excluded.push_back(r.run_id + " " + r.dut + " " + r.verdict + ": " + why);
            continue;
        }
        seen[{r.dut, r.scenario_id}] = true;
        sel.counted.push_back(std::move(r));
    }
    std::reverse(sel.counted.begin(), sel.counted.end());  // certification order
    return sel;
}

LotSelection select_lot_units(const RunIndex& idx, const std::string& lot, const std::string& scenario) {
    RunFilter f;
    f.lot = lot;
    f.scenario = scenario;
    f.newest_first = true;
    return select_units(idx.runs(f));
}

std::vector<LotStatistics> lot_statistics(const RunIndex& idx, const LotSelection& sel) {
    return lot_statistics(sel, [&idx](const RunRow& r) { return idx.measurements(r.run_id); });
}

std::vector<LotStatistics> lot_statistics(const LotSelection& sel, const MeasurementSource& measurements_of) {
    struct Series {
        std::string name, unit;
        std::vector<LotValue> values;
    };
    std::map<std::pair<std::string, std::string>, Series> by;
    for (const auto& r : sel.counted) {
        for (const auto& m : measurements_of(r)) {
            auto& s = by[{r.scenario_id, m.id}];
            s.name = m.name;
            s.unit = m.unit;
            s.values.push_back(LotValue{r.dut, r.run_id, r.started_utc, m.value, m.low, m.high, m.outcome});
        }
    }
    std::vector<LotStatistics> out;
    for (auto& [key, s] : by) {
        auto st = rig::lot_statistics(s.values);
        st.scenario_id = key.first;
        st.measurement_id = key.second;
        st.name = s.name;
        st.unit = s.unit;
        out.push_back(std::move(st));
    }
    return out;
}

}  // namespace rig::index
