#pragma once
// Parts several measurement kinds' descriptors share (one place each): the
// descriptor built from a kind's definition (describe<K>), the instrument
// lists the calibration gate counts, the plan preconditions (Needs), and the
// truth of a per-stroke statistic.
//
// Thread-safety: constants and pure functions.

#include <functional>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rig/scenario/measure_kind.hpp"

namespace rig::kind_parts {

/// `v` with 6 significant digits (or `precision`), for messages and bases.
std::string num(double v, int precision = 6);

/// What a kind's value depends on (MeasureKind::instruments).
inline constexpr std::string_view kEncoder[] = {"encoder"};
inline constexpr std::string_view kEncoderLoadCell[] = {"encoder", "load_cell"};
inline constexpr std::string_view kEncoderCurrent[] = {"encoder", "current_sense"};

/// What must have happened in the plan before a measure step of a kind (its
/// preconditions, when they are only these).
struct Needs {
    bool rate = false;       // a rate setpoint
    bool depth_set = false;  // a set_depth
    bool powered = false;    // the pen powered on at least once
};

/// Each need of `needs` the plan has not met is an error "measure <kind>:
/// ..." (in the order rate, depth, power).
void require(std::string_view kind, Needs needs, const PlanState& st, std::vector<std::string>& errors);

/// The budget of a kind's measurement, combined (k = 2): a kind's `budget`
/// builds its inputs, the combination is the same for every kind.
template <typename K>
Uncertainty combined_budget(const BudgetInput& in) {
    return K::budget(in).combine();
}

/// A kind's name: its `name`, or that of its one quantity.
template <typename K>
constexpr std::string_view name_of() {
    if constexpr (requires { K::name; }) {
        return K::name;
    } else {
        static_assert(std::size(K::quantities) == 1, "a kind of several quantities states its name");
        return K::quantities[0].name;
    }
}

/// The preconditions of a kind that states only its `needs`.
template <typename K>
void check_needs(const MeasureSpec&, const PlanState& st, std::vector<std::string>& errors) {
    require(name_of<K>(), K::needs, st, errors);
}

/// A kind's descriptor (MeasureKind) from its definition: a struct `K` whose
/// static members carry MeasureKind's field names, so that a kind's file
/// states only what is its own.
///   Required: description, quantities, measure, budget (a `Budget` of the
///   measurement's inputs; combined here), instruments (every calibrated
///   instrument its value depends on, an empty list for none: no default,
///   because the calibration gate counts only these, and a kind that forgot
///   its load cell would run on an expired one).
///   Optional, with their defaults: name (a kind of one quantity is named
///   after it), anchor (none: the window is
///   the previous step's span), ref_keys with refs_kind (no earlier
///   measurements), preconditions (none; or `needs`, a Needs, when those
///   are all), spec_limits (none: inline limits
///   only), plot ("": none), face_referenced (false).
template <typename K>
constexpr MeasureKind describe() {
    MeasureKind k{
        .name = name_of<K>(),
        .description = K::description,
        .quantities = K::quantities,
        .measure = &K::measure,
        .instruments = K::instruments,
        .budget = &combined_budget<K>,
    };
    if constexpr (requires { &K::anchor; }) k.anchor = &K::anchor;
    if constexpr (requires { K::ref_keys; }) {
        k.ref_keys = K::ref_keys;
        k.refs_kind = K::refs_kind;
    }
    if constexpr (requires { &K::preconditions; }) k.preconditions = &K::preconditions;
    if constexpr (requires { K::needs; }) k.preconditions = &check_needs<K>;
    if constexpr (requires { &K::spec_limits; }) k.spec_limits = &K::spec_limits;
    if constexpr (requires { K::plot; }) k.plot = K::plot;
    if constexpr (requires { K::face_referenced; }) k.face_referenced = K::face_referenced;
    return k;
}

/// The truth of a per-stroke statistic: `stats_of` over the true strokes
/// with the kinds' statistics options, its `field` when valid.
template <typename Stats>
std::function<std::optional<double>(std::span<const analysis::Stroke>)> truth_of(
    Stats (*stats_of)(std::span<const analysis::Stroke>, const analysis::StatsOptions&), double Stats::*field) {
    return [stats_of, field](std::span<const analysis::Stroke> truth) {
        const auto t = stats_of(truth, window_stats_options());
        return t.ok() ? std::optional<double>(t.*field) : std::nullopt;
    };
}

}  // namespace rig::kind_parts
