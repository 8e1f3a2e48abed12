#pragma once
// Quantities with units, as they appear in penrig's YAML files ("0.75 mm",
// "150 Hz", "200 ms", "2 s"). A quantity in a file always carries its unit;
// parse_quantity() converts it to the SI base unit of its dimension (metre,
// second, hertz, newton, ampere, ...) so that the code never guesses a scale.
//
// In code, a raw double that carries a quantity has a unit suffix in its name
// (depth_mm, rate_hz, force_n) or is a std::chrono duration.
//
// Thread-safety: all functions are pure.

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace rig {

enum class Dimension {
    length,          // SI: m          units: m, mm, um, µm
    time,            // SI: s          units: s, ms, us, µs, ns, min
    frequency,       // SI: Hz         units: Hz, kHz
    angular_speed,   // SI: rad/s      units: rad/s, rpm
    force,           // SI: N          units: N, mN
    current,         // SI: A          units: A, mA
    voltage,         // SI: V          units: V, mV
    resistance,      // SI: ohm        units: ohm, mohm, kohm
    inductance,      // SI: H          units: H, mH, uH
    torque,          // SI: N*m        units: N*m, mN*m, uN*m
    inertia,         // SI: kg*m^2     units: kg*m^2, g*cm^2
    mass,            // SI: kg         units: kg, g, mg
    stiffness,       // SI: N/m        units: N/m, N/mm
    damping,         // SI: N*s/m      units: N*s/m, N*s/mm
    rot_damping,     // SI: N*m*s/rad  units: N*m*s/rad, uN*m*s/rad, uN*m/rpm
    back_emf,        // SI: V*s/rad    units: V*s/rad, mV/rpm
    ratio,           // SI: 1          units: %, ppm, (bare number not accepted: use %)
    force_per_time,  // SI: N/s        units: N/s, mN/s (drift)
};

/// The SI unit symbol of a dimension, as written in records ("m", "s", "Hz"...).
std::string_view si_unit(Dimension d);
/// Human name of a dimension ("length", "time"...), for error messages.
std::string_view dimension_name(Dimension d);
/// The units accepted for a dimension, comma-separated, for error messages.
std::string accepted_units(Dimension d);

struct QuantityError {
    std::string message;  // e.g. "missing unit: expected a length such as '0.75 mm'"
};

/// Parses "<number> <unit>" (whitespace between optional) into the SI value of
/// `dim`. Errors: no number, no unit, unknown unit, unit of another dimension,
/// non-finite value. Never throws.
std::variant<double, QuantityError> parse_quantity(std::string_view text, Dimension dim);

/// Formats an SI value in a chosen unit of its dimension, e.g.
/// format_quantity(0.00075, "mm") == "0.75 mm". Used for round trips and messages.
std::string format_quantity(double value_si, std::string_view unit, int precision = 6);

/// Converts an SI value into a unit of the same dimension (throws
/// std::invalid_argument for an unknown unit). to_unit(0.00075, "mm") == 0.75.
double to_unit(double value_si, std::string_view unit);

/// Seconds (SI) to a chrono duration, rounded to the nearest nanosecond.
inline std::chrono::nanoseconds seconds_to_ns(double s) {
    return std::chrono::nanoseconds(static_cast<long long>(s * 1e9 + (s >= 0 ? 0.5 : -0.5)));
}
inline double ns_to_seconds(std::chrono::nanoseconds ns) {
    return static_cast<double>(ns.count()) * 1e-9;
}

/// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The closest candidate within a small edit distance, if any.
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace rig
