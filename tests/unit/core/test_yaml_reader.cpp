#include "catch.hpp"
#include "expect_diagnostics.hpp"
#include "rig/core/yaml_reader.hpp"

using namespace rig;

namespace {
const Diagnostic& only_error(const Diagnostics& d) {
    REQUIRE(d.error_count() == 1);
    return d.items().front();
}
}  // namespace

TEST_CASE("MapReader reports unknown keys with a suggestion at their line and column", "[yaml]") {
    Diagnostics d;
    auto f = load_yaml_text("t.yaml", "name: x\ndepht: 1 mm\n", d);
    REQUIRE(f);
    MapReader r(f->root, f->path, d, "spec");
    r.string("name");
    r.quantity("depth", Dimension::length, Need::optional);
    r.finish();
    const auto& e = only_error(d);
    CHECK(e.where.line == 2);
    CHECK(e.where.column == 1);
    CHECK_THAT(e.message, Catch::Contains("unknown key 'depht'") && Catch::Contains("did you mean 'depth'"));
    CHECK(e.str() == "t.yaml:2:1: error: " + e.message);
}

TEST_CASE("MapReader points at the value for wrong types, units and ranges", "[yaml]") {
    Diagnostics d;
    auto f = load_yaml_text("t.yaml", "a: 3 ms\nb: [1, 2]\nc: 4 mm\nn: two\nflag: maybe\n", d);
    REQUIRE(f);
    MapReader r(f->root, f->path, d, "x");
    CHECK_FALSE(r.quantity("a", Dimension::length));
    CHECK_FALSE(r.quantity("b", Dimension::length));
    CHECK_FALSE(r.quantity("c", Dimension::length, Need::required, Range{0, 2.5e-3, "", "the fixture's max_depth"}));
    CHECK_FALSE(r.integer("n"));
    CHECK_FALSE(r.boolean("flag"));
    CHECK_FALSE(r.string("missing"));
    r.finish();
    test::check_diagnostics(d, {{1, "missing required key 'missing'"},  // missing key: reported at the mapping
                                {1, "wrong unit 'ms'", 4},
                                {2, "found a list"},
                                {3, "above the maximum 2.5 mm (the fixture's max_depth)"},
                                {4, "whole number"},
                                {5, ""}});
}

TEST_CASE("syntax errors and duplicate keys carry line and column", "[yaml]") {
    Diagnostics d;
    CHECK_FALSE(load_yaml_text("bad.yaml", "a: [1, 2\nb: 3\n", d));
    const auto& e = only_error(d);
    CHECK(e.where.file == "bad.yaml");
    CHECK(e.where.line >= 1);
    CHECK_THAT(e.message, Catch::Contains("YAML syntax error"));

    Diagnostics d2;
    auto f = load_yaml_text("dup.yaml", "a: 1\nb: 2\na: 3\n", d2);
    REQUIRE(f);
    MapReader r(f->root, f->path, d2, "x");
    const auto& e2 = only_error(d2);
    CHECK(e2.where.line == 3);
    CHECK_THAT(e2.message, Catch::Contains("duplicate key 'a'"));
}

TEST_CASE("choice suggests the closest option", "[yaml]") {
    Diagnostics d;
    auto f = load_yaml_text("t.yaml", "backend: smi\n", d);
    MapReader r(f->root, f->path, d, "fixture");
    CHECK_FALSE(r.choice("backend", {"sim", "hardware"}));
    CHECK_THAT(only_error(d).message, Catch::Contains("did you mean 'sim'"));
}

TEST_CASE("a missing file is one precise error", "[yaml]") {
    Diagnostics d;
    CHECK_FALSE(load_yaml_file("/nonexistent/penrig.yaml", d));
    CHECK(only_error(d).str() == "/nonexistent/penrig.yaml: error: no such file");
}
