#pragma once
// A text (a log, an audit trail, a response, a report) that must hold each of
// several fragments: one check per fragment, so a failure names the missing one.
#include <initializer_list>
#include <string>
#include <string_view>

#include "catch.hpp"

namespace rig::test {

inline void check_contains_each(const std::string& text, std::initializer_list<std::string_view> fragments) {
    for (const auto f : fragments) CHECK_THAT(text, Catch::Contains(std::string(f)));
}

}  // namespace rig::test
