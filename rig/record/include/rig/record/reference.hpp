#pragma once
// A cartridge-face reference as the run record holds it (schema
// $defs/reference): where a `reference:` step found the face in encoder
// counts, how well, and whether it may be used. Depth measurements are
// positions relative to the last valid reference before their window; one
// without a valid reference is ERROR (rig/scenario protrusion_depth).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace rig {

struct FaceReference {
    std::string id;                 // "reference@<plan step>"
    std::uint32_t step = 0;         // plan step index of the reference step
    int line = 0;                   // its scenario line
    std::string method;             // "touch_off"
    std::string instrument = "encoder";  // whose counts the face is in
    std::string calibration_id;     // the encoder's calibration record in force
    std::string mark_calibration;   // method index: the mark's calibration record (fixture reference.index)
    double start_s = 0.0, t_s = 0.0;  // the step's span; the reference is in force from t_s
    bool valid = false;
    std::string reason;             // why not valid (names the instrument and the evidence)
    std::optional<double> value_mm;        // the encoder's reading at the face (counts x scale + offset)
    std::optional<double> value_counts;    // the same in counts
    std::optional<double> uncertainty_mm;  // U (k = 2) of value_mm
    std::optional<double> uncertainty_counts;
    // Evidence of the touch-off.
    std::optional<double> contact_stiffness_n_per_mm;  // slope of the fitted contact line
    std::optional<double> residual_n;                  // RMS residual of the fit
    std::size_t points = 0;                            // samples in the fit
    std::optional<double> rest_return_mm;  // rest reading after - before (the encoder return check)
    std::optional<double> baseline_n;      // load-cell reading at rest (no contact) before the touch-off
    std::optional<double> scale_error;     // encoder speed / the drive's known speed - 1 (the scale check)
    std::optional<double> scale_limit;     // |scale_error| allowed (ratio)
    /// The next reference step's face relative to this one (mm): counts lost
    /// or gained between them (the closing check of the depths measured on this one).
    std::optional<double> drift_to_next_mm;
    std::optional<double> truth_mm;        // sim: the encoder's reading with the tip at the face

    [[nodiscard]] nlohmann::json to_json() const;
    static FaceReference from_json(const nlohmann::json& j);
};

void to_json(nlohmann::json& j, const FaceReference& r);
void from_json(const nlohmann::json& j, FaceReference& r);

}  // namespace rig
