// The measurement registry: every measurement kind, registered here once.
// A kind is defined in its own file under measurements/ (measure_kind.hpp).
#include "rig/scenario/measure_kind.hpp"

namespace rig {

extern const MeasureKind kPunctureRate, kProtrusionDepth, kStrikeForce, kStartupTime, kStepResponse,
    kSpeedRegulation, kStallProtection, kLoopTiming;

namespace {
constexpr const MeasureKind* kKinds[] = {
    &kPunctureRate, &kProtrusionDepth, &kStrikeForce,     &kStartupTime,
    &kStepResponse, &kSpeedRegulation, &kStallProtection, &kLoopTiming,
};
}  // namespace

std::span<const MeasureKind* const> measure_kinds() { return kKinds; }

const MeasureKind* find_measure_kind(std::string_view name) {
    for (const auto* k : kKinds) {
        if (k->name == name) return k;
    }
    return nullptr;
}

const Quantity* find_quantity(std::string_view name) {
    for (const auto* k : kKinds) {
        if (const auto* q = k->quantity(name)) return q;
    }
    return nullptr;
}

}  // namespace rig
