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

std::string example_for(Dimension d) {
    switch (d) {
        case Dimension::length: return "'0.75 mm'";
        case Dimension::time: return "'200 ms'";
        case Dimension::frequency: return "'150 Hz'";
        case Dimension::angular_speed: return "'9000 rpm'";
        case Dimension::force: return "'2.5 N'";
        case Dimension::current: return "'350 mA'";
        case Dimension::voltage: return "'12 V'";
        case Dimension::resistance: return "'4.2 ohm'";
        case Dimension::inductance: return "'0.12 mH'";
        case Dimension::torque: return "'1.5 mN*m'";
        case Dimension::inertia: return "'0.6 g*cm^2'";
        case Dimension::mass: return "'0.4 g'";
        case Dimension::stiffness: return "'2 N/mm'";
        case Dimension::damping: return "'0.5 N*s/m'";
        case Dimension::rot_damping: return "'0.02 uN*m*s/rad'";
        case Dimension::back_emf: return "'1.2 mV/rpm'";
        case Dimension::ratio: return "'5 %'";
        case Dimension::force_per_time: return "'0.01 N/s'";
    }
    return "''";
}

}  // namespace

std::string_view dimension_name(Dimension d) {
    switch (d) {
        case Dimension::length: return "length";
        case Dimension::time: return "time";
        case Dimension::frequency: return "frequency";
        case Dimension::angular_speed: return "angular speed";
        case Dimension::force: return "force";
        case Dimension::current: return "current";
        case Dimension::voltage: return "voltage";
        case Dimension::resistance: return "resistance";
        case Dimension::inductance: return "inductance";
        case Dimension::torque: return "torque";
        case Dimension::inertia: return "moment of inertia";
        case Dimension::mass: return "mass";
        case Dimension::stiffness: return "stiffness";
        case Dimension::damping: return "damping";
        case Dimension::rot_damping: return "rotational damping";
        case Dimension::back_emf: return "back-EMF constant";
        case Dimension::ratio: return "ratio";
        case Dimension::force_per_time: return "force rate";
    }
    return "?";
}

std::string_view si_unit(Dimension d) {
    switch (d) {
        case Dimension::length: return "m";
        case Dimension::time: return "s";
        case Dimension::frequency: return "Hz";
        case Dimension::angular_speed: return "rad/s";
        case Dimension::force: return "N";
        case Dimension::current: return "A";
        case Dimension::voltage: return "V";
        case Dimension::resistance: return "ohm";
        case Dimension::inductance: return "H";
        case Dimension::torque: return "N*m";
        case Dimension::inertia: return "kg*m^2";
        case Dimension::mass: return "kg";
        case Dimension::stiffness: return "N/m";
        case Dimension::damping: return "N*s/m";
        case Dimension::rot_damping: return "N*m*s/rad";
        case Dimension::back_emf: return "V*s/rad";
        case Dimension::ratio: return "1";
        case Dimension::force_per_time: return "N/s";
    }
    return "?";
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
