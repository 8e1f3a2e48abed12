#pragma once
// One table per enum of the names it is written as (record, YAML, CLI), and
// the two lookups every such enum needs: value -> name, name -> value. A new
// enumerator is one new row; the switch and the if-chain that used to say the
// same thing twice per enum are gone.
//
// Thread-safety: constexpr functions over constant tables.

#include <cstddef>
#include <optional>
#include <string_view>

namespace rig {

template <typename E>
struct EnumName {
    E value;
    std::string_view name;  // a string literal: name.data() is NUL-terminated
};

/// The name of `v` in `table`, or "?" for a value the table lacks (a cast
/// from out-of-range data).
template <typename E, std::size_t N>
constexpr std::string_view enum_name(const EnumName<E> (&table)[N], E v) {
    for (const auto& e : table) {
        if (e.value == v) return e.name;
    }
    return "?";
}

/// The value named `s` in `table` (exact, case-sensitive), or nullopt.
template <typename E, std::size_t N>
constexpr std::optional<E> enum_from_name(const EnumName<E> (&table)[N], std::string_view s) {
    for (const auto& e : table) {
        if (e.name == s) return e.value;
    }
    return std::nullopt;
}

}  // namespace rig
