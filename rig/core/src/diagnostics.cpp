#include "rig/core/diagnostics.hpp"

#include <algorithm>
#include <sstream>

namespace rig {

std::string Diagnostic::str() const {
    std::ostringstream o;
    o << where.file;
    if (where.line > 0) {
        o << ':' << where.line;
        if (where.column > 0) o << ':' << where.column;
    }
    o << ": " << (severity == Severity::error ? "error" : "warning") << ": " << message;
    return o.str();
}

void Diagnostics::error(SourceLocation where, std::string message) {
    items_.push_back(Diagnostic{std::move(where), Severity::error, std::move(message)});
}
void Diagnostics::warning(SourceLocation where, std::string message) {
    items_.push_back(Diagnostic{std::move(where), Severity::warning, std::move(message)});
}
void Diagnostics::append(const Diagnostics& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}
bool Diagnostics::has_errors() const { return error_count() > 0; }
std::size_t Diagnostics::error_count() const {
    return static_cast<std::size_t>(
        std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::error; }));
}
std::vector<Diagnostic> Diagnostics::sorted() const {
    auto v = items_;
    std::stable_sort(v.begin(), v.end(), [](const Diagnostic& a, const Diagnostic& b) {
        if (a.where.file != b.where.file) return a.where.file < b.where.file;
        if (a.where.line != b.where.line) return a.where.line < b.where.line;
        return a.where.column < b.where.column;
    });
    return v;
}
void Diagnostics::print(std::ostream& out) const {
    for (const auto& d : sorted()) out << d.str() << '\n';
}

InputError::InputError(Diagnostics d) : diags_(std::move(d)) {
    std::ostringstream o;
    diags_.print(o);
    text_ = o.str();
    if (!text_.empty() && text_.back() == '\n') text_.pop_back();
}

std::string quote_token(std::string_view token) {
    if (token.size() <= kMaxQuotedChars) return "'" + std::string(token) + "'";
    return "'" + std::string(token.substr(0, kMaxQuotedChars)) + "...' (" + std::to_string(token.size()) + " characters)";
}

}  // namespace rig
