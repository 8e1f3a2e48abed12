#pragma once
// A Gage R&R study's plan: which part, operator (set-up) and trial each run
// is, in a randomised order, and on the simulated fixture what makes the parts
// and the set-ups differ.
//
// On the sim a "part" is a pen drawn from a stated spread of pen parameters
// (its depth-dial offset, its rate error, its return spring and friction), and
// an "operator" is what changes between set-ups on a real rig when a person
// re-seats the pen: where the encoder reads zero against the cartridge face
// and where the load cell's zero sits. Each operator has a bias of their own
// (how they seat a pen) and every set-up adds a random part. The rig's own
// instruments and noise are the fixture file's, unchanged. Everything here is
// deterministic from the study seed; the values drawn are written into each
// run's fixture file (so the run record states them) and into the study record.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "rig/msa/gage_rr.hpp"

namespace rig::msa {

/// Standard deviations of the normal spreads the sim study draws from (SI).
struct Variation {
    // part to part (each part is one pen)
    double depth_offset_m = 40e-6;     // the pen's dial: true protrusion - dial
    double rate_error = 0.01;          // the pen's rate error, fraction of the level's rate
    double spring_rel = 0.05;          // return spring stiffness, fraction
    double friction_rel = 0.10;        // Coulomb friction, fraction
    // set-up (re-seating the pen); operator bias + per set-up
    double encoder_zero_operator_m = 0.10e-3;
    double encoder_zero_setup_m = 0.05e-3;
    double load_cell_zero_operator_n = 0.02;
    double load_cell_zero_setup_n = 0.01;
};
[[nodiscard]] nlohmann::json to_json(const Variation& v);

struct StudyPlan {
    Design design = Design::crossed;
    std::size_t parts = 10, operators = 3, trials = 3;
    std::uint64_t seed = 1;
    Variation variation;
};

struct PartParams {
    double depth_offset_m = 0, rate_error = 0, spring_factor = 1, friction_factor = 1;
};
struct SetupParams {
    double encoder_zero_m = 0, load_cell_zero_n = 0;
};

struct PlannedRun {
    std::size_t order = 0;  // 0-based position in the randomised run order
    std::size_t op = 0, part = 0, trial = 0;  // part: per operator in the nested design
    std::size_t part_id = 0;                  // the physical part (nested: op * parts + part)
    std::uint64_t seed = 0;                   // the run's noise seed
    PartParams part_params;
    SetupParams setup;
};

/// Operator names: A, B, C, ... (AIAG's appraisers).
[[nodiscard]] std::string operator_name(std::size_t op);
/// "part-03" (1-based, the physical part).
[[nodiscard]] std::string part_name(std::size_t part_id);

/// Every run of the study in its randomised order (Fisher-Yates from the
/// seed: AIAG asks for a random order so that drift does not look like an
/// operator or part effect). Throws std::invalid_argument for a plan outside
/// 2..50 parts, 2..10 operators, 2..10 trials.
[[nodiscard]] std::vector<PlannedRun> plan_study(const StudyPlan& plan);

/// The fixture file of one sim run: the base fixture's YAML text with the
/// part's pen parameters and the set-up's offsets applied (sim.mechanism,
/// sim.motor and sim.faults), with a header saying what was drawn. Throws
/// std::invalid_argument when the base fixture has no `sim:` section.
[[nodiscard]] std::string fixture_variant(const std::string& base_yaml, const PlannedRun& run);

}  // namespace rig::msa
