#include "rig/core/yaml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "rig/core/atomic_file.hpp"
#include <yaml-cpp/depthguard.h>

namespace rig {
namespace {

std::string kind_name(const YAML::Node& n) {
    switch (n.Type()) {
        case YAML::NodeType::Null: return "nothing (null)";
        case YAML::NodeType::Scalar: return "a scalar " + quote_token(n.Scalar());
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a mapping";
        case YAML::NodeType::Undefined: return "nothing";
    }
    return "?";
}

std::string fmt_si(double v, Dimension d) {
    std::ostringstream o;
    // Messages speak the file's usual unit for the two quantities users type most.
    if (d == Dimension::length) {
        o << v * 1e3 << " mm";
    } else if (d == Dimension::ratio) {
        o << v * 1e2 << " %";
    } else {
        o << v << ' ' << si_unit(d);
    }
    return o.str();
}

std::optional<double> check_range(double v, Dimension dim, const Range& r, const SourceLocation& at,
                                  Diagnostics& diags, const std::string& what) {
    if (v < r.min) {
        diags.error(at, what + " is " + fmt_si(v, dim) + ", below the minimum " + fmt_si(r.min, dim) +
                            (r.min_source.empty() ? "" : " (" + r.min_source + ")"));
        return std::nullopt;
    }
    if (v > r.max) {
        diags.error(at, what + " is " + fmt_si(v, dim) + ", above the maximum " + fmt_si(r.max, dim) +
                            (r.max_source.empty() ? "" : " (" + r.max_source + ")"));
        return std::nullopt;
    }
    return v;
}

}  // namespace

namespace {
// Nesting depth of a parsed document, iteratively (a deep file must not
// exhaust the stack that checks it).
int depth_of(const YAML::Node& root, int limit) {
    std::vector<std::pair<YAML::Node, int>> todo{{root, 1}};
    int deepest = 0;
    while (!todo.empty()) {
        auto [n, d] = todo.back();
        todo.pop_back();
        deepest = std::max(deepest, d);
        if (deepest > limit) return deepest;
        if (n.IsMap()) {
            for (const auto& kv : n) todo.emplace_back(kv.second, d + 1);
        } else if (n.IsSequence()) {
            for (const auto& x : n) todo.emplace_back(x, d + 1);
        }
    }
    return deepest;
}
}  // namespace

SourceLocation location_of(const YAML::Node& node, const std::string& file) {
    if (!node.IsDefined() || node.Mark().is_null()) return {file, 0, 0};
    return {file, node.Mark().line + 1, node.Mark().column + 1};
}

std::optional<YamlFile> load_yaml_text(std::string name, std::string text, Diagnostics& diags) {
    try {
        YAML::Node root = YAML::Load(text);
        if (!root.IsDefined() || root.IsNull()) {
            diags.error({name, 1, 1}, "the file is empty: expected a YAML mapping");
            return std::nullopt;
        }
        if (!root.IsMap()) {
            // Not even the token: a file that is not a penrig file (a key, a
            // password file) is never quoted back.
            diags.error(location_of(root, name), std::string("expected a YAML mapping at the top level, found ") +
                                                     (root.IsScalar() ? "text" : root.IsSequence() ? "a list" : "something else") +
                                                     ": this is not a penrig file");
            return std::nullopt;
        }
        if (depth_of(root, kMaxYamlDepth) > kMaxYamlDepth) {
            diags.error({name, 1, 1}, "nesting deeper than " + std::to_string(kMaxYamlDepth) +
                                          " levels of mappings and lists (the limit for penrig files)");
            return std::nullopt;
        }
        return YamlFile{std::move(name), std::move(text), std::move(root)};
    } catch (const YAML::DeepRecursion& e) {
        diags.error({name, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1},
                    "nesting deeper than " + std::to_string(e.depth()) +
                        " levels: the YAML reader stops there (penrig files may nest " + std::to_string(kMaxYamlDepth) +
                        " levels)");
        return std::nullopt;
    } catch (const YAML::Exception& e) {
        diags.error({name, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1},
                    "YAML syntax error: " + e.msg);
        return std::nullopt;
    }
}

std::optional<std::string> read_input_file(const std::filesystem::path& path, Diagnostics& diags) {
    try {
        return read_input_file_bounded(path);
    } catch (const InputFileError& e) {
        diags.error({path.string(), 0, 0}, e.what());
        return std::nullopt;
    }
}

std::optional<YamlFile> load_yaml_file(const std::filesystem::path& path, Diagnostics& diags) {
    auto text = read_input_file(path, diags);
    if (!text) return std::nullopt;
    return load_yaml_text(path.string(), std::move(*text), diags);
}

MapReader::MapReader(YAML::Node node, std::string file, Diagnostics& diags, std::string context)
    : node_(std::move(node)), file_(std::move(file)), diags_(&diags), context_(std::move(context)) {
    if (!node_.IsMap()) {
        diags_->error(location_of(node_, file_), context_ + ": expected a mapping of keys to values, found " +
                                                     kind_name(node_));
        valid_ = false;
        return;
    }
    // yaml-cpp keeps duplicate keys silently; a duplicate in a test definition
    // would hide one of the two values, so it is an error.
    std::set<std::string> seen;
    for (const auto& kv : node_) {
        const std::string k = kv.first.Scalar();
        if (!seen.insert(k).second) {
            diags_->error(location_of(kv.first, file_), context_ + ": duplicate key '" + k + "'");
        }
    }
}

bool MapReader::has(std::string_view key) const {
    if (!valid_) return false;
    for (const auto& kv : node_) {
        if (kv.first.Scalar() == key) return true;
    }
    return false;
}

SourceLocation MapReader::where(std::string_view key) const {
    if (valid_) {
        for (const auto& kv : node_) {
            if (kv.first.Scalar() == key) {
                return kv.second.IsNull() ? location_of(kv.first, file_) : location_of(kv.second, file_);
            }
        }
    }
    return location_of(node_, file_);
}

void MapReader::error(std::string_view key, std::string message) const {
    diags_->error(where(key), std::move(message));
}

bool MapReader::require(std::string_view key, Need need) {
    known_.emplace_back(key);
    if (!valid_) return false;
    if (has(key)) return true;
    if (need == Need::required) {
        diags_->error(location_of(node_, file_), context_ + ": missing required key '" + std::string(key) + "'");
    }
    return false;
}

YAML::Node MapReader::raw(std::string_view key) {
    known_.emplace_back(key);
    if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
    for (const auto& kv : node_) {
        if (kv.first.Scalar() == key) return kv.second;
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

void MapReader::accept(std::initializer_list<std::string_view> keys) {
    for (auto k : keys) known_.emplace_back(k);
}

std::optional<double> read_quantity(const YAML::Node& n, Dimension dim, const std::string& file, Diagnostics& diags,
                                    const std::string& what, const Range& range) {
    const auto at = location_of(n, file);
    if (!n.IsScalar()) {
        diags.error(at, what + ": expected a " + std::string(dimension_name(dim)) + " with a unit, found " +
                            kind_name(n));
        return std::nullopt;
    }
    auto r = parse_quantity(n.Scalar(), dim);
    if (auto* e = std::get_if<QuantityError>(&r)) {
        diags.error(at, what + ": " + e->message);
        return std::nullopt;
    }
    return check_range(std::get<double>(r), dim, range, at, diags, what);
}

std::optional<double> MapReader::quantity(std::string_view key, Dimension dim, Need need, const Range& range) {
    if (!require(key, need)) return std::nullopt;
    return read_quantity(raw(key), dim, file_, *diags_, "'" + std::string(key) + "'", range);
}

std::optional<std::string> MapReader::string(std::string_view key, Need need) {
    if (!require(key, need)) return std::nullopt;
    const YAML::Node n = raw(key);
    if (!n.IsScalar()) {
        error(key, "'" + std::string(key) + "': expected text, found " + kind_name(n));
        return std::nullopt;
    }
    return n.Scalar();
}

std::optional<long long> MapReader::integer(std::string_view key, Need need, long long min, long long max) {
    if (!require(key, need)) return std::nullopt;
    const YAML::Node n = raw(key);
    const std::string k = "'" + std::string(key) + "'";
    if (!n.IsScalar()) {
        error(key, k + ": expected a whole number, found " + kind_name(n));
        return std::nullopt;
    }
    const std::string& s = n.Scalar();
    long long v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size()) {
        error(key, k + ": expected a whole number, found " + quote_token(s));
        return std::nullopt;
    }
    if (v < min || v > max) {
        error(key, k + ": " + std::to_string(v) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
        return std::nullopt;
    }
    return v;
}

std::optional<bool> MapReader::boolean(std::string_view key, Need need) {
    if (!require(key, need)) return std::nullopt;
    const YAML::Node n = raw(key);
    if (n.IsScalar()) {
        const std::string& s = n.Scalar();
        if (s == "true" || s == "yes" || s == "on") return true;
        if (s == "false" || s == "no" || s == "off") return false;
    }
    error(key, "'" + std::string(key) + "': expected true or false, found " + kind_name(n));
    return std::nullopt;
}

std::optional<std::string> MapReader::choice(std::string_view key, std::initializer_list<std::string_view> options,
                                             Need need) {
    auto s = string(key, need);
    if (!s) return std::nullopt;
    if (std::find(options.begin(), options.end(), *s) != options.end()) return s;
    std::string list;
    for (auto o : options) list += (list.empty() ? "" : ", ") + std::string(o);
    std::string msg = "'" + std::string(key) + "': unknown value " + quote_token(*s);
    if (auto m = closest_match(*s, std::span<const std::string_view>(options.begin(), options.size()))) {
        msg += " (did you mean '" + *m + "'?)";
    }
    error(key, msg + "; expected one of: " + list);
    return std::nullopt;
}

std::optional<std::vector<std::string>> MapReader::string_list(std::string_view key, Need need) {
    if (!require(key, need)) return std::nullopt;
    const YAML::Node n = raw(key);
    if (!n.IsSequence()) {
        error(key, "'" + std::string(key) + "': expected a list, found " + kind_name(n));
        return std::nullopt;
    }
    if (n.size() > kMaxListItems) {
        error(key, "'" + std::string(key) + "': " + std::to_string(n.size()) + " items; a list may hold at most " +
                       std::to_string(kMaxListItems) + " (the list length limit)");
        return std::nullopt;
    }
    std::vector<std::string> out;
    out.reserve(n.size());
    bool ok = true;
    for (const auto& item : n) {
        if (!item.IsScalar()) {
            diags_->error(location_of(item, file_), "'" + std::string(key) + "': expected text items, found " +
                                                        kind_name(item));
            ok = false;
            continue;
        }
        out.push_back(item.Scalar());
    }
    if (!ok) return std::nullopt;
    return out;
}

std::optional<MapReader> MapReader::map(std::string_view key, Need need) {
    if (!require(key, need)) return std::nullopt;
    MapReader r(raw(key), file_, *diags_, context_ + "." + std::string(key));
    if (!r.valid()) return std::nullopt;
    return r;
}

void MapReader::finish() {
    if (!valid_) return;
    std::vector<std::string_view> known(known_.begin(), known_.end());
    for (const auto& kv : node_) {
        const std::string k = kv.first.Scalar();
        if (std::find(known.begin(), known.end(), k) != known.end()) continue;
        std::string msg = context_ + ": unknown key " + quote_token(k);
        if (auto m = closest_match(k, known)) {
            msg += " (did you mean '" + *m + "'?)";
        } else {
            std::string list;
            for (auto s : known) list += (list.empty() ? "" : ", ") + std::string(s);
            msg += "; expected one of: " + list;
        }
        diags_->error(location_of(kv.first, file_), msg);
    }
}

}  // namespace rig
