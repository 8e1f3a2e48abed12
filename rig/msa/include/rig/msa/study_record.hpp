#pragma once
// The study record (study.json) and its self-contained HTML report
// (study.html). The record holds the plan, the variation drawn, every run
// (run id, folder, verdict) and, per measurement, the table of values, the
// ANOVA, the components of variation, ndc and the acceptance decision with
// its rule. The study folder is sealed like a run folder (manifest signed by
// the rig key), so `rig verify STUDY_DIR` checks it.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/msa/gage_rr.hpp"

namespace rig::msa {

/// One measurement of the scenario across the study.
struct MeasurementStudy {
    std::string id, name, kind, unit;
    std::optional<double> tolerance;  // high - low of the measurement's limits, in `unit`
    StudyTable table;
    std::vector<bool> have;            // per table value: the run gave a trustworthy value
    std::vector<std::string> missing;  // "run 12 (part-03, operator B, trial 2): ERROR ..." per missing value
    std::optional<GageRR> result;      // set when every value is present and the table can be analysed
    std::string error;                 // why there is no result
};

[[nodiscard]] nlohmann::json to_json(const GageRR& g);
[[nodiscard]] nlohmann::json to_json(const MeasurementStudy& m);

/// Analyses `m` (sets result or error): a study with any missing value has
/// no result, never one computed on the values that happen to be there.
void conclude(MeasurementStudy& m, const Options& base);

/// The HTML report of a study record (study.json as written by `rig msa`).
[[nodiscard]] std::string render_study_html(const nlohmann::json& study);

}  // namespace rig::msa
