#include "rig/core/units.hpp"

#include "rig/core/diagnostics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace rig {
namespace {

struct UnitDef {
    std::string_view symbol;
    Dimension dim;
    double to_si;  // multiply a value in this unit by to_si to get SI
};

constexpr double kRpm = 2.0 * std::numbers::pi / 60.0;  // rad/s per rpm

// The accepted units. Symbols are matched exactly (case matters: "mm" vs "Mm");
// "u" is accepted for "µ" since not every keyboard has it.
constexpr std::array kUnits{
    UnitDef{"m", Dimension::length, 1.0},          UnitDef{"mm", Dimension::length, 1e-3},
    UnitDef{"um", Dimension::length, 1e-6},        UnitDef{"µm", Dimension::length, 1e-6},
    UnitDef{"s", Dimension::time, 1.0},            UnitDef{"ms", Dimension::time, 1e-3},
    UnitDef{"us", Dimension::time, 1e-6},          UnitDef{"µs", Dimension::time, 1e-6},
    UnitDef{"ns", Dimension::time, 1e-9},          UnitDef{"min", Dimension::time, 60.0},
    UnitDef{"Hz", Dimension::frequency, 1.0},      UnitDef{"kHz", Dimension::frequency, 1e3},
    UnitDef{"rad/s", Dimension::angular_speed, 1.0}, UnitDef{"rpm", Dimension::angular_speed, kRpm},
    UnitDef{"N", Dimension::force, 1.0},           UnitDef{"mN", Dimension::force, 1e-3},
    UnitDef{"A", Dimension::current, 1.0},         UnitDef{"mA", Dimension::current, 1e-3},
    UnitDef{"V", Dimension::voltage, 1.0},         UnitDef{"mV", Dimension::voltage, 1e-3},
    UnitDef{"ohm", Dimension::resistance, 1.0},    UnitDef{"mohm", Dimension::resistance, 1e-3},
    UnitDef{"kohm", Dimension::resistance, 1e3},   UnitDef{"Ω", Dimension::resistance, 1.0},
    UnitDef{"H", Dimension::inductance, 1.0},      UnitDef{"mH", Dimension::inductance, 1e-3},
    UnitDef{"uH", Dimension::inductance, 1e-6},    UnitDef{"µH", Dimension::inductance, 1e-6},
    UnitDef{"N*m", Dimension::torque, 1.0},        UnitDef{"mN*m", Dimension::torque, 1e-3},
    UnitDef{"uN*m", Dimension::torque, 1e-6},      UnitDef{"µN*m", Dimension::torque, 1e-6},
    UnitDef{"kg*m^2", Dimension::inertia, 1.0},    UnitDef{"g*cm^2", Dimension::inertia, 1e-7},
    UnitDef{"kg", Dimension::mass, 1.0},           UnitDef{"g", Dimension::mass, 1e-3},
    UnitDef{"mg", Dimension::mass, 1e-6},
    UnitDef{"N/m", Dimension::stiffness, 1.0},     UnitDef{"N/mm", Dimension::stiffness, 1e3},
    UnitDef{"N*s/m", Dimension::damping, 1.0},     UnitDef{"N*s/mm", Dimension::damping, 1e3},
    UnitDef{"N*m*s/rad", Dimension::rot_damping, 1.0},
    UnitDef{"uN*m*s/rad", Dimension::rot_damping, 1e-6},
    UnitDef{"uN*m/rpm", Dimension::rot_damping, 1e-6 / kRpm},
    UnitDef{"V*s/rad", Dimension::back_emf, 1.0},  UnitDef{"mV/rpm", Dimension::back_emf, 1e-3 / kRpm},
    UnitDef{"%", Dimension::ratio, 1e-2},          UnitDef{"ppm", Dimension::ratio, 1e-6},
    UnitDef{"N/s", Dimension::force_per_time, 1.0}, UnitDef{"mN/s", Dimension::force_per_time, 1e-3},
};

const UnitDef* find_unit(std::string_view sym) {
    for (const auto& u : kUnits) {
        if (u.symbol == sym) return &u;
    }
    return nullptr;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Everything said about a dimension, one row each, in enum order.
struct DimensionText {
    Dimension dim;
    std::string_view name;     // for error messages
    std::string_view si;       // the symbol records use
    std::string_view example;  // a quantity to show in an error
};
constexpr std::array kDimensions{
    DimensionText{Dimension::length, "length", "m", "'0.75 mm'"},
    DimensionText{Dimension::time, "time", "s", "'200 ms'"},
    DimensionText{Dimension::frequency, "frequency", "Hz", "'150 Hz'"},
    DimensionText{Dimension::angular_speed, "angular speed", "rad/s", "'9000 rpm'"},
    DimensionText{Dimension::force, "force", "N", "'2.5 N'"},
    DimensionText{Dimension::current, "current", "A", "'350 mA'"},
    DimensionText{Dimension::voltage, "voltage", "V", "'12 V'"},
    DimensionText{Dimension::resistance, "resistance", "ohm", "'4.2 ohm'"},
    DimensionText{Dimension::inductance, "inductance", "H", "'0.12 mH'"},
    DimensionText{Dimension::torque, "torque", "N*m", "'1.5 mN*m'"},
    DimensionText{Dimension::inertia, "moment of inertia", "kg*m^2", "'0.6 g*cm^2'"},
    DimensionText{Dimension::mass, "mass", "kg", "'0.4 g'"},
    DimensionText{Dimension::stiffness, "stiffness", "N/m", "'2 N/mm'"},
    DimensionText{Dimension::damping, "damping", "N*s/m", "'0.5 N*s/m'"},
    DimensionText{Dimension::rot_damping, "rotational damping", "N*m*s/rad", "'0.02 uN*m*s/rad'"},
    DimensionText{Dimension::back_emf, "back-EMF constant", "V*s/rad", "'1.2 mV/rpm'"},
    DimensionText{Dimension::ratio, "ratio", "1", "'5 %'"},
    DimensionText{Dimension::force_per_time, "force rate", "N/s", "'0.01 N/s'"},
};
constexpr bool in_enum_order() {
    for (std::size_t i = 0; i < kDimensions.size(); ++i) {
        if (static_cast<std::size_t>(kDimensions[i].dim) != i) return false;
    }
    return kDimensions.size() == static_cast<std::size_t>(Dimension::force_per_time) + 1;
}
static_assert(in_enum_order(), "kDimensions: one row per Dimension, in enum order");

const DimensionText* text_of(Dimension d) {
    const auto i = static_cast<std::size_t>(d);
    return i < kDimensions.size() ? &kDimensions[i] : nullptr;
}

std::string example_for(Dimension d) {
    const auto* t = text_of(d);
    return t ? std::string(t->example) : "''";
}

}  // namespace

std::string_view dimension_name(Dimension d) {
    const auto* t = text_of(d);
    return t ? t->name : "?";
}

std::string_view si_unit(Dimension d) {
    const auto* t = text_of(d);
    return t ? t->si : "?";
}

std::string accepted_units(Dimension d) {
    std::string out;
    for (const auto& u : kUnits) {
        if (u.dim != d) continue;
        if (!out.empty()) out += ", ";
        out += u.symbol;
    }
    return out;
}

std::variant<double, QuantityError> parse_quantity(std::string_view text, Dimension dim) {
    const std::string_view s = trim(text);
    const std::string expected = std::string("expected a ") + std::string(dimension_name(dim)) +
                                 " with a unit, such as " + example_for(dim);
    if (s.empty()) return QuantityError{"empty value: " + expected};
    double value = 0.0;
    const auto* begin = s.data();
    const auto* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec == std::errc::result_out_of_range) return QuantityError{"number out of range in " + quote_token(s)};
    if (ec != std::errc{}) return QuantityError{quote_token(s) + " is not a number: " + expected};
    if (!std::isfinite(value)) return QuantityError{quote_token(s) + " is not a finite number"};
    const std::string_view unit = trim(std::string_view(ptr, static_cast<std::size_t>(end - ptr)));
    if (unit.empty()) return QuantityError{"missing unit in " + quote_token(s) + ": " + expected};
    const UnitDef* u = find_unit(unit);
    if (u == nullptr) {
        std::vector<std::string_view> syms;
        for (const auto& def : kUnits) {
            if (def.dim == dim) syms.push_back(def.symbol);
        }
        std::string msg = "unknown unit " + quote_token(unit) + " for a " + std::string(dimension_name(dim));
        if (auto m = closest_match(unit, syms)) msg += " (did you mean '" + *m + "'?)";
        msg += "; accepted: " + accepted_units(dim);
        return QuantityError{msg};
    }
    if (u->dim != dim) {
        return QuantityError{"wrong unit " + quote_token(unit) + ": that is a " +
                             std::string(dimension_name(u->dim)) + ", " + expected +
                             " (accepted: " + accepted_units(dim) + ")"};
    }
    return value * u->to_si;
}

double to_unit(double value_si, std::string_view unit) {
    const UnitDef* u = find_unit(unit);
    if (u == nullptr) throw std::invalid_argument("unknown unit '" + std::string(unit) + "'");
    return value_si / u->to_si;
}

std::string format_quantity(double value_si, std::string_view unit, int precision) {
    const double v = to_unit(value_si, unit);
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%.*g", precision, v);
    return std::string(buf.data()) + " " + std::string(unit);
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates) {
    // Within a small edit distance; on a tie, the candidate closest in length
    // ("mn" suggests "mm", not "m").
    std::optional<std::string> best;
    const std::size_t limit = std::max<std::size_t>(2, word.size() / 3);
    std::size_t best_score = static_cast<std::size_t>(-1);
    for (auto c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d > limit || d == 0) continue;
        const std::size_t len_diff = c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
        const std::size_t score = d * 100 + len_diff;
        if (score < best_score) {
            best_score = score;
            best = std::string(c);
        }
    }
    return best;
}

}  // namespace rig
