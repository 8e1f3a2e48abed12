#include "rig/reports/json_schema.hpp"

#include <array>
#include <cmath>
#include <regex>
#include <stdexcept>
#include <string_view>

namespace rig {
namespace {

using nlohmann::json;

// Keywords that carry no assertion; anything else unknown is refused.
constexpr std::array<std::string_view, 9> annotations = {
    "$schema", "$id", "title", "description", "format", "default", "examples", "$comment", "$defs"};

bool is_annotation(std::string_view k) {
    for (auto a : annotations)
        if (a == k) return true;
    return false;
}

std::string escape_pointer_token(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

bool is_integer(const json& v) {
    if (v.is_number_integer()) return true;
    // JSON Schema: a number with a zero fractional part is an integer.
    if (v.is_number_float()) {
        const double d = v.get<double>();
        return std::isfinite(d) && std::floor(d) == d;
    }
    return false;
}

bool has_type(const json& v, const std::string& t) {
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "number") return v.is_number();
    if (t == "integer") return is_integer(v);
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    throw std::invalid_argument("schema: unknown type name '" + t + "'");
}

std::string short_dump(const json& v) {
    std::string s = v.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

// Numbers compare as numbers in enum/const (1 == 1.0), as the standard says.
bool json_equal(const json& a, const json& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    return a == b;
}

class Validator {
public:
    explicit Validator(const json& root) : root_(root) {}

    void check(const json& schema, const json& v, const std::string& ptr) {
        if (schema.is_boolean()) {
            if (!schema.get<bool>()) fail(ptr, "no value is allowed here");
            return;
        }
        if (!schema.is_object()) throw std::invalid_argument("schema at " + ptr + " is not an object");
        for (const auto& [key, sub] : schema.items()) {
            if (is_annotation(key)) continue;
            if (key == "$ref") {
                check(resolve(sub), v, ptr);
            } else if (key == "type") {
                check_type(sub, v, ptr);
            } else if (key == "required") {
                if (!v.is_object()) continue;
                for (const auto& name : sub)
                    if (!v.contains(name.get<std::string>()))
                        fail(ptr, "missing required property '" + name.get<std::string>() + "'");
            } else if (key == "properties") {
                if (!v.is_object()) continue;
                for (const auto& [name, psub] : sub.items()) {
                    auto it = v.find(name);
                    if (it != v.end()) check(psub, *it, ptr + "/" + escape_pointer_token(name));
                }
            } else if (key == "additionalProperties") {
                // Members not named in a sibling "properties" (no patternProperties here).
                if (!v.is_object()) continue;
                const json* named = schema.contains("properties") ? &schema["properties"] : nullptr;
                for (const auto& [name, value] : v.items())
                    if (named == nullptr || !named->contains(name)) {
                        if (sub.is_boolean() && !sub.get<bool>())
                            fail(ptr, "property '" + name + "' is not allowed");
                        else
                            check(sub, value, ptr + "/" + escape_pointer_token(name));
                    }
            } else if (key == "items") {
                if (!v.is_array()) continue;
                for (std::size_t i = 0; i < v.size(); ++i) check(sub, v[i], ptr + "/" + std::to_string(i));
            } else if (key == "enum") {
                bool found = false;
                for (const auto& e : sub) found = found || json_equal(e, v);
                if (!found) fail(ptr, short_dump(v) + " is not one of " + short_dump(sub));
            } else if (key == "const") {
                if (!json_equal(sub, v)) fail(ptr, short_dump(v) + " is not " + short_dump(sub));
            } else if (key == "pattern") {
                if (!v.is_string()) continue;
                const std::regex re(sub.get<std::string>(), std::regex::ECMAScript);
                if (!std::regex_search(v.get<std::string>(), re))
                    fail(ptr, short_dump(v) + " does not match the pattern " + sub.get<std::string>());
            } else if (key == "minimum") {
                if (!v.is_number()) continue;
                if (v.get<double>() < sub.get<double>())
                    fail(ptr, short_dump(v) + " is below the minimum " + short_dump(sub));
            } else {
                throw std::invalid_argument("schema keyword '" + key + "' at " + (ptr.empty() ? "/" : ptr) +
                                            " is not supported by this validator");
            }
        }
    }

    std::vector<std::string> errors;

private:
    void fail(const std::string& ptr, const std::string& what) {
        errors.push_back((ptr.empty() ? std::string("/") : ptr) + ": " + what);
    }

    void check_type(const json& t, const json& v, const std::string& ptr) {
        if (t.is_string()) {
            if (!has_type(v, t.get<std::string>())) fail(ptr, "expected " + t.get<std::string>() + ", got " + short_dump(v));
            return;
        }
        for (const auto& one : t)
            if (has_type(v, one.get<std::string>())) return;
        fail(ptr, "expected one of " + t.dump() + ", got " + short_dump(v));
    }

    const json& resolve(const json& ref) {
        const std::string r = ref.get<std::string>();
        constexpr std::string_view prefix = "#/$defs/";
        if (r.rfind(prefix, 0) != 0) throw std::invalid_argument("schema: unsupported $ref '" + r + "'");
        const std::string name = r.substr(prefix.size());
        auto defs = root_.find("$defs");
        if (defs == root_.end() || !defs->contains(name))
            throw std::invalid_argument("schema: $ref '" + r + "' does not resolve");
        return (*defs)[name];
    }

    const json& root_;
};

}  // namespace

std::vector<std::string> validate_json_schema(const nlohmann::json& schema, const nlohmann::json& doc) {
    Validator v(schema);
    v.check(schema, doc, "");
    return std::move(v.errors);
}

std::string canonical_json(const nlohmann::json& j) { return j.dump(); }

}  // namespace rig
