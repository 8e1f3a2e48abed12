#pragma once
// Parts several measurement kinds' descriptors share (one place each): the
// instrument lists the calibration gate counts, the plan preconditions, and
// the truth of a per-stroke statistic.
//
// Thread-safety: constants and pure functions.

#include <functional>
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

/// What must have happened before a measure step of `kind`, each an error
/// "measure <kind>: ..." when it has not.
void require_powered(std::string_view kind, const PlanState& st, std::vector<std::string>& errors);
void require_depth_set(std::string_view kind, const PlanState& st, std::vector<std::string>& errors);
void require_rate(std::string_view kind, const PlanState& st, std::vector<std::string>& errors);

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
