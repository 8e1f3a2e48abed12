#include <cmath>
#include <variant>

#include "catch.hpp"
#include "rig/core/units.hpp"

using namespace rig;

namespace {
double ok(std::string_view s, Dimension d) {
    auto r = parse_quantity(s, d);
    if (auto* e = std::get_if<QuantityError>(&r)) FAIL("unexpected error: " << e->message);
    return std::get<double>(r);
}
std::string err(std::string_view s, Dimension d) {
    auto r = parse_quantity(s, d);
    REQUIRE(std::holds_alternative<QuantityError>(r));
    return std::get<QuantityError>(r).message;
}
}  // namespace

TEST_CASE("quantities convert to SI", "[units]") {
    CHECK(ok("0.75 mm", Dimension::length) == Approx(0.75e-3));
    CHECK(ok("750um", Dimension::length) == Approx(0.75e-3));
    CHECK(ok("750 µm", Dimension::length) == Approx(0.75e-3));
    CHECK(ok("150 Hz", Dimension::frequency) == Approx(150.0));
    CHECK(ok("1.5 kHz", Dimension::frequency) == Approx(1500.0));
    CHECK(ok("200 ms", Dimension::time) == Approx(0.2));
    CHECK(ok("2 s", Dimension::time) == Approx(2.0));
    CHECK(ok("5 %", Dimension::ratio) == Approx(0.05));
    CHECK(ok("-0.1 mm", Dimension::length) == Approx(-1e-4));
    CHECK(ok("60 rpm", Dimension::angular_speed) == Approx(2.0 * M_PI));
    CHECK(ok("2 N/mm", Dimension::stiffness) == Approx(2000.0));
}

TEST_CASE("a missing, unknown or wrong unit is an error that says what was expected", "[units]") {
    CHECK_THAT(err("150", Dimension::frequency), Catch::Contains("missing unit") && Catch::Contains("'150 Hz'"));
    CHECK_THAT(err("0.75 mn", Dimension::length), Catch::Contains("unknown unit 'mn'") && Catch::Contains("did you mean 'mm'"));
    CHECK_THAT(err("200 ms", Dimension::length), Catch::Contains("wrong unit 'ms'") && Catch::Contains("that is a time"));
    CHECK_THAT(err("fast", Dimension::frequency), Catch::Contains("not a number"));
    CHECK_THAT(err("", Dimension::time), Catch::Contains("empty value"));
    CHECK_THAT(err("nan Hz", Dimension::frequency), Catch::Contains("not a number") || Catch::Contains("finite"));
}

TEST_CASE("quantities round-trip through format_quantity", "[units]") {
    for (const char* unit : {"mm", "um", "m"}) {
        for (double v : {0.0, 0.75e-3, 2.5e-3, 1.234567e-3}) {
            const std::string text = format_quantity(v, unit, 12);
            CHECK(ok(text, Dimension::length) == Approx(v).epsilon(1e-12));
        }
    }
    CHECK(format_quantity(0.75e-3, "mm") == "0.75 mm");
    CHECK(format_quantity(0.2, "ms") == "200 ms");
    CHECK(to_unit(150.0, "kHz") == Approx(0.15));
    CHECK_THROWS_AS(to_unit(1.0, "furlong"), std::invalid_argument);
}

TEST_CASE("closest_match suggests near words only", "[units]") {
    const std::string_view cands[] = {"depth", "rate", "level", "steps"};
    CHECK(closest_match("deph", cands) == std::optional<std::string>("depth"));
    CHECK(closest_match("stpes", cands) == std::optional<std::string>("steps"));
    CHECK_FALSE(closest_match("banana", cands).has_value());
    CHECK(edit_distance("kitten", "sitting") == 3);
}
