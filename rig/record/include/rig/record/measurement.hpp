#pragma once
// One judged measurement as the run record holds it (schema $defs/measurement).
// Units are the record's: the value, limits and truth are all in `unit`.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rig {

enum class Outcome { pass, fail, error };
const char* to_string(Outcome o);
/// "PASS"/"FAIL"/"ERROR"; anything else is ERROR (an unknown outcome is never a pass).
Outcome outcome_from(std::string_view s);

/// One input of an uncertainty budget (JCGM 100 (GUM) section 4-5): the quoted
/// figure of an input quantity, how it becomes a standard uncertainty, and
/// what it contributes to the result.
struct UncertaintyComponent {
    std::string name;          // what it is: "encoder resolution", "statistical (window spread)", ...
    std::string type;          // "A" (statistics of this window's data) or "B" (other information)
    std::string distribution;  // "normal", "rectangular", "triangular"
    double value = 0.0;        // the quoted figure in `unit`: half-width (rectangular, triangular), SD (type A), or U of a certificate
    double divisor = 1.0;      // value / divisor = u: sqrt(3) rectangular, sqrt(6) triangular, k of a certificate, sqrt(n) of a mean
    double u = 0.0;            // the input's standard uncertainty, `unit`
    std::string unit;          // unit of value and u
    double sensitivity = 1.0;  // c: result per input (the measurement's unit per `unit`)
    double contribution = 0.0; // |c| u, in the measurement's unit
    std::string basis;         // where the figure comes from (calibration record id, fixture key, window statistic)
};

/// A measured value's uncertainty: u_c = sqrt(sum contribution^2) (the GUM's
/// law of propagation for uncorrelated inputs), U = k u_c with k = 2 (about
/// 95 % coverage for a near-normal result).
struct Uncertainty {
    std::vector<UncertaintyComponent> components;
    double u_c = 0.0;  // combined standard uncertainty, the measurement's unit
    double k = 2.0;    // coverage factor
    double U = 0.0;    // expanded uncertainty, the measurement's unit
};

/// How a value is judged against its limits given U (ISO 14253-1, ILAC-G8:09/2019):
/// simple acceptance judges the value alone; guarded acceptance passes only a
/// value at least U inside its limits: one within U of a limit is
/// "conditional" and judged FAIL (conformance not proven).
enum class DecisionRule { simple, guarded };
const char* to_string(DecisionRule d);
std::optional<DecisionRule> decision_rule_from(std::string_view s);

struct Measurement {
    std::string id;
    std::string name;            // the measured quantity: puncture_rate, rise_time, stall_latency, ...
    std::string kind;            // the measure kind that produced it (registry name): step_response, ...
    std::string label;
    std::uint32_t step = 0;      // plan step index
    int line = 0;                // scenario line of the measure step
    std::optional<double> value; // unset when ERROR without a value
    std::string unit;
    std::optional<double> low, high;
    std::string limits_source;
    Outcome outcome = Outcome::error;
    std::string message;         // why ERROR / FAIL, or a short note
    double window_start_s = 0.0, window_end_s = 0.0;
    // Wall time the rig took to evaluate the measurement (window analysis and
    // instrument checks), not the simulated or measured window: JUnit's
    // testcase `time`. Measurements evaluated together (one kind giving
    // several) each carry the whole evaluation's time.
    std::chrono::microseconds evaluation{0};
    std::size_t samples = 0, strokes = 0;
    std::vector<std::string> requirements;
    nlohmann::json stats = nlohmann::json::object();
    std::optional<double> truth; // sim ground truth, in `unit`
    nlohmann::json truth_detail = nlohmann::json::object();  // sim: how the truth was found
    /// Set with a value (PASS or FAIL); never on ERROR or a FAIL without value.
    std::optional<Uncertainty> uncertainty;
    DecisionRule decision_rule = DecisionRule::simple;  // the rule in force (the pen spec's decision_rule)
    /// The value lies within U of a limit (either side): under the guarded
    /// rule such a value is FAIL; under the simple rule it is only marked.
    bool conditional = false;

    [[nodiscard]] nlohmann::json to_json() const;
    static Measurement from_json(const nlohmann::json& j);
    /// A measurement's JSON without what only the run itself knows (the sim's
    /// truth and its error, and the evaluation's wall time): what a re-analysis
    /// of the raw samples must reproduce exactly (`rig analyze`).
    [[nodiscard]] static nlohmann::json reproducible(nlohmann::json j);
};

void to_json(nlohmann::json& j, const Measurement& m);
void from_json(const nlohmann::json& j, Measurement& m);

}  // namespace rig
