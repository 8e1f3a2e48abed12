#pragma once
// A minimal JSON-Schema (draft 2020-12) validator for penrig's own schemas, and
// the canonical JSON form that is hashed and signed.
//
// Supported assertion keywords, exactly those reports/schema uses: type (a
// name or an array of names: object, array, string, number, integer, boolean,
// null), required, properties, additionalProperties (a schema or false), items,
// enum, const, pattern (ECMAScript regex,
// unanchored as the standard says), minimum, and $ref to "#/$defs/<name>" of
// the root schema. Annotations ($schema, $id, title, description, format,
// default, examples, $comment, $defs) are ignored. Any other keyword is a bug
// in the schema as far as this validator is concerned: it throws
// std::invalid_argument rather than silently accepting what it cannot check.
//
// Thread-safety: pure functions.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rig {

/// Validates `doc` against `schema`. Returns every violation found, each as
/// "<JSON pointer of the offending value>: <what is wrong>" ("" is the root,
/// shown as "/"); an empty vector means valid. Throws std::invalid_argument
/// for an unsupported keyword or an unresolvable $ref.
std::vector<std::string> validate_json_schema(const nlohmann::json& schema, const nlohmann::json& doc);

/// Canonical JSON: nlohmann's compact dump (object keys sorted, no
/// insignificant whitespace, UTF-8). The form that is hashed and signed.
std::string canonical_json(const nlohmann::json& j);

}  // namespace rig
