#include "rig/msa/study.hpp"

#include "rig/core/units.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <stdexcept>

namespace rig::msa {
namespace {
using rig::Dimension;
using rig::format_quantity;
using rig::parse_quantity;
using rig::QuantityError;


// The base fixture's value of a quantity, SI; the fixture file was validated
// before the study (rig msa loads the scenario with it first).
double quantity_si(const YAML::Node& n, Dimension dim, const char* what) {
    if (!n || !n.IsScalar()) throw std::invalid_argument(std::string("the study's fixture has no sim value ") + what);
    const auto q = parse_quantity(n.as<std::string>(), dim);
    if (const auto* e = std::get_if<QuantityError>(&q)) throw std::invalid_argument(std::string(what) + ": " + e->message);
    return std::get<double>(q);
}

}  // namespace

nlohmann::json to_json(const Variation& v) {
    return {
        {"part", {{"depth_offset_sd_mm", v.depth_offset_m * 1e3}, {"rate_error_sd_pct", v.rate_error * 100},
                  {"spring_stiffness_sd_pct", v.spring_rel * 100}, {"coulomb_friction_sd_pct", v.friction_rel * 100}}},
        {"setup", {{"encoder_zero_operator_sd_mm", v.encoder_zero_operator_m * 1e3},
                   {"encoder_zero_setup_sd_mm", v.encoder_zero_setup_m * 1e3},
                   {"load_cell_zero_operator_sd_N", v.load_cell_zero_operator_n},
                   {"load_cell_zero_setup_sd_N", v.load_cell_zero_setup_n}}},
        {"distribution", "normal, mean 0 (factors: mean 1); operator bias drawn once per operator, set-up part per run"},
    };
}

std::string operator_name(std::size_t op) { return std::string(1, static_cast<char>('A' + op)); }

std::string part_name(std::size_t part_id) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "part-%02zu", part_id + 1);
    return buf;
}

std::vector<PlannedRun> plan_study(const StudyPlan& plan) {
    if (plan.parts < 2 || plan.parts > 50)
        throw std::invalid_argument("--parts must be 2 to 50, not " + std::to_string(plan.parts));
    if (plan.operators < 2 || plan.operators > 10)
        throw std::invalid_argument("--operators must be 2 to 10, not " + std::to_string(plan.operators));
    if (plan.trials < 2 || plan.trials > 10)
        throw std::invalid_argument("--trials must be 2 to 10, not " + std::to_string(plan.trials));
    std::mt19937_64 rng(plan.seed);
    std::normal_distribution<double> n01(0.0, 1.0);
    const auto& v = plan.variation;
    const std::size_t physical_parts = plan.design == Design::crossed ? plan.parts : plan.parts * plan.operators;
    std::vector<PartParams> parts(physical_parts);
    for (auto& p : parts) {
        p.depth_offset_m = v.depth_offset_m * n01(rng);
        p.rate_error = v.rate_error * n01(rng);
        p.spring_factor = std::max(0.5, 1.0 + v.spring_rel * n01(rng));
        p.friction_factor = std::max(0.1, 1.0 + v.friction_rel * n01(rng));
    }
    std::vector<SetupParams> bias(plan.operators);
    for (auto& b : bias) {
        b.encoder_zero_m = v.encoder_zero_operator_m * n01(rng);
        b.load_cell_zero_n = v.load_cell_zero_operator_n * n01(rng);
    }
    std::vector<PlannedRun> runs;
    runs.reserve(plan.operators * plan.parts * plan.trials);
    for (std::size_t o = 0; o < plan.operators; ++o)
        for (std::size_t p = 0; p < plan.parts; ++p)
            for (std::size_t t = 0; t < plan.trials; ++t) {
                PlannedRun r;
                r.op = o;
                r.part = p;
                r.trial = t;
                r.part_id = plan.design == Design::crossed ? p : o * plan.parts + p;
                r.part_params = parts[r.part_id];
                r.setup.encoder_zero_m = bias[o].encoder_zero_m + v.encoder_zero_setup_m * n01(rng);
                r.setup.load_cell_zero_n = bias[o].load_cell_zero_n + v.load_cell_zero_setup_n * n01(rng);
                r.seed = rng();
                runs.push_back(r);
            }
    std::shuffle(runs.begin(), runs.end(), rng);
    for (std::size_t i = 0; i < runs.size(); ++i) runs[i].order = i;
    return runs;
}

std::string fixture_variant(const std::string& base_yaml, const PlannedRun& run) {
    YAML::Node root = YAML::Load(base_yaml);
    YAML::Node sim = root["sim"];
    if (!sim || !sim.IsMap()) throw std::invalid_argument("the study's fixture has no `sim:` section: parts and set-ups can only be simulated on the sim backend");
    const auto& pp = run.part_params;
    YAML::Node mech = sim["mechanism"];
    YAML::Node motor = sim["motor"];
    mech["spring_stiffness"] = format_quantity(
        quantity_si(mech["spring_stiffness"], Dimension::stiffness, "mechanism.spring_stiffness") * pp.spring_factor, "N/m");
    motor["coulomb_friction"] = format_quantity(
        quantity_si(motor["coulomb_friction"], Dimension::torque, "motor.coulomb_friction") * pp.friction_factor, "mN*m");
    YAML::Node faults = sim["faults"];
    if (!faults || !faults.IsMap()) faults = YAML::Node(YAML::NodeType::Map);
    faults["depth_offset"] = format_quantity(pp.depth_offset_m, "mm");
    faults["rate_error"] = format_quantity(pp.rate_error, "%");
    faults["encoder_zero_error"] = format_quantity(run.setup.encoder_zero_m, "mm");
    faults["load_cell_offset"] = format_quantity(run.setup.load_cell_zero_n, "N");
    sim["faults"] = faults;
    YAML::Emitter out;
    out << root;
    char head[512];
    std::snprintf(head, sizeof head,
                  "# Generated by `rig msa`: %s measured by operator %s (set-up of trial %zu), run %zu of the study.\n"
                  "# The part's pen parameters and the set-up's offsets are in sim.mechanism, sim.motor and sim.faults.\n",
                  part_name(run.part_id).c_str(), operator_name(run.op).c_str(), run.trial + 1, run.order + 1);
    return std::string(head) + out.c_str() + "\n";
}

}  // namespace rig::msa
