#pragma once
// Diagnostics for input files: every problem found, each with its file, line
// and column, so that `rig validate` (and every loader) reports all of them at
// once, before anything moves.
//
// Lines and columns are 1-based, as editors show them.

#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace rig {

struct SourceLocation {
    std::string file;
    int line = 0;    // 1-based; 0 = the whole file
    int column = 0;  // 1-based; 0 = unknown
};

enum class Severity { error, warning };

struct Diagnostic {
    SourceLocation where;
    Severity severity = Severity::error;
    std::string message;

    /// "file:line:col: error: message" (the GCC form, which editors and CI parse).
    [[nodiscard]] std::string str() const;
};

class Diagnostics {
public:
    void error(SourceLocation where, std::string message);
    void warning(SourceLocation where, std::string message);
    void add(Diagnostic d) { items_.push_back(std::move(d)); }
    void append(const Diagnostics& other);

    [[nodiscard]] bool has_errors() const;
    [[nodiscard]] std::size_t error_count() const;
    [[nodiscard]] const std::vector<Diagnostic>& items() const { return items_; }
    /// Sorted by file, line, column, for stable output.
    [[nodiscard]] std::vector<Diagnostic> sorted() const;

    void print(std::ostream& out) const;

private:
    std::vector<Diagnostic> items_;
};

/// Thrown by loaders when a file has errors; carries every diagnostic.
class InputError : public std::exception {
public:
    explicit InputError(Diagnostics d);
    [[nodiscard]] const char* what() const noexcept override { return text_.c_str(); }
    [[nodiscard]] const Diagnostics& diagnostics() const { return diags_; }

private:
    Diagnostics diags_;
    std::string text_;
};

/// A token of an input file as quoted in a message: at most kMaxQuotedChars
/// characters, then "..." and its length. Messages about a file a client
/// supplied never carry more of it than this (a secret read by mistake stays secret).
inline constexpr std::size_t kMaxQuotedChars = 24;
std::string quote_token(std::string_view token);

}  // namespace rig
