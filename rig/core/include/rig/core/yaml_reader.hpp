#pragma once
// Reading penrig's YAML files with precise diagnostics.
//
// A MapReader walks one YAML mapping. Every accessor records the key as
// known; finish() then reports each key that nobody asked for as unknown, with
// a "did you mean" suggestion. Accessors never throw on bad input: they add a
// diagnostic at the value's line and column and return std::nullopt, so one
// pass reports every problem in a file.
//
// Not thread-safe; one reader per thread.

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rig/core/diagnostics.hpp"
#include "rig/core/units.hpp"

namespace rig {

/// A YAML file as loaded: its path, its text (kept for the run record and its
/// SHA-256) and its root node.
struct YamlFile {
    std::string path;
    std::string text;
    YAML::Node root;
};

/// Reads a text file for a loader: a missing file, a folder or a read error
/// becomes one diagnostic naming the path; returns std::nullopt then.
std::optional<std::string> read_input_file(const std::filesystem::path& path, Diagnostics& diags);

/// Loads and parses a YAML file. On a missing file or a syntax error, adds a
/// diagnostic (with the parser's line and column) and returns std::nullopt.
std::optional<YamlFile> load_yaml_file(const std::filesystem::path& path, Diagnostics& diags);
/// Same, for text that did not come from disk (a daemon submission).
std::optional<YamlFile> load_yaml_text(std::string name, std::string text, Diagnostics& diags);

/// The 1-based location of a node in `file`.
SourceLocation location_of(const YAML::Node& node, const std::string& file);

/// Deepest nesting of mappings and lists a penrig file may have.
inline constexpr int kMaxYamlDepth = 64;
/// Most items of a list of names (requirements, tags) in a penrig file.
inline constexpr std::size_t kMaxListItems = 1000;

enum class Need { required, optional };

/// Inclusive numeric range for a value, in SI units; `what` names the bound's
/// source in messages (e.g. "the fixture's max_depth").
struct Range {
    double min = -std::numeric_limits<double>::infinity();
    double max = std::numeric_limits<double>::infinity();
    std::string min_source{};
    std::string max_source{};
};

class MapReader {
public:
    /// `context` names the mapping in messages ("fixture", "step 3 (ramp)").
    MapReader(YAML::Node node, std::string file, Diagnostics& diags, std::string context);

    [[nodiscard]] bool valid() const { return valid_; }
    [[nodiscard]] bool has(std::string_view key) const;
    [[nodiscard]] const YAML::Node& node() const { return node_; }
    [[nodiscard]] const std::string& file() const { return file_; }
    [[nodiscard]] Diagnostics& diags() const { return *diags_; }
    [[nodiscard]] SourceLocation where() const { return location_of(node_, file_); }
    /// Location of a key's value (or of the mapping when the key is absent).
    [[nodiscard]] SourceLocation where(std::string_view key) const;

    /// A quantity with a unit ("0.75 mm"), returned in SI units.
    std::optional<double> quantity(std::string_view key, Dimension dim, Need need = Need::required,
                                   const Range& range = {});
    std::optional<std::string> string(std::string_view key, Need need = Need::required);
    std::optional<long long> integer(std::string_view key, Need need = Need::required,
                                     long long min = std::numeric_limits<long long>::min(),
                                     long long max = std::numeric_limits<long long>::max());
    std::optional<bool> boolean(std::string_view key, Need need = Need::required);
    /// One of a fixed set of words; an unknown word gets "did you mean".
    std::optional<std::string> choice(std::string_view key, std::initializer_list<std::string_view> options,
                                      Need need = Need::required);
    /// A list of strings (a single string is not accepted as a list).
    std::optional<std::vector<std::string>> string_list(std::string_view key, Need need = Need::optional);
    /// A nested mapping.
    std::optional<MapReader> map(std::string_view key, Need need = Need::required);
    /// The raw node of a key (marks it known); an undefined node when absent.
    YAML::Node raw(std::string_view key);
    /// Marks keys as known without reading them.
    void accept(std::initializer_list<std::string_view> keys);

    /// Reports unknown keys. Call once, after every accessor.
    void finish();

    /// Adds an error at a key's value.
    void error(std::string_view key, std::string message) const;

private:
    bool require(std::string_view key, Need need);
    YAML::Node node_;
    std::string file_;
    Diagnostics* diags_;
    std::string context_;
    std::vector<std::string> known_;
    bool valid_ = true;
};

/// Scalar value checks usable outside a MapReader (list items).
std::optional<double> read_quantity(const YAML::Node& n, Dimension dim, const std::string& file,
                                    Diagnostics& diags, const std::string& what, const Range& range = {});

}  // namespace rig
