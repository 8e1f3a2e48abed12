#pragma once
// The run record (reports/schema/run-record.schema.json) as a type, with its
// one JSON mapping (to_json/from_json below). The runner builds a RunRecord and
// writes it through the mapping; `rig analyze`, the report writers, trend and
// the daemon read it back through the same mapping, never by key.
//
// Times in the record are seconds since the run's t0 (`*_s`) or ISO 8601 UTC
// (`*_utc`); every quantity carries its unit in its name or beside it.
//
// Reading is lenient (an INCOMPLETE record written at the start has no
// ended_utc, no strokes; a missing verdict reads as INCOMPLETE, never PASS)
// except for the run id: from_json throws nlohmann::json::exception when it
// is missing or a part has the wrong type.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rig/core/samples.hpp"
#include "rig/record/measurement.hpp"
#include "rig/record/reference.hpp"

namespace rig::run_record {

inline constexpr std::string_view kSchema = "penrig.run-record/1";

struct Software {
    std::string name = "penrig", version, commit;
};
struct Operator {
    std::string name, source;
};
struct Dut {
    std::string serial, lot;
};

/// A scenario, spec or fixture file as run: its path (normalised), hash and text.
struct InputFile {
    std::string path, sha256, text;
};
struct ScenarioFile : InputFile {
    std::string id, title, version;
    std::vector<std::string> requirements;
};
struct SpecFile : InputFile {
    std::string model, id, version;
};
struct FixtureFile : InputFile {
    std::string name, backend;  // backend: "sim" or "hardware"
};

struct Calibration {
    std::string instrument, id;
    double scale = 1.0, offset = 0.0;
    std::string unit, date, due, reference, result, performed_by;
    std::string status;  // "valid" or "expired"
};

struct Lateness {
    double p50 = 0.0, p99 = 0.0, max = 0.0;  // us
};
struct Histogram {
    std::vector<double> lower_us;
    std::vector<std::optional<double>> upper_us;  // unset: the last bin is open-ended
    std::vector<std::uint64_t> counts;
};
/// Per-tick work time: wake-up to the end of the tick's SPI/GPIO work, in
/// the lateness histogram's bins.
struct WorkTime {
    double max_us = 0.0;
    std::vector<double> lower_us;
    std::vector<std::uint64_t> counts;
};
/// An ADC input as the loop recorded it: samples with a new conversion
/// (fresh) or a value already recorded (held), the rate of fresh values, and
/// the values' age (sample time - the instant the conversion stands for).
struct AdcInputTiming {
    std::uint64_t fresh_samples = 0;
    std::uint64_t held_samples = 0;
    double effective_rate_hz = 0.0;
    double age_mean_us = 0.0;
    double age_max_us = 0.0;
};
struct AdcTiming {
    AdcInputTiming force;
    AdcInputTiming current;
};

/// The acquisition loop's timing health over the whole run.
struct Timing {
    double sample_rate_hz = 0.0;
    std::uint64_t samples = 0;
    double mean_period_us = 0.0;
    std::uint64_t missed_samples = 0;
    std::uint64_t late_samples = 0;
    Lateness lateness_us;
    double budget_us = 0.0;
    Histogram histogram;
    std::string verdict;          // "within budget" or what was exceeded
    std::string outcome = "PASS"; // PASS or ERROR
    std::optional<WorkTime> work_us;  // absent in records written before it existed
    std::optional<AdcTiming> adc;
};

struct Step {
    std::size_t index = 0;
    std::string kind;
    int line = 0;
    std::string label;
    double start_s = 0.0, end_s = 0.0;
};

/// An event as recorded. `kind` is the name core's to_string(EventKind)
/// gives; to_event() turns it back whatever the kind (std::nullopt only for a
/// name this build does not know).
struct RecordEvent {
    double t_s = 0.0;
    std::string kind;
    double value = 0.0;
    std::uint32_t step = 0;
    std::string text;

    static RecordEvent from(const Event& e);
    [[nodiscard]] std::optional<Event> to_event() const;
};

/// Per-stroke series for the plots, bounded (see the runner).
struct Strokes {
    std::vector<double> t_s;
    std::vector<std::optional<double>> depth_mm;  // unset: the stroke is not valid
    std::vector<double> force_n;
    std::vector<std::optional<double>> rate_hz;   // unset: no valid interval ending at this BDC
};

struct GroundTruthCounts {
    std::size_t strokes = 0, stalls = 0;
};

struct SamplesInfo {
    std::string file = "samples.bin";  // samples.bin.part while the run goes on (or after it was killed)
    std::string format = "penrig-samples/2";
    std::uint64_t count = 0;
    std::string sha256;
    bool complete = true;              // false: the file is (or was left) a prefix
};

/// What a measurement kind is, for readers that do not link the registry
/// (reports): one entry per kind used in the run.
struct QuantityInfo {
    std::string unit, description;
};
struct KindInfo {
    std::string description;
    std::string plot;  // the report's plot for this kind ("" = none)
    std::map<std::string, QuantityInfo> quantities;
};

struct RunRecord {
    std::string schema = std::string(kSchema);
    std::string run_id;
    bool complete = false;
    std::string verdict = "INCOMPLETE";
    std::string verdict_reason;
    std::string started_utc;
    std::optional<std::string> ended_utc;
    Software software;
    std::string host;
    Operator operator_id;
    Dut dut;
    std::vector<std::string> tags;
    std::uint64_t seed = 0;
    nlohmann::json realtime;  // null: not a real-time run; else the settings applied (free-form)
    ScenarioFile scenario;
    SpecFile spec;
    FixtureFile fixture;
    std::vector<Calibration> calibration;
    std::vector<Measurement> measurements;
    /// Cartridge-face references found by `reference:` steps, in run order.
    std::vector<FaceReference> references;
    std::map<std::string, KindInfo> kinds;
    Timing timing;
    std::vector<Step> steps;
    std::vector<RecordEvent> events;
    std::optional<Strokes> strokes;
    std::optional<GroundTruthCounts> ground_truth;
    SamplesInfo samples;
};

void to_json(nlohmann::json& j, const RunRecord& r);
void from_json(const nlohmann::json& j, RunRecord& r);

/// Parses record.json text (throws nlohmann::json::exception on bad JSON or a
/// missing required part).
RunRecord parse_record(std::string_view text);
/// Reads and parses a run folder's record.json (throws on I/O errors too).
RunRecord read_record(const std::string& path);

}  // namespace rig::run_record
