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

    [[nodiscard]] nlohmann::json to_json() const;
    static Measurement from_json(const nlohmann::json& j);
};

void to_json(nlohmann::json& j, const Measurement& m);
void from_json(const nlohmann::json& j, Measurement& m);

}  // namespace rig
