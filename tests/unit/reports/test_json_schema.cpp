#include <algorithm>

#include "catch.hpp"
#include "record_fixture.hpp"
#include "rig/reports/json_schema.hpp"

using nlohmann::json;
using rig::validate_json_schema;

namespace {
bool any_error_contains(const std::vector<std::string>& errs, const std::string& s) {
    return std::any_of(errs.begin(), errs.end(), [&](const std::string& e) { return e.find(s) != std::string::npos; });
}
}  // namespace

TEST_CASE("records the runner writes validate against the run-record schema", "[reports][schema]") {
    for (const char* sc : {rig::test::scenario::nightly, rig::test::scenario::stall, rig::test::scenario::fail,
                           rig::test::scenario::error}) {
        rig::test::TempDir tmp;
        const auto errs = validate_json_schema(rig::test::run_record_schema(), rig::test::real_record(tmp, sc));
        INFO(sc << "\n" << json(errs).dump(1));
        CHECK(errs.empty());
    }
}

TEST_CASE("the validator finds each kind of violation in a record", "[reports][schema]") {
    const json schema = rig::test::run_record_schema();
    // One run per process; each SECTION edits its own copy.
    static const json written = [] {
        rig::test::TempDir tmp;
        return rig::test::real_record(tmp, rig::test::scenario::smoke);
    }();
    json r = written;
    SECTION("required") {
        r.erase("dut");
        CHECK(any_error_contains(validate_json_schema(schema, r), "/: missing required property 'dut'"));
    }
    SECTION("enum") {
        r["verdict"] = "MAYBE";
        CHECK(any_error_contains(validate_json_schema(schema, r), "/verdict: \"MAYBE\" is not one of"));
    }
    SECTION("const") {
        r["schema"] = "penrig.run-record/2";
        CHECK(any_error_contains(validate_json_schema(schema, r), "/schema:"));
    }
    SECTION("pattern") {
        r["run_id"] = "yesterday";
        CHECK(any_error_contains(validate_json_schema(schema, r), "/run_id: \"yesterday\" does not match"));
    }
    SECTION("minimum") {
        r["seed"] = -1;
        CHECK(any_error_contains(validate_json_schema(schema, r), "/seed: -1 is below the minimum 0"));
    }
    SECTION("type, through items and $ref") {
        r["measurements"][3]["unit"] = 5;
        CHECK(any_error_contains(validate_json_schema(schema, r), "/measurements/3/unit: expected string"));
    }
    SECTION("array of types: value may be null but not a string") {
        r["measurements"][0]["value"] = nullptr;
        CHECK(validate_json_schema(schema, r).empty());
        r["measurements"][0]["value"] = "1.0";
        CHECK(any_error_contains(validate_json_schema(schema, r), "/measurements/0/value: expected one of"));
    }
    SECTION("integer accepts 3.0, refuses 3.5") {
        r["seed"] = 3.0;
        CHECK(validate_json_schema(schema, r).empty());
        r["seed"] = 3.5;
        CHECK(any_error_contains(validate_json_schema(schema, r), "/seed: expected integer"));
    }
    SECTION("$ref to a $defs input file: bad sha256") {
        r["scenario"]["sha256"] = "ABC";
        CHECK(any_error_contains(validate_json_schema(schema, r), "/scenario/sha256"));
    }
}

TEST_CASE("the validator refuses keywords it cannot check and unresolvable refs", "[reports][schema]") {
    CHECK_THROWS_AS(validate_json_schema(json{{"maxLength", 3}}, json("abcd")), std::invalid_argument);
    CHECK_THROWS_AS(validate_json_schema(json{{"$ref", "#/$defs/none"}}, json(1)), std::invalid_argument);
    CHECK_THROWS_AS(validate_json_schema(json{{"$ref", "other.json"}}, json(1)), std::invalid_argument);
    CHECK(validate_json_schema(json{{"description", "x"}, {"format", "date-time"}}, json("x")).empty());
}

TEST_CASE("canonical JSON sorts keys and is compact", "[reports][schema]") {
    const json j = json::parse(R"({"b": 1, "a": {"d": [1, 2], "c": "x"}})");
    CHECK(rig::canonical_json(j) == R"({"a":{"c":"x","d":[1,2]},"b":1})");
    CHECK(rig::canonical_json(json::parse(rig::canonical_json(j))) == rig::canonical_json(j));
}

TEST_CASE("additionalProperties: a schema for the members not named, or false", "[reports][schema]") {
    const json schema = json::parse(R"({"type": "object", "properties": {"a": {"type": "string"}},
                                        "additionalProperties": {"type": "number"}})");
    CHECK(validate_json_schema(schema, json{{"a", "x"}, {"b", 1}}).empty());
    CHECK(any_error_contains(validate_json_schema(schema, json{{"a", "x"}, {"b", "y"}}), "/b: expected number"));
    const json closed = json::parse(R"({"type": "object", "properties": {"a": {}}, "additionalProperties": false})");
    CHECK(any_error_contains(validate_json_schema(closed, json{{"a", 1}, {"c", 2}}), "property 'c' is not allowed"));
}
