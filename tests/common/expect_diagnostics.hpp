#pragma once
// Checks a loader's diagnostics against a table: one row per expected
// problem, in the order Diagnostics::sorted() gives (file, line, column).
#include <initializer_list>
#include <string>

#include "catch.hpp"
#include "rig/core/diagnostics.hpp"

namespace rig::test {

struct ExpectedDiagnostic {
    int line = 0;          // 0: any line
    std::string contains;  // a part of the message ("" : any message)
    int column = 0;        // 0: any column
};

/// Exactly these diagnostics, each at its line (and column) with its text.
inline void check_diagnostics(const Diagnostics& d, std::initializer_list<ExpectedDiagnostic> expected) {
    const auto items = d.sorted();
    REQUIRE(items.size() == expected.size());
    std::size_t i = 0;
    for (const auto& e : expected) {
        const auto& got = items[i++];
        INFO("diagnostic " << i << ": " << got.str());
        if (e.line != 0) CHECK(got.where.line == e.line);
        if (e.column != 0) CHECK(got.where.column == e.column);
        CHECK_THAT(got.message, Catch::Contains(e.contains));
    }
}

}  // namespace rig::test
